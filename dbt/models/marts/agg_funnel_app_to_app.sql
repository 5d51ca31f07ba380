{#- Cross-app conversion (design §8.4 agg_funnel_app_to_app, the Phase 5 acceptance): per funnel and step, the users
    who reached it (in order, fct_cross_app_funnel) and the share of the previous step's users who went on. A step
    reached by fewer than k_min users is not published (§6.6). -#}
{%- set k = var('k_min') | int %}
with reached as (
    select f.funnel_id, s.step, count(*) as user_count
    from {{ ref('fct_cross_app_funnel') }} f
    cross join lateral generate_series(1, f.step) as s(step)
    group by f.funnel_id, s.step
),
rated as (
    select funnel_id, step::integer as step, user_count::integer as user_count,
        round(user_count::numeric / nullif(lag(user_count) over (partition by funnel_id order by step), 0), 2) as conversion_from_previous
    from reached
)
select * from rated where user_count >= {{ k }}
