{#- One row per user_hash: anonymised profile × 30-day activity rollup (§8.4, §7.4). The quasi-identifiers
    (age_band, province, city) are generalised until every combination holds at least k_min users (§6.6): a small
    city becomes 'other', a still-small (age_band, province) group loses its province too, and users still in a
    group below k_min after that are suppressed (not published at all). -#}
-- depends_on: {{ ref('stg_auth_db__users') }}
{%- set u = source('intermediate', 'users') %}
{%- set k = var('k_min') | int %}
with users as (
    select
        user_hash::text                                           as user_hash,
        coalesce({{ column_or(u, 'age_band', 'null') }}::text, 'unknown')  as age_band,
        coalesce({{ column_or(u, 'province', 'null') }}::text, 'unknown')  as province,
        coalesce({{ column_or(u, 'home_city', column_or(u, 'city', 'null')) }}::text, 'unknown') as city,
        coalesce({{ column_or(u, 'kyc_tier', 'null') }}::text, 'no-kyc')   as kyc_tier,
        {{ column_or(u, 'created_at', 'null') }}::timestamptz              as signed_up_at
    from {{ u }}
    -- Closed accounts are soft-deleted (§6.8): they leave the dimension, and the mirror push-back drops them.
    where coalesce(lower({{ column_or(u, 'status', 'null') }}::text), 'active') <> 'closed'
),
city_ok as (
    select *, case when count(*) over (partition by age_band, province, city) >= {{ k }} then city else 'other' end as city_g
    from users
),
province_ok as (
    select *,
        case when count(*) over (partition by age_band, province, city_g) >= {{ k }} then province else 'other' end as province_g
    from city_ok
),
activity as (
    select
        user_hash,
        count(*)                                              as tx_count_30d,
        coalesce(sum(amount_zar) filter (where direction = 'debit'), 0)  as spend_zar_30d,
        coalesce(sum(amount_zar) filter (where direction = 'credit'), 0) as received_zar_30d,
        max(created_at)                                       as last_tx_at
    from {{ ref('fct_ledger_transactions_anon') }}
    where created_at >= now() - interval '{{ var("rollup_days") | int }} days'
    group by user_hash
),
ever as (
    select user_hash, max(created_at) as last_seen_at from {{ ref('fct_ledger_transactions_anon') }} group by user_hash
)
select
    p.user_hash,
    p.age_band,
    p.province_g                                     as province,
    case when p.province_g = 'other' then 'other' else p.city_g end as city,
    p.kyc_tier,
    p.signed_up_at,
    coalesce(a.tx_count_30d, 0)                      as tx_count_30d,
    coalesce(a.spend_zar_30d, 0)::numeric(18, 2)     as spend_zar_30d,
    coalesce(a.received_zar_30d, 0)::numeric(18, 2)  as received_zar_30d,
    e.last_seen_at,
    -- §7.4 lifecycle: new < 7 days since signup; churned/dormant by inactivity; engaged = > 90 days and active.
    case
        when p.signed_up_at >= now() - interval '7 days' then 'new'
        when e.last_seen_at is null or e.last_seen_at < now() - interval '90 days' then 'churned'
        when e.last_seen_at < now() - interval '30 days' then 'dormant'
        when p.signed_up_at < now() - interval '90 days' then 'engaged'
        else 'active'
    end                                              as lifecycle_stage
from province_ok p
left join activity a using (user_hash)
left join ever e using (user_hash)
where p.user_hash in (
    select user_hash from (
        select user_hash, count(*) over (
            partition by age_band, province_g, case when province_g = 'other' then 'other' else city_g end
        ) as group_size
        from province_ok
    ) g
    where group_size >= {{ k }}
)
