{#- §6.6 / §11.1: a user-aggregating mart must not publish a group smaller than k. Either the mart carries its group
    size (`count_column`, e.g. user_count), or it is per user and `group_by` lists its quasi-identifiers, whose
    combinations must each hold at least k rows. Returns the offending groups; the model's YAML sets two instances,
    k=5 at severity error and k=10 at severity warn. -#}
{% test k_anonymity(model, k, count_column=none, group_by=none) %}
{%- if count_column is not none %}
select {{ count_column }} as group_size from {{ model }} where {{ count_column }} < {{ k | int }}
{%- elif group_by is not none %}
select {{ group_by | join(', ') }}, count(*) as group_size
from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) < {{ k | int }}
{%- else %}
{{ exceptions.raise_compiler_error("k_anonymity needs count_column or group_by") }}
{%- endif %}
{% endtest %}
