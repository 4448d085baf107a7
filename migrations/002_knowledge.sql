create extension if not exists vector;

-- One row: which embedder built the base. The embedding column gets its fixed
-- dimension (and its HNSW index) when a base is first built with an embedder.
create table kb_meta (
  id boolean primary key default true check (id),
  embedder text not null,
  dimension int not null,
  -- Document frequencies of hashed terms for embedders that weight queries by
  -- rarity (the local one), with the number of chunks counted.
  term_df bytea,
  term_chunks int not null default 0,
  updated_at timestamptz not null default now()
);

create table kb_documents (
  id bigint generated always as identity primary key,
  -- The folder, sitemap or page URL the document was ingested from; pages gone
  -- from an origin are removed when it is ingested again.
  origin text not null,
  source text not null,
  title text not null,
  url text not null,
  lang text not null,
  content_hash text not null,
  updated_at timestamptz not null default now(),
  unique (origin, source)
);

create table kb_chunks (
  id bigint generated always as identity primary key,
  document_id bigint not null references kb_documents (id) on delete cascade,
  ordinal int not null,
  heading text not null,
  url text not null,
  content text not null,
  lang text not null,
  tsv tsvector not null,
  embedding vector not null
);

create index kb_chunks_document on kb_chunks (document_id);

-- In how many chunks each full-text lexeme occurs: the search leaves out words
-- too common to tell pages apart (and too costly to rank at 100k chunks).
create table kb_lexemes (
  lexeme text primary key,
  chunks int not null
);
create index kb_chunks_tsv on kb_chunks using gin (tsv);

-- Full-text configuration per page language: stemming for English and German.
create function kb_ts_config(lang text) returns regconfig
language sql immutable parallel safe
as $$ select case when lang like 'de%' then 'german'::regconfig when lang like 'en%' then 'english'::regconfig else 'simple'::regconfig end $$;
