{#- One row per SDPKT payment (design §8.4 "payments × merchant × FX-normalised"): hashed sender and receiver (a
    person-to-person send) or the merchant (a business), destination country, amount in ZAR/USD and the local day
    from intermediate.enr_sdpkt_payments (src/enrich/martInputs.ts). The contract of sdpkt.user_summary. Payments of a
    sender forgotten under the FICA hold (sender_hash NULL) are left out. Built empty with a warning until Anonymise
    and Enrich have written the payments. -#}
{%- set p = source('intermediate', 'enr_sdpkt_payments') %}
{%- if relation_present(p, 'fct_sdpkt_payments') %}
select
    payment_id::bigint                   as payment_id,
    sender_hash::text                    as sender_hash,
    receiver_hash::text                  as receiver_hash,
    merchant_id::bigint                  as merchant_id,
    coalesce(merchant_category::text, case when receiver_hash is not null then 'p2p' else 'unknown' end) as merchant_category,
    upper(country::text)                 as country,
    currency::text                       as currency,
    amount::numeric(18, 2)               as amount,
    amount_zar::numeric(18, 2)           as amount_zar,
    amount_usd::numeric(18, 2)           as amount_usd,
    fx_rate_missing,
    status::text                         as status,
    created_at::timestamptz              as paid_at,
    local_date                           as paid_date,
    day_of_week,
    is_weekend,
    is_public_holiday
from {{ p }}
where sender_hash is not null
{%- else %}
select null::bigint as payment_id, null::text as sender_hash, null::text as receiver_hash, null::bigint as merchant_id,
       null::text as merchant_category, null::text as country, null::text as currency, null::numeric(18, 2) as amount,
       null::numeric(18, 2) as amount_zar, null::numeric(18, 2) as amount_usd, null::boolean as fx_rate_missing,
       null::text as status, null::timestamptz as paid_at, null::date as paid_date, null::text as day_of_week,
       null::boolean as is_weekend, null::boolean as is_public_holiday
where false
{%- endif %}
