{#- One row per TxTMe! message, metadata only (design §6.5, §8.4 fct_messaging_metadata): hashed conversation and
    sender, detected language, media flag, time. response_time_min: minutes since the message before it in the
    conversation when that one was someone else's (this message answers it); NULL for a follow-up of one's own or a
    conversation's first message. The contract of txtme.user_summary. Built empty with a warning until Anonymise
    has written messaging_db.messages. -#}
{%- set m = source('intermediate', 'messaging_messages') %}
{%- if relation_present(m, 'fct_txtme_messages') %}
with m as (
    select
        message_id::bigint                                              as message_id,
        conversation_hash::text                                         as conversation_hash,
        sender_user_hash::text                                          as user_hash,
        coalesce({{ column_or(m, 'detected_language', 'null') }}::text, 'unknown') as language,
        coalesce({{ column_or(m, 'has_media', 'null') }}::boolean, false) as has_media,
        coalesce({{ column_or(m, 'sent_at', 'null') }}::timestamptz, created_at::timestamptz) as sent_at
    from {{ m }}
),
ordered as (
    select m.*,
        lag(user_hash) over w as previous_sender,
        lag(sent_at) over w   as previous_at
    from m
    window w as (partition by conversation_hash order by sent_at, message_id)
)
select
    message_id, conversation_hash, user_hash, language, has_media, sent_at,
    case when previous_sender is distinct from user_hash and previous_at is not null
         then round((extract(epoch from (sent_at - previous_at)) / 60.0)::numeric, 1) end as response_time_min
from ordered
where user_hash is not null
{%- else %}
select null::bigint as message_id, null::text as conversation_hash, null::text as user_hash, null::text as language,
       null::boolean as has_media, null::timestamptz as sent_at, null::numeric as response_time_min
where false
{%- endif %}
