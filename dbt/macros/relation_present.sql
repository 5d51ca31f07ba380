{#- True when `relation` exists at run time. A mart for an app that is not live yet (its anonymised or enriched input
    not written) calls this and builds empty with a warning naming the missing relation, so a project-wide build
    does not fail on it; Push Back refuses to mirror an empty mart over a filled target. At parse time: true. -#}
{% macro relation_present(relation, model_name) -%}
    {%- if not execute -%}{{- return(true) -}}{%- endif -%}
    {%- set present = load_relation(relation) is not none -%}
    {%- if not present -%}
        {{- exceptions.warn(model_name ~ ': ' ~ relation ~ ' does not exist yet; building it empty') -}}
    {%- endif -%}
    {{- return(present) -}}
{%- endmacro %}
