{#- One row per BidBaas bid (design §8.4): hashed bidder, the auction's category, the amount in its currency and in
    ZAR/USD (intermediate.enr_bidbaas_bids, src/enrich/martInputs.ts), whether it won. The contract of the
    bidbaas.* push-back targets (auction_id, user_hash, category, amount_zar, is_winning, bid_at). Built empty with
    a warning until Anonymise and Enrich have written the bids. -#}
{%- set bids = source('intermediate', 'enr_bidbaas_bids') %}
{%- set auctions = source('intermediate', 'bidbaas_auctions') %}
{%- set winners = source('intermediate', 'bidbaas_winners') %}
{%- set have_bids = relation_present(bids, 'fct_bidbaas_bids') %}
{%- set have_auctions = (load_relation(auctions) is not none) if execute else true %}
{%- set have_winners = (load_relation(winners) is not none) if execute else true %}
{%- if have_bids %}
select
    b.bid_id::bigint                                as bid_id,
    b.auction_id::bigint                            as auction_id,
    b.user_hash::text                               as user_hash,
    {%- if have_auctions %}
    coalesce(a.category::text, 'unknown')           as category,
    {%- else %}
    'unknown'::text                                 as category,
    {%- endif %}
    b.currency::text                                as currency,
    b.amount::numeric(18, 2)                        as amount,
    b.amount_zar::numeric(18, 2)                    as amount_zar,
    b.amount_usd::numeric(18, 2)                    as amount_usd,
    b.fx_rate_missing,
    {%- if have_winners %}
    (w.bid_id is not null)                          as is_winning,
    {%- else %}
    false                                           as is_winning,
    {%- endif %}
    b.created_at::timestamptz                       as bid_at,
    b.local_date                                    as bid_date,
    b.day_of_week,
    b.is_weekend,
    b.is_public_holiday
from {{ bids }} b
{%- if have_auctions %}
left join {{ auctions }} a on a.auction_id = b.auction_id
{%- endif %}
{%- if have_winners %}
left join {{ winners }} w on w.bid_id = b.bid_id
{%- endif %}
where b.user_hash is not null
{%- else %}
select null::bigint as bid_id, null::bigint as auction_id, null::text as user_hash, null::text as category,
       null::text as currency, null::numeric(18, 2) as amount, null::numeric(18, 2) as amount_zar,
       null::numeric(18, 2) as amount_usd, null::boolean as fx_rate_missing, null::boolean as is_winning,
       null::timestamptz as bid_at, null::date as bid_date, null::text as day_of_week, null::boolean as is_weekend,
       null::boolean as is_public_holiday
where false
{%- endif %}
