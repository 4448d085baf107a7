-- Each qa row names the turn it records: the human message (question_id) and
-- Jelly's answer (message_id), so feedback on an answer shows in /messages_answers
-- and a human message gets at most one answer.
alter table qa add column message_id bigint references chat_messages (id) on delete cascade;
alter table qa add column question_id bigint references chat_messages (id) on delete cascade;

-- Rows written before this migration: the answer was stored in the same statement
-- as its qa row, so it has the same timestamp and text. One answer per qa row.
update qa set message_id = pair.answer_id
from (
  select distinct on (m.id) q.id as qa_id, m.id as answer_id
  from qa q
  join chat_messages m on m.message_type = 'jelly' and m.timestamp = q.date and m.content = q.answer
  order by m.id, q.id
) pair
where qa.id = pair.qa_id;

create unique index qa_message_id on qa (message_id);
create unique index qa_question_id on qa (question_id);

-- One rating per answer (only its user may rate it); a new rating replaces it.
create table feedback (
  message_id bigint primary key references chat_messages (id) on delete cascade,
  rating text not null check (rating in ('up', 'down')),
  comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
