{#- The grain of an aggregate, without dbt_utils (no `dbt deps`: the project must build offline, without `dbt deps`). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
