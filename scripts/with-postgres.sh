#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on a private socket and port, run the given
# command with CRYOTX_TEST_POSTGRES_URL pointing at it, then stop and remove the cluster.
set -euo pipefail
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  echo "with-postgres: no PostgreSQL server installed (run 'make debs')" >&2
  exit 1
fi
workdir=$(mktemp -d /tmp/cryotx-pg.XXXXXX)
chmod 755 "$workdir"
# A free loopback port unless one is given, so that several runs can share a machine.
port=${CRYOTX_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$workdir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT
"${run_as[@]}" "$pg_bin/initdb" -D "$workdir/data" -U cryotx --auth=trust -E UTF8 >/dev/null
"${run_as[@]}" "$pg_bin/pg_ctl" -D "$workdir/data" -l "$workdir/log" -w \
  -o "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null || {
  echo "with-postgres: the server did not start; its log:" >&2
  cat "$workdir/log" >&2
  exit 1
}
"${run_as[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U cryotx cryotx_test
export CRYOTX_TEST_POSTGRES_URL="postgresql+psycopg://cryotx@127.0.0.1:$port/cryotx_test"
set +e
"$@"
status=$?
set -e
exit $status
