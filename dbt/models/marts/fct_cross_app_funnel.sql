{#- Where each user is in the cross-app funnel of design §7.5 (TagMe check-in → BidBaas bid → SDPKT payment, the
    funnel defined in src/enrich/martInputs.ts; var cross_app_funnel names it): the furthest step reached in order,
    when the user first reached it, and whether the last step was reached. One row per (funnel, user) who started.
    Per user, like the user summaries: shared.cross_app_funnel reads it. -#}
{%- set f = var('cross_app_funnel') %}
with reached as (
    select user_hash, max(funnel_position) as step
    from {{ source('intermediate', 'enr_app_events') }}
    where funnel_position > 0
    group by user_hash
)
select
    {{ "'" ~ f['id'] ~ "'" }}::text             as funnel_id,
    r.user_hash,
    r.step::integer                              as step,
    min(e.event_time)                            as entered_at,
    (r.step >= {{ f['steps'] | int }})           as completed
from reached r
join {{ source('intermediate', 'enr_app_events') }} e on e.user_hash = r.user_hash and e.funnel_position = r.step
group by r.user_hash, r.step
