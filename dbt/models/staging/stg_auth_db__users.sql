{#- PII is still present here (§8.2): this view is access-controlled, and the Anonymise node reads it to write
    intermediate.int_auth_db__users. Closed accounts count as soft-deleted alongside deleted_at (§6.8). -#}
{%- set src = source('auth_db', 'users') -%}
{{ dedup_latest(src, ['id'], 'updated_at') }}
select
    id::bigint                                  as user_id,
    lower(trim(email::text))                    as email,
    {{ column_or(src, 'phone_e164', 'null') }}::text as phone_e164,
    {{ column_or(src, 'date_of_birth', 'null') }}::date as date_of_birth,
    {{ column_or(src, 'home_city', 'null') }}::text as home_city,
    {{ column_or(src, 'province', 'null') }}::text as province,
    lower(trim({{ column_or(src, 'status', "'active'") }}::text)) as status,
    created_at::timestamptz                     as created_at,
    updated_at::timestamptz                     as updated_at,
    _dwh_loaded_at                              as dwh_loaded_at
from latest
where lower(trim({{ column_or(src, 'status', "'active'") }}::text)) <> 'closed'
