{#- Every ledger event with a hashed user and FX-normalised amounts (§8.4). The FX amounts (the day's rate, else the
    latest earlier one, fx_rate_missing when there is none), the local day and its calendar flags come from
    intermediate.enr_ledger_transactions (src/enrich/martInputs.ts): Enrich is the one definition of them (§7.2, §7.3). -#}
-- depends_on: {{ ref('stg_ledger_db__transactions') }}
{%- set tx = source('intermediate', 'enr_ledger_transactions') %}
select
    transaction_id::bigint                                       as transaction_id,
    user_hash::text                                              as user_hash,
    {{ column_or(tx, 'app_id', "'wallet'") }}::text              as app_id,
    lower(direction::text)                                       as direction,
    {{ column_or(tx, 'category', "'unknown'") }}::text           as category,
    {{ column_or(tx, 'channel', "'unknown'") }}::text            as channel,
    amount_zar::numeric(18, 2)                                   as amount_zar,
    amount_usd::numeric(18, 2)                                   as amount_usd,
    amount_btc_sats::bigint                                      as amount_btc_sats,
    fx_rate_date,
    fx_rate_missing,
    created_at::timestamptz                                      as created_at,
    local_date                                                   as tx_date,
    day_of_week,
    is_weekend,
    is_public_holiday,
    is_payday_week
from {{ tx }}
-- A transaction whose user was forgotten under the FICA legal hold (policy legal_hold) stays in intermediate with
-- user_hash NULL, as the kept record; the marts are per-user analytics and leave it out.
where user_hash is not null
