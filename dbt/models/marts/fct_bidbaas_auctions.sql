{#- One row per BidBaas auction (design §8.4 "auction × winner-hash × revenue"): seller and winner hashed, bids and
    distinct bidders, the winning bid as revenue in ZAR/USD at the bid's FX rate (from fct_bidbaas_bids, so the
    FX definition stays Enrich's). Built empty with a warning until Anonymise has written the auctions. -#}
{%- set auctions = source('intermediate', 'bidbaas_auctions') %}
{%- set have_auctions = relation_present(auctions, 'fct_bidbaas_auctions') %}
{%- if have_auctions %}
with bids as (
    select
        auction_id,
        count(*)                                         as bid_count,
        count(distinct user_hash)                        as bidder_count,
        max(user_hash) filter (where is_winning)         as winner_hash,
        max(amount_zar) filter (where is_winning)        as revenue_zar,
        max(amount_usd) filter (where is_winning)        as revenue_usd,
        bool_or(fx_rate_missing) filter (where is_winning) as fx_rate_missing
    from {{ ref('fct_bidbaas_bids') }}
    group by auction_id
)
select
    a.auction_id::bigint                 as auction_id,
    a.seller_hash::text                  as seller_hash,
    a.category::text                     as category,
    a.currency::text                     as currency,
    a.status::text                       as status,
    a.start_price::numeric(18, 2)        as start_price,
    a.starts_at::timestamptz             as starts_at,
    a.ends_at::timestamptz               as ends_at,
    coalesce(b.bid_count, 0)::integer    as bid_count,
    coalesce(b.bidder_count, 0)::integer as bidder_count,
    b.winner_hash,
    b.revenue_zar::numeric(18, 2)        as revenue_zar,
    b.revenue_usd::numeric(18, 2)        as revenue_usd,
    coalesce(b.fx_rate_missing, false)   as fx_rate_missing
from {{ auctions }} a
left join bids b on b.auction_id = a.auction_id
{%- else %}
select null::bigint as auction_id, null::text as seller_hash, null::text as category, null::text as currency,
       null::text as status, null::numeric(18, 2) as start_price, null::timestamptz as starts_at,
       null::timestamptz as ends_at, null::integer as bid_count, null::integer as bidder_count, null::text as winner_hash,
       null::numeric(18, 2) as revenue_zar, null::numeric(18, 2) as revenue_usd, null::boolean as fx_rate_missing
where false
{%- endif %}
