{#- ledger_db.transactions is append-only at the source; dedup still runs because a replayed CSV or a manual
    re-load must never double-count money. -#}
{%- set src = source('ledger_db', 'transactions') -%}
{{ dedup_latest(src, ['id'], 'created_at') }}
select
    id::bigint                                   as transaction_id,
    account_id::bigint                           as account_id,
    user_id::bigint                              as user_id,
    lower(trim(direction::text))                 as direction,
    amount_zar::numeric(18, 2)                   as amount_zar,
    lower(trim(category::text))                  as category,
    nullif(trim({{ column_or(src, 'merchant_name', 'null') }}::text), '') as merchant_name,
    lower(trim({{ column_or(src, 'channel', "'unknown'") }}::text)) as channel,
    {{ column_or(src, 'app_id', "'wallet'") }}::text as app_id,
    created_at::timestamptz                      as created_at,
    _dwh_run_id                                  as dwh_run_id,
    _dwh_loaded_at                               as dwh_loaded_at
from latest
