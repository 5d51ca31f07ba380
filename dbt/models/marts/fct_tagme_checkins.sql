{#- One row per TagMe check-in with its place's category and city (design doc §8.4 marts.fct_tagme_checkins). This
    is the contract the push-back targets tagme.user_summary and tagme.poi_popularity read
    (src/pushback/readyTargets.ts: user_hash, poi_id, category, city, checked_in_at). The user is hashed and the
    position is on the 0.01° grid already (policies/tagme_db.policy.json); the place's exact coordinates are not
    carried over: joined to a person's check-in they would locate that person.
    Until Anonymise has written intermediate check-ins the mart is built empty with a warning, so a project-wide build
    does not fail on one app that is not live yet; Push Back refuses to mirror an empty mart over a filled target. -#}
{%- set checkins = source('intermediate', 'tagme_check_ins') %}
{%- set places = source('intermediate', 'tagme_points_of_interest') %}
{%- set have_checkins = (load_relation(checkins) is not none) if execute else true %}
{%- set have_places = (load_relation(places) is not none) if execute else true %}
{%- if execute and not have_checkins %}
    {{- exceptions.warn('fct_tagme_checkins: ' ~ checkins ~ ' does not exist yet (Anonymise has not run for tagme_db.check_ins); building it empty') }}
{%- endif %}
{%- if have_checkins %}
with c as (
    select
        {{ column_or(checkins, 'check_in_id', 'id') }}::bigint as check_in_id,
        {{ column_or(checkins, 'user_hash', 'null') }}::text   as user_hash,
        {{ column_or(checkins, 'poi_id', 'null') }}::bigint    as poi_id,
        {{ column_or(checkins, 'lat_grid', 'null') }}::numeric as lat_grid,
        {{ column_or(checkins, 'lng_grid', 'null') }}::numeric as lng_grid,
        created_at::timestamptz                                 as checked_in_at
    from {{ checkins }}
)
select
    c.check_in_id,
    c.user_hash,
    c.poi_id,
    {%- if have_places %}
    coalesce(p.category::text, 'unknown') as category,
    p.city::text                          as city,
    p.province::text                      as province,
    {%- else %}
    'unknown'::text                       as category,
    null::text                            as city,
    null::text                            as province,
    {%- endif %}
    c.lat_grid,
    c.lng_grid,
    c.checked_in_at,
    (c.checked_in_at at time zone 'Africa/Johannesburg')::date as checkin_date
from c
{%- if have_places %}
left join {{ places }} p on p.poi_id = c.poi_id
{%- endif %}
{%- else %}
select null::bigint as check_in_id, null::text as user_hash, null::bigint as poi_id, null::text as category,
       null::text as city, null::text as province, null::numeric as lat_grid, null::numeric as lng_grid,
       null::timestamptz as checked_in_at, null::date as checkin_date
where false
{%- endif %}
