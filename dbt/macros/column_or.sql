{#- Upstream shapes (bronze columns from the source, Anonymise/Enrich outputs) are allowed to evolve: a model asks
    for a column and gets `fallback` when the relation does not have it, instead of failing the whole DAG. Columns
    are looked up at run time; at parse time the fallback is used so the manifest never depends on the database. -#}
{% macro column_or(relation, column, fallback) -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower in names -%}{{ adapter.quote(column) }}{%- else -%}{{ fallback }}{%- endif -%}
    {%- else -%}{{ fallback }}{%- endif -%}
{%- endmacro %}

{% macro has_column(relation, column) -%}
    {%- if execute -%}
        {{- return(column | lower in (adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list)) -}}
    {%- else -%}{{- return(false) -}}{%- endif -%}
{%- endmacro %}
