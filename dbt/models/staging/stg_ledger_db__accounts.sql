{%- set src = source('ledger_db', 'accounts') -%}
{{ dedup_latest(src, ['id'], 'updated_at') }}
select
    id::bigint                              as account_id,
    user_id::bigint                         as user_id,
    lower(trim(account_type::text))         as account_type,
    upper(trim(currency::text))::char(3)    as currency,
    balance_zar::numeric(18, 2)             as balance_zar,
    lower(trim(status::text))               as status,
    {{ column_or(src, 'opened_at', 'created_at') }}::timestamptz as opened_at,
    updated_at::timestamptz                 as updated_at,
    _dwh_loaded_at                          as dwh_loaded_at
from latest
