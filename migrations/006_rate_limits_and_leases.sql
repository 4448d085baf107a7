-- Rate-limit counters shared by every instance: one row per key and fixed
-- window, bumped by a single upsert per check (safe through a transaction pooler).
create table rate_limit_counters (
  key text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (key, window_start)
);
-- Old windows are swept by age.
create index rate_limit_counters_window_start on rate_limit_counters (window_start);

-- Leases for work that one instance at a time should do (wiki ingestion, on
-- start and scheduled; db/leases.ts): taken and released by single statements,
-- they expire if the holder dies and need no session (unlike advisory locks behind a pooler).
create table leases (
  name text primary key,
  holder text not null,
  expires_at timestamptz not null
);
