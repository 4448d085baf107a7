#!/usr/bin/env bash
# Stops a cluster (and its pgbouncer) started by up.sh and removes its data: down.sh <url printed by up.sh>
set -euo pipefail
port=$(sed -nE 's#.*@[^:/]+:([0-9]+)/.*#\1#p' <<<"${1:?usage: down.sh <postgres url from up.sh>}")
dir=/tmp/jelly-pg-$port
[[ -d $dir/data ]] || { echo "postgres/down: no cluster at $dir" >&2; exit 1; }
as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }
if [[ -f $dir/pgbouncer.pid ]]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
as_postgres /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -m immediate -w stop >&2 || true
rm -rf "$dir"
