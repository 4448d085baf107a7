create table users (
  user_id bigint generated always as identity primary key,
  user_token text not null unique,
  created_at timestamptz not null default now()
);

create table chat_messages (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (user_id) on delete cascade,
  message_type text not null check (message_type in ('human', 'jelly', 'tool')),
  content text not null,
  application text,
  timestamp timestamptz not null default now()
);

-- /history and the agent's memory window read one user's messages in order.
create index chat_messages_user_id_id on chat_messages (user_id, id);
-- /human_message_count counts human messages only.
create index chat_messages_human on chat_messages (id) where message_type = 'human';

create table qa (
  id bigint generated always as identity primary key,
  date timestamptz not null default now(),
  question text not null,
  answer text not null
);
-- /messages_answers pages newest first on the primary key.
