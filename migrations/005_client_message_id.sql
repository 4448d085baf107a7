-- The client's own id for a human message: a retry with the same id returns the
-- stored answer instead of running the turn again.
alter table chat_messages add column client_message_id text;
create unique index chat_messages_client_message_id on chat_messages (user_id, client_message_id) where client_message_id is not null;
