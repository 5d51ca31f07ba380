{#- Models land in exactly the schema the design names (staging, marts), not dbt's default <target>_<schema>:
    the Anonymise, Enrich and PushBack nodes and the apps read those names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
