#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + pgvector cluster on 127.0.0.1 for the tests.
# Installs what is missing (quick when everything is there), starts a cluster
# as the postgres user with its data in a temp folder on a free port, and
# prints its URL on stdout; with --pgbouncer, a second line: the URL of
# Debian's pgbouncer in transaction mode in front of it. Everything else goes
# to stderr. Stop it with test/postgres/down.sh <url>.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PG_BIN/pg_config
with_pgbouncer=0
[[ "${1:-}" == "--pgbouncer" ]] && with_pgbouncer=1

say() { echo "postgres/up: $*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq "$@" >&2; }

install_missing() {
  local need=()
  [[ -x $PG_BIN/postgres ]] || need+=(postgresql-15)
  if ((with_pgbouncer)) && ! command -v pgbouncer >/dev/null; then need+=(pgbouncer); fi
  if ((${#need[@]})); then
    say "installing ${need[*]}"
    apt_get update
    apt_get install -y "${need[@]}"
  fi
  # pgbouncer's package starts a system service on port 6432; ours runs on its own port.
  if ((with_pgbouncer)) && command -v systemctl >/dev/null && systemctl is-active --quiet pgbouncer 2>/dev/null; then as_root systemctl stop pgbouncer || true; fi
  [[ -f "$($PG_CONFIG --sharedir)/extension/vector.control" ]] || build_pgvector
}

# Bookworm has no pgvector for PostgreSQL 15 binaries; trixie's source package builds against it.
build_pgvector() {
  say "building pgvector from Debian trixie's source package"
  local list=/etc/apt/sources.list.d/jelly-trixie-src.sources
  if [[ ! -f $list ]]; then
    # The same archive host as the existing sources (a mirror or deb.debian.org).
    local host
    host=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -nE 's#^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^[:space:]]*/debian)/?([[:space:]].*)?$#\3#p' | head -1 || true)
    host=${host:-http://deb.debian.org/debian}
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$host" | as_root tee $list >/dev/null
  fi
  apt_get update
  apt_get install -y postgresql-server-dev-15 build-essential dpkg-dev
  local work
  work=$(mktemp -d)
  (cd "$work" && apt-get source -qq pgvector >&2)
  local src
  src=$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)
  [[ -n $src ]] || { say "apt-get source pgvector found nothing"; exit 1; }
  make -s -C "$src" PG_CONFIG=$PG_CONFIG >&2
  as_root make -s -C "$src" PG_CONFIG=$PG_CONFIG install >&2
  rm -rf "$work"
}

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }

install_missing

port=$(free_port)
dir=/tmp/jelly-pg-$port
password=$(node -e "console.log(require('crypto').randomBytes(12).toString('hex'))")
rm -rf "$dir"
mkdir -p "$dir"
echo "$password" >"$dir/password"
chown -R postgres:postgres "$dir" 2>/dev/null || true
chmod 700 "$dir"
as_postgres $PG_BIN/initdb -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/password" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# Throwaway data: no fsync; enough connections for parallel test files, each with its own pools.
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 64MB
fsync = off
full_page_writes = off
CONF
# TLS with a throwaway self-signed certificate, for sslmode=require.
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >/dev/null 2>&1
  chown postgres:postgres "$dir/data/server.key" "$dir/data/server.crt" 2>/dev/null || true
  chmod 600 "$dir/data/server.key"
  echo "ssl = on" >>"$dir/data/postgresql.conf"
fi
as_postgres $PG_BIN/pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start >&2
echo "postgres://postgres:$password@127.0.0.1:$port/postgres"

if ((with_pgbouncer)); then
  bport=$(free_port)
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 100
ignore_startup_parameters = extra_float_digits
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
  echo "\"postgres\" \"$password\"" >"$dir/userlist.txt"
  echo "$bport" >"$dir/pgbouncer.port"
  chown postgres:postgres "$dir"/pgbouncer.ini "$dir"/userlist.txt "$dir"/pgbouncer.port 2>/dev/null || true
  as_postgres pgbouncer -d "$dir/pgbouncer.ini" >&2
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$bport) 2>/dev/null && break; sleep 0.1; done
  echo "postgres://postgres:$password@127.0.0.1:$bport/postgres?pgbouncer=true"
fi
