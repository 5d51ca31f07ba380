{#- Staging rule (§8.2): one row per key, the latest version wins (by `order_by`, then the bronze load time), and
    rows soft-deleted at the source (a non-null deleted_at, when the table has one) are dropped. Emits the CTE
    `latest` a staging model selects from (`{{ dedup_latest(src, ['id'], 'updated_at') }} select … from latest`);
    its first line is indented as the models wrote it, so the compiled SQL is unchanged. -#}
{% macro dedup_latest(relation, key_columns, order_by) -%}
with latest as (
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
)
{%- endmacro %}
