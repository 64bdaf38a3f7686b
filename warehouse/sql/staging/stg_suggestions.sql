-- Suggestions (current version of each id). On time = answered (replied, else closed) by the due date;
-- unknown (null) while unanswered or without a due date.
with source as (
    select * from suggestions
),

final as (
    select
        trim(suggestion_id) as suggestion_id,
        channel,
        nullif(trim(deputy_id), '') as deputy_id,
        nullif(trim(home_id), '') as home_id,
        nullif(trim(township_code), '') as township_code,
        category,
        title,
        submitted_on,
        handling_unit,
        due_on,
        replied_on,
        closed_on,
        status,
        satisfaction,
        regulation,
        adopted,
        case
            when due_on is null or coalesce(replied_on, closed_on) is null then null
            else coalesce(replied_on, closed_on) <= due_on
        end as is_on_time
    from source
)

select * from final
