{#- §11.1 / §8.3: every intermediate.* relation is checked for direct identifiers, by column name and by content.
    Names follow the Anonymise node's rules (src/privacy/columnNames.ts): a name is split into underscore tokens and
    fails when it contains an identifier's token sequence, unless its last token says the value was transformed
    (user_hash, sa_id_token, age_band, ...). Content is sampled (`sample_rows`) and matched against e-mail, SA phone,
    13-digit ID / card-number, IPv4 and >2-decimal GPS patterns. A failing row names the column and detector, never
    the value. -#}
{#- allow_columns: columns a reviewed policy publishes on purpose (its pii_check.allow_columns), e.g. a place's own
    coordinates; they are named in the source's YAML, where review can see them. A relation that does not exist
    yet (its Anonymise job has not run) holds nothing to leak and passes. -#}
{% test pii_absent(model, sample_rows=10000, allow_columns=[]) %}
{%- set rules = [
    ['email'], ['e', 'mail'], ['phone'], ['msisdn'], ['mobile'], ['cellphone'], ['id', 'number'], ['sa', 'id'],
    ['national', 'id'], ['passport'], ['first', 'name'], ['last', 'name'], ['surname'], ['full', 'name'],
    ['firstname'], ['lastname'], ['fullname'], ['address'], ['street'], ['postcode'], ['postal', 'code'], ['dob'],
    ['date', 'of', 'birth'], ['birthdate'], ['ip'], ['ip', 'address'], ['lat'], ['lng'], ['latitude'], ['longitude'],
    ['iban'], ['account', 'number'], ['card', 'number'], ['pan'], ['device', 'id'], ['imei'], ['body'], ['content'],
    ['subject'], ['password'], ['pin']
] -%}
{%- set derived = ['hash', 'hmac', 'token', 'band', 'grid', 'class', 'hour', 'day', 'week', 'month', 'area', 'city',
    'country', 'region', 'province', 'count', 'present', 'length', 'domain', 'bucket', 'kind', 'type', 'verified', 'at'] -%}
{%- set existing = adapter.get_relation(database=model.database, schema=model.schema, identifier=model.identifier) if execute else none -%}
{%- if execute and existing is none -%}
select null::text as column_name, null::text as detector, 0::bigint as hits where false
{%- else -%}
{%- set allowed = allow_columns | map('lower') | list -%}
{%- set columns = adapter.get_columns_in_relation(model) | rejectattr('name', 'in', allowed) | list if execute else [] -%}
with sampled as (
    select * from {{ model }} limit {{ sample_rows | int }}
),
findings as (
    select null::text as column_name, null::text as detector, 0::bigint as hits where false
    {%- for c in columns %}
    {%- set tokens = modules.re.split('[^a-z0-9]+', c.name | lower) | reject('equalto', '') | list %}
    {%- set ns = namespace(hit=false) %}
    {%- if not (tokens | length > 1 and tokens[-1] in derived) %}
        {%- for rule in rules %}
            {%- for i in range(0, tokens | length - rule | length + 1) %}
                {%- if tokens[i:i + rule | length] == rule %}{% set ns.hit = true %}{% endif %}
            {%- endfor %}
        {%- endfor %}
    {%- endif %}
    {%- if ns.hit %}
    union all select '{{ c.name }}', 'column name', 1
    {%- endif %}
    {%- if c.data_type | lower in ('inet', 'cidr') %}
    union all select '{{ c.name }}', 'ip address type', 1
    {%- endif %}
    {%- if c.is_string() %}
    {%- set col = adapter.quote(c.name) %}
    union all select '{{ c.name }}', 'email', count(*) from sampled where {{ col }} ~* '[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}'
    union all select '{{ c.name }}', 'za phone', count(*) from sampled where {{ col }} ~ '(\+27|\m0027|\m27|\m0)[1-8][0-9]([ -]?[0-9]){7}\M'
    union all select '{{ c.name }}', 'id or card number', count(*) from sampled where {{ col }} ~ '\m[0-9]{13,19}\M'
    union all select '{{ c.name }}', 'ipv4', count(*) from sampled where {{ col }} ~ '\m[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\M'
    union all select '{{ c.name }}', 'gps', count(*) from sampled where {{ col }} ~ '^\s*-?[0-9]{1,3}\.[0-9]{3,}\s*,\s*-?[0-9]{1,3}\.[0-9]{3,}\s*$'
    {%- endif %}
    {%- endfor %}
)
select column_name, detector, hits from findings where hits > 0
{%- endif %}
{% endtest %}
