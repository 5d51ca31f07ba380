{#- One row per Takemehome search or listing click (design §5 takemehome_db), hashed user, the searched destination
    city (a click: its search's). The contract of takemehome.user_summary. A policy that does not keep
    destination_city (the earlier draft) gives NULL there. Built empty with a warning until Anonymise has written
    the searches. -#}
{%- set s = source('intermediate', 'takemehome_searches') %}
{%- set c = source('intermediate', 'takemehome_clicks') %}
{%- set have_searches = relation_present(s, 'fct_takemehome_activity') %}
{%- set have_clicks = (load_relation(c) is not none) if execute else true %}
{%- if have_searches %}
select 'search'::text as kind, id::bigint as event_id, user_hash::text as user_hash,
       {{ column_or(s, 'destination_city', 'null') }}::text as destination_city, created_at::timestamptz as event_at
from {{ s }}
where user_hash is not null
{%- if have_clicks %}
union all
select 'click', c.id::bigint, c.user_hash::text,
       {%- if has_column(c, 'search_id') and has_column(s, 'destination_city') %}
       (select s2.destination_city::text from {{ s }} s2 where s2.id = c.search_id),
       {%- else %}
       null::text,
       {%- endif %}
       c.created_at::timestamptz
from {{ c }} c
where c.user_hash is not null
{%- endif %}
{%- else %}
select null::text as kind, null::bigint as event_id, null::text as user_hash, null::text as destination_city,
       null::timestamptz as event_at
where false
{%- endif %}
