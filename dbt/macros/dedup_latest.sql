{#- Staging rule (§8.2): one row per key, the latest version wins (by `order_by`, then the bronze load time), and
    rows soft-deleted at the source (a non-null deleted_at, when the table has one) are dropped. -#}
{% macro dedup_latest(relation, key_columns, order_by) -%}
select *
from (
    select
        b.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {{ order_by }} desc nulls last, _dwh_loaded_at desc
        ) as _dwh_version_rank
    from {{ relation }} as b
    {%- if has_column(relation, 'deleted_at') %}
    where b.deleted_at is null
    {%- endif %}
) ranked
where _dwh_version_rank = 1
{%- endmacro %}
