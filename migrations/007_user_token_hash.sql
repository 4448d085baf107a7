-- A user_token is a bearer secret: keep only its SHA-256 (bytea), computed the
-- same way the server computes it (UTF-8 bytes), and look users up by it.
alter table users add column token_hash bytea;
update users set token_hash = sha256(convert_to(user_token, 'UTF8'));
alter table users alter column token_hash set not null;
alter table users add constraint users_token_hash_key unique (token_hash);
alter table users drop column user_token;
