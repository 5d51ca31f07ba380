{#- One row per user_hash: anonymised profile × 30-day activity across every app (§8.4, §7.4). kyc_tier (from
    auth_db.kyc_records, as the policy keeps it), lifecycle_stage, apps_used_30d and revenue_band_zar_30d are the
    segments Enrich computes in intermediate.enr_users; the activity rollup reads the cross-app events
    (intermediate.enr_app_events): both defined once in src/enrich/martInputs.ts.
    The quasi-identifiers (age_band, province, city) are generalised until every combination holds at least k_min
    users (§6.6): a small city becomes 'other', a still-small (age_band, province) group loses its province too, and
    users still in a group below k_min after that are suppressed (not published at all). -#}
-- depends_on: {{ ref('stg_auth_db__users') }}
{%- set u = source('intermediate', 'enr_users') %}
{%- set k = var('k_min') | int %}
with users as (
    select
        user_hash::text                                           as user_hash,
        coalesce({{ column_or(u, 'age_band', 'null') }}::text, 'unknown')  as age_band,
        coalesce({{ column_or(u, 'province', 'null') }}::text, 'unknown')  as province,
        coalesce({{ column_or(u, 'home_city', column_or(u, 'city', 'null')) }}::text, 'unknown') as city,
        kyc_tier::text                                            as kyc_tier,
        lifecycle_stage::text                                     as lifecycle_stage,
        apps_used_30d,
        revenue_band_zar_30d::text                                as revenue_band_zar_30d,
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
        count(*) filter (where event_time > now() - interval '{{ var("rollup_days") | int }} days')                  as events_30d,
        coalesce(sum(revenue_zar) filter (where event_time > now() - interval '{{ var("rollup_days") | int }} days'), 0) as spend_zar_30d,
        max(event_time)                                                                                          as last_seen_at
    from {{ source('intermediate', 'enr_app_events') }}
    where app is not null
    group by user_hash
)
select
    p.user_hash,
    p.age_band,
    p.province_g                                     as province,
    case when p.province_g = 'other' then 'other' else p.city_g end as city,
    p.kyc_tier,
    p.signed_up_at,
    coalesce(a.events_30d, 0)::integer               as events_30d,
    coalesce(a.spend_zar_30d, 0)::numeric(18, 2)     as spend_zar_30d,
    coalesce(p.apps_used_30d, '{}')                  as apps_used_30d,
    p.revenue_band_zar_30d,
    a.last_seen_at,
    p.lifecycle_stage
from province_ok p
left join activity a using (user_hash)
where p.user_hash in (
    select user_hash from (
        select user_hash, count(*) over (
            partition by age_band, province_g, case when province_g = 'other' then 'other' else city_g end
        ) as group_size
        from province_ok
    ) g
    where group_size >= {{ k }}
)
