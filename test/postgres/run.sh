#!/usr/bin/env bash
# npm run test:postgres [-- tap args]: the tests on a throwaway PostgreSQL 15
# cluster (TEST_DATABASE_URL), stopped afterwards. PG_TEST_PGBOUNCER=1 runs
# them through pgbouncer in transaction mode instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
urls=$(test/postgres/up.sh --pgbouncer)
pg_url=$(sed -n 1p <<<"$urls")
trap 'test/postgres/down.sh "$pg_url"' EXIT
url=$pg_url
[[ ${PG_TEST_PGBOUNCER:-} == 1 ]] && url=$(sed -n 2p <<<"$urls")
TEST_DATABASE_URL=$url npx tap "$@"
