{#- Daily revenue rolled up to (app, country, local day) across every app (§8.4): what users paid through the app —
    ledger debits, won BidBaas auctions, settled SDPKT payments — from the cross-app events Enrich writes
    (intermediate.enr_app_events: amounts at the day's FX rate, the local day; src/enrich/martInputs.ts). Country is
    the event's own (an SDPKT payment's destination) else the user's, 'unknown' when neither is known. A group with
    fewer than k_min distinct users is suppressed, never published (§6.6); its revenue is not re-attributed. -#}
-- depends_on: {{ ref('fct_ledger_transactions_anon') }}
{%- set k = var('k_min') | int %}
select
    app                                         as app_id,
    coalesce(country, 'unknown')                as country,
    local_date                                  as revenue_date,
    count(distinct user_hash)                   as user_count,
    count(*)                                    as tx_count,
    sum(revenue_zar)::numeric(18, 2)            as revenue_zar,
    sum(revenue_usd)::numeric(18, 2)            as revenue_usd,
    bool_or(fx_rate_missing)                    as fx_rate_missing
from {{ source('intermediate', 'enr_app_events') }}
where app is not null and revenue_zar > 0
group by app, coalesce(country, 'unknown'), local_date
having count(distinct user_hash) >= {{ k }}
