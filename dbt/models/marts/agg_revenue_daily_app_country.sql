{#- Daily revenue (debits through the app) rolled up to (app, country, day), FX-normalised (§8.4). A group with
    fewer than k_min distinct users is suppressed, never published (§6.6); its revenue is not re-attributed. -#}
{%- set u = source('intermediate', 'users') %}
{%- set k = var('k_min') | int %}
with tx as (
    select f.*, coalesce({{ column_or(u, 'country', "'ZA'") }}::text, 'ZA') as country
    from {{ ref('fct_ledger_transactions_anon') }} f
    left join {{ u }} u using (user_hash)
    where f.direction = 'debit'
)
select
    app_id,
    country,
    tx_date                                     as revenue_date,
    count(distinct user_hash)                   as user_count,
    count(*)                                    as tx_count,
    sum(amount_zar)::numeric(18, 2)             as revenue_zar,
    sum(amount_usd)::numeric(18, 2)             as revenue_usd,
    bool_or(fx_rate_missing)                    as fx_rate_missing
from tx
group by app_id, country, tx_date
having count(distinct user_hash) >= {{ k }}
