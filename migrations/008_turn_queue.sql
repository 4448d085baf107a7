-- Instances sharing one database: turns of one user run one at a time in
-- arrival order. Each message takes a ticket (ids rise in arrival order per
-- user); the lowest live ticket runs. Holders keep their tickets alive with a
-- heartbeat, so a killed instance's tickets expire by themselves. Unlogged: a
-- crash of the server ends every turn anyway.
create unlogged table turn_queue (
  id bigint generated always as identity primary key,
  -- A hash of the user token, not the token.
  user_key text not null,
  heartbeat_at timestamptz not null default now()
);
create index turn_queue_user_key_id on turn_queue (user_key, id);

-- Ingestion on start takes its lease in the leases table of 006.
