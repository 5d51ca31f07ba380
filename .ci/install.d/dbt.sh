#!/usr/bin/env bash
# Installs dbt Core with the Postgres adapter into the project virtualenv .venv/ (gitignored), which is where
# src/dbt looks for `dbt` by default (DWH_DBT_BIN overrides). Idempotent: a .venv whose dbt already reports the
# pinned versions is left alone, so re-running .ci/run costs a second, not a minute.
# Pins: dbt-core 1.9 / dbt-postgres 1.9 are the newest pair whose wheels install on Python 3.11 without a compiler
# (psycopg2-binary ships manylinux wheels) and whose run_results.json / JSON log schema src/dbt parses.
set -euo pipefail
cd "$(dirname "$0")/../.."

DBT_CORE_VERSION="1.9.8"
DBT_POSTGRES_VERSION="1.9.1"
VENV=".venv"

pick_python() {
  for candidate in python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] < (3, 13) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ -x "$VENV/bin/dbt" ] && "$VENV/bin/pip" freeze 2>/dev/null | grep -qx "dbt-core==$DBT_CORE_VERSION" &&
  "$VENV/bin/pip" freeze 2>/dev/null | grep -qx "dbt-postgres==$DBT_POSTGRES_VERSION"; then
  echo "dbt $DBT_CORE_VERSION with dbt-postgres $DBT_POSTGRES_VERSION already in $VENV"
  exit 0
fi

PY="$(pick_python || true)"
if [ -z "$PY" ] || ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  # Fresh Debian: python3 may be missing, or present without venv/ensurepip (split into python3-venv).
  export DEBIAN_FRONTEND=noninteractive
  flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 update -qq
  flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3 python3-venv python3-pip >/dev/null
  PY="$(pick_python)" || { echo "no Python 3.9-3.12 available for dbt" >&2; exit 1; }
fi

rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "dbt-core==$DBT_CORE_VERSION" "dbt-postgres==$DBT_POSTGRES_VERSION"
"$VENV/bin/dbt" --version
