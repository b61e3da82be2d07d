#!/usr/bin/env bash
# Installs the Debian packages opsdeck's demo and tests need, when they are missing.
# Safe to run repeatedly: it does nothing when everything is present.
#
# Services are never started by the install (a temporary policy-rc.d refuses it):
# opsdeck starts its own servers on free loopback ports and never uses default ports.
set -euo pipefail

# binary -> Debian package
declare -A want=(
  [postgres]=postgresql
  [psql]=postgresql-client
  [redis-server]=redis-server
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [alembic]=alembic
  [pgbouncer]=pgbouncer
  [tmux]=tmux
  [victoria-metrics]=victoria-metrics
  [vmalert]=victoria-metrics
)
# Python modules alembic migrations and the Celery workers need (checked with Debian's python3).
declare -A want_py=([psycopg2]=python3-psycopg2 [celery]=python3-celery [redis]=python3-redis [gevent]=python3-gevent)
# squawk, the migration linter the preflight's tests check their verdicts
# against, comes from npm (squawk-cli).
if [[ "${1:-}" == "--squawk" ]]; then
  want[npm]=npm
fi
# Only for `make screenshots`.
if [[ "${1:-}" == "--screenshots" ]]; then
  want[rsvg-convert]=librsvg2-bin
  want[fc-match]=fontconfig
fi

have_postgres() {
  command -v postgres >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

missing=()
for bin in "${!want[@]}"; do
  if [[ $bin == postgres ]]; then have_postgres && continue
  elif [[ $bin == pgbouncer ]]; then
    command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]] && continue
  else command -v "$bin" >/dev/null 2>&1 && continue
  fi
  missing+=("${want[$bin]}")
done
# As root, the harness runs PostgreSQL as the "postgres" user the package creates.
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
for mod in "${!want_py[@]}"; do
  /usr/bin/python3 -c "import $mod" >/dev/null 2>&1 || missing+=("${want_py[$mod]}")
done
if [[ "${1:-}" == "--screenshots" ]] && ! fc-list 2>/dev/null | grep -qi 'DejaVu Sans Mono'; then
  missing+=(fonts-dejavu-core)
fi

# squawk_cli installs squawk from npm when it is asked for and missing.
squawk_cli() {
  [[ "${1:-}" == "--squawk" ]] || return 0
  command -v squawk >/dev/null 2>&1 && return 0
  local s=""
  [[ $(id -u) -ne 0 ]] && s="sudo"
  echo "opsdeck: installing squawk-cli 2.66.0 from npm (the preflight tests' oracle)" >&2
  $s npm install -g --no-audit --no-fund --loglevel=error squawk-cli@2.66.0 >/dev/null
  command -v squawk >/dev/null 2>&1 || { echo "opsdeck: npm installed squawk-cli but squawk is not on PATH" >&2; exit 1; }
}

if [[ ${#missing[@]} -eq 0 ]]; then
  squawk_cli "${1:-}"
  exit 0
fi
# De-duplicate while keeping order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "opsdeck: missing Debian packages: ${missing[*]}" >&2
    echo "opsdeck: install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "opsdeck: missing packages: ${missing[*]} (no apt-get here: install their equivalents by hand)" >&2
  exit 1
fi

echo "opsdeck: installing Debian packages: ${missing[*]}" >&2
policy=/usr/sbin/policy-rc.d
placed_policy=""
if [[ ! -e $policy ]]; then
  # Keep the packages' services (postgres on 5432, redis on 6379, ...) from starting.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  placed_policy=1
fi
cleanup() { [[ -n $placed_policy ]] && $sudo rm -f "$policy"; true; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "opsdeck: installed ${missing[*]}" >&2
# victoria-metrics enables a unit that would hold port 8428 from the next boot.
if [[ " ${missing[*]} " == *" victoria-metrics "* ]] && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now victoria-metrics >/dev/null 2>&1 || true
fi
squawk_cli "${1:-}"
