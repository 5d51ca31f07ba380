{#- Every ledger event with a hashed user and FX-normalised amounts (§8.4). The rate is the transaction day's, or
    the latest earlier one when that day has none (weekends, a missed ingest); rows with no rate at all keep
    amount_zar and get a null USD/BTC amount plus fx_rate_missing, rather than disappearing from revenue. -#}
-- depends_on: {{ ref('stg_ledger_db__transactions') }}
{%- set tx = source('intermediate', 'ledger_transactions') %}
with tx as (
    select
        {{ column_or(tx, 'transaction_id', 'id') }}::bigint as transaction_id,
        {{ column_or(tx, 'user_hash', 'null') }}::text      as user_hash,
        lower({{ column_or(tx, 'direction', "'debit'") }}::text) as direction,
        {{ column_or(tx, 'amount_zar', 'null') }}::numeric(18, 2) as amount_zar,
        {{ column_or(tx, 'category', "'unknown'") }}::text  as category,
        {{ column_or(tx, 'channel', "'unknown'") }}::text   as channel,
        {{ column_or(tx, 'app_id', "'ledger'") }}::text     as app_id,
        created_at::timestamptz                              as created_at
    from {{ tx }}
    -- A transaction whose user was forgotten under the FICA legal hold (policy legal_hold) stays in intermediate
    -- with user_hash NULL, as the kept record; the marts are per-user analytics and leave it out, as before the hold.
    where {{ column_or(tx, 'user_hash', "'none'") }} is not null
),
local as (
    select tx.*, (created_at at time zone 'Africa/Johannesburg')::date as tx_date_local
    from tx
)
select
    l.transaction_id,
    l.user_hash,
    l.app_id,
    l.direction,
    l.category,
    l.channel,
    l.amount_zar,
    round(l.amount_zar * usd.units_per_zar, 2)                    as amount_usd,
    round(l.amount_zar * btc.units_per_zar * 100000000)::bigint   as amount_btc_sats,
    usd.rate_date                                                 as fx_rate_date,
    (usd.units_per_zar is null)                                   as fx_rate_missing,
    l.created_at,
    l.tx_date_local                                               as tx_date,
    extract(isodow from l.tx_date_local)::int                     as day_of_week,
    extract(isodow from l.tx_date_local) in (6, 7)                as is_weekend,
    exists (
        select 1 from {{ source('enrich', 'dim_holidays') }} h
        where h.country_code = 'ZA' and h.holiday_date = l.tx_date_local and h.holiday_type = 'public'
    )                                                             as is_public_holiday
from local l
left join lateral (
    select f.units_per_zar, f.rate_date from {{ source('enrich', 'dim_fx_rates_daily') }} f
    where f.currency = 'USD' and f.rate_date <= l.tx_date_local
    order by f.rate_date desc limit 1
) usd on true
left join lateral (
    select f.units_per_zar from {{ source('enrich', 'dim_fx_rates_daily') }} f
    where f.currency = 'BTC' and f.rate_date <= l.tx_date_local
    order by f.rate_date desc limit 1
) btc on true
