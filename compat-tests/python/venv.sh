#!/usr/bin/env bash
# Creates the virtualenv the Python compat suites run in: the Debian interpreter's venv module
# (/usr/bin/python3, whatever python3 comes first on PATH) with the clients pinned in
# requirements.txt beside this script, installed from PyPI as wheels. The venv lives outside the
# repository and is reused while its stamp (requirements.txt and the interpreter's version)
# matches; a change of either rebuilds it.
#
# On success prints `PYTHON=<the venv's interpreter>` and exits 0; the tests run the suites with
# that interpreter by absolute path. On failure prints one line
# `python-clients: unavailable: <reason>` to stderr and exits 1; the failure is remembered for
# 10 minutes so one test run does not wait for an unreachable registry twice (--force tries
# again at once).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REQUIREMENTS=$HERE/requirements.txt
BASE_PYTHON=/usr/bin/python3
VENV=${SAMSA_PYTHON_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/samsa/python-venv}
PYTHON=$VENV/bin/python
STAMP=$VENV/.samsa-stamp
FAILURE_FILE=$VENV.last-failure
LOCK_FILE=$VENV.lock
FAILURE_MEMORY_SECONDS=600
# pip's own default waits 15 s per connection and retries 5 times; a registry that cannot be
# reached should cost well under a minute.
PIP_NETWORK=(--timeout 20 --retries 1)

force=0
[ "${1:-}" = --force ] && force=1

ok() {
  echo "PYTHON=$PYTHON"
  exit 0
}

fail() {
  local reason="python-clients: unavailable: $1"
  echo "$reason" >"$FAILURE_FILE" 2>/dev/null
  echo "$reason" >&2
  exit 1
}

expected_stamp() {
  cat "$REQUIREMENTS"
  echo "# base interpreter: $("$BASE_PYTHON" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)"
}

current() {
  [ -x "$PYTHON" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(expected_stamp)" ]
}

[ -f "$REQUIREMENTS" ] || fail "$REQUIREMENTS is missing"
[ -x "$BASE_PYTHON" ] || fail "$BASE_PYTHON not found (run make system-deps)"
current && ok

mkdir -p "$(dirname "$VENV")" || fail "cannot create $(dirname "$VENV")"
# One builder at a time; a second caller waits for the first and then reuses its venv.
exec 9>"$LOCK_FILE" || fail "cannot open $LOCK_FILE"
flock -w 900 9 || fail "another venv.sh held $LOCK_FILE for 15 minutes"
current && ok

if [ $force = 0 ] && [ -s "$FAILURE_FILE" ]; then
  age=$(($(date +%s) - $(stat -c %Y "$FAILURE_FILE")))
  if [ $age -lt $FAILURE_MEMORY_SECONDS ]; then
    echo "$(cat "$FAILURE_FILE") (${age}s ago; --force to retry now)" >&2
    exit 1
  fi
fi

"$BASE_PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 ||
  fail "$BASE_PYTHON cannot create a venv with pip (Debian package python3-venv; run make system-deps)"

LOG=$VENV.log
echo "python-clients: creating $VENV with $(grep -E '^[a-z].*==' "$REQUIREMENTS" | head -3 | tr '\n' ' ')from PyPI (once)" >&2
start=$(date +%s)
rm -rf "$VENV"
if ! "$BASE_PYTHON" -m venv "$VENV" >"$LOG" 2>&1; then
  rm -rf "$VENV"
  fail "$BASE_PYTHON -m venv failed: $(tail -n 1 "$LOG" | cut -c1-300)"
fi
# Wheels only: nothing is compiled here, so no compiler or headers are needed.
if ! "$PYTHON" -m pip install --disable-pip-version-check --no-input --only-binary=:all: "${PIP_NETWORK[@]}" \
  -r "$REQUIREMENTS" >>"$LOG" 2>&1; then
  why=$(grep -E '^ERROR' "$LOG" | tail -n 1 | cut -c1-200)
  [ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$LOG" | tail -n 1 | cut -c1-200)
  grep -qE 'NewConnectionError|Failed to establish|Name or service not known|timed out' "$LOG" &&
    why="the registry did not answer; $why"
  rm -rf "$VENV"
  fail "pip could not install compat-tests/python/requirements.txt from PyPI: $why (log: $LOG)"
fi
if ! "$PYTHON" -c 'import confluent_kafka, kafka, aiokafka, lz4, snappy, zstandard, cramjam' >>"$LOG" 2>&1; then
  why=$(tail -n 1 "$LOG" | cut -c1-300)
  rm -rf "$VENV"
  fail "the installed clients do not import: $why"
fi
expected_stamp >"$STAMP"
rm -f "$FAILURE_FILE"
echo "python-clients: created in $(($(date +%s) - start)) s" >&2
ok
