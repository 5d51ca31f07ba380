{#- One row per WhatWeWant wish list (design §5 whatwewant_db) with its owner's hash, category, and its items: how
    many, how many fulfilled, and when they were added / fulfilled (arrays, for the 30-day windows of
    whatwewant.user_summary). A policy that does not keep lists.category or items.list_id / fulfilled_at (the earlier
    draft) gives 'unknown' and no items. Built empty with a warning until Anonymise has written the lists. -#}
{%- set l = source('intermediate', 'whatwewant_lists') %}
{%- set i = source('intermediate', 'whatwewant_items') %}
{%- set have_lists = relation_present(l, 'fct_whatwewant_lists') %}
{%- set have_items = ((load_relation(i) is not none) if execute else true) and has_column(i, 'list_id') %}
{%- if have_lists %}
with items as (
    {%- if have_items %}
    select list_id,
           array_agg({{ column_or(i, 'created_at', 'updated_at') }}::timestamptz)                        as added_at,
           array_agg({{ column_or(i, 'fulfilled_at', 'null') }}::timestamptz) filter (where {{ column_or(i, 'fulfilled_at', 'null') }} is not null) as fulfilled_at
    from {{ i }}
    group by list_id
    {%- else %}
    select null::bigint as list_id, null::timestamptz[] as added_at, null::timestamptz[] as fulfilled_at where false
    {%- endif %}
)
select
    l.id::bigint                                                    as list_id,
    l.user_hash::text                                               as user_hash,
    coalesce({{ column_or(l, 'category', 'null') }}::text, 'unknown') as category,
    {{ column_or(l, 'created_at', 'updated_at') }}::timestamptz     as created_at,
    coalesce(cardinality(it.added_at), 0)::integer                  as items,
    coalesce(cardinality(it.fulfilled_at), 0)::integer              as items_fulfilled,
    coalesce(it.added_at, '{}')                                     as items_added_at,
    coalesce(it.fulfilled_at, '{}')                                 as items_fulfilled_at
from {{ l }} l
left join items it on it.list_id = l.id
where l.user_hash is not null
{%- else %}
select null::bigint as list_id, null::text as user_hash, null::text as category, null::timestamptz as created_at,
       null::integer as items, null::integer as items_fulfilled, null::timestamptz[] as items_added_at,
       null::timestamptz[] as items_fulfilled_at
where false
{%- endif %}
