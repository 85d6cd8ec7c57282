#!/usr/bin/env bash
# The main job: the clinical record service on embedded SQLite (./var/), with a demo clinic.
# Migrates the database, creates (or re-keys) the demo logins and patients through the
# same use cases as real records, prints the address and the logins, then serves on
# 127.0.0.1:8000 until stopped (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
export CRYOTX_DATA_DIR="${CRYOTX_DATA_DIR:-$PWD/var}"
host="${CRYOTX_HOST:-127.0.0.1}"
port="${CRYOTX_PORT:-8000}"
.venv/bin/cryotx db upgrade
.venv/bin/cryotx demo
echo
echo "CryoTx is serving on http://$host:$port/  (API: http://$host:$port/api/, database: $CRYOTX_DATA_DIR)"
echo "Stop with Ctrl-C."
exec .venv/bin/cryotx serve --host "$host" --port "$port"
