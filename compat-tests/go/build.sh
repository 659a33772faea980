#!/usr/bin/env bash
# Builds the Go client program (main package in this folder: franz-go's kgo and kadm, IBM/sarama)
# that compat-tests/test/go-*.test.ts run against Samsa and the reference Kafka. The binary is
# cached outside the repository under a hash of go.mod, go.sum, the Go sources and the Go
# version, so it is rebuilt only when one of them changes; modules come from the Go module proxy
# into Go's module cache (GOMODCACHE) on the first build, checked against the committed go.sum.
#
# On success prints `GO_CLIENTS_BIN=<path>` and exits 0. When Go or the modules cannot be had
# (no `go` on PATH, a Go older than go.mod asks for, the module proxy unreachable) prints one line
# `go-clients: unavailable: <reason>` to stderr and exits 1; a download failure is remembered for 10
# minutes (--force tries again at once). A compile error exits 2 with the compiler's output.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${SAMSA_GO_CLIENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/samsa/go-clients}
FAILURE_MEMORY_SECONDS=600
DOWNLOAD_TIMEOUT_SECONDS=${SAMSA_GO_CLIENTS_DOWNLOAD_TIMEOUT:-300}
# The committed go.sum is the only source of module checksums; the toolchain named by go.mod is
# never fetched on the fly.
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local

force=0
[ "${1:-}" = --force ] && force=1

# A failure to fetch modules is remembered (a second wait for an unreachable proxy would only
# repeat it); a missing or broken Go is not, so installing Go takes effect at once.
fail() {
  local reason="go-clients: unavailable: $1"
  mkdir -p "$CACHE/$hash" 2>/dev/null && echo "$reason" >"$FAILURE_FILE"
  echo "$reason" >&2
  exit 1
}

fail_now() {
  echo "go-clients: unavailable: $1" >&2
  exit 1
}

command -v go >/dev/null 2>&1 || fail_now "no go on PATH (the Go client tests need Go $(sed -n 's/^go //p' "$HERE/go.mod")+)"
go_version=$(go env GOVERSION 2>/dev/null) || fail_now "go env GOVERSION failed"
hash=$({ echo "$go_version"; cd "$HERE" && cat go.mod go.sum $(ls ./*.go | sort); } | sha256sum | cut -c1-16)
bin=$CACHE/$hash/samsa-go-clients
# Remembered per hash: another Go version or changed sources try again at once.
FAILURE_FILE=$CACHE/$hash/last-failure
if [ -x "$bin" ]; then
  touch "$CACHE/$hash"
  echo "GO_CLIENTS_BIN=$bin"
  exit 0
fi

if [ $force = 0 ] && [ -s "$FAILURE_FILE" ]; then
  age=$(($(date +%s) - $(stat -c %Y "$FAILURE_FILE")))
  if [ $age -lt $FAILURE_MEMORY_SECONDS ]; then
    echo "$(cat "$FAILURE_FILE") (${age}s ago; --force to retry now)" >&2
    exit 1
  fi
fi

mkdir -p "$CACHE/$hash" || fail_now "cannot create $CACHE/$hash"
start=$(date +%s)
echo "go-clients: building with $go_version (modules from the Go module proxy on the first build)" >&2
log=$CACHE/$hash/download.log
if ! (cd "$HERE" && timeout "$DOWNLOAD_TIMEOUT_SECONDS" go mod download -x) >"$log" 2>&1; then
  why=$(grep -v '^#\|^mkdir\|^cp\|^mv\|^rm' "$log" | grep -m1 -i 'go:\|error\|requires\|dial\|timeout' | cut -c1-300)
  fail "go mod download failed: ${why:-see $log}"
fi
tmp=$bin.$$.tmp
if ! (cd "$HERE" && go build -o "$tmp" .) >&2; then
  rm -f "$tmp"
  echo "go-clients: go build failed in $HERE" >&2
  exit 2
fi
mv "$tmp" "$bin"
rm -f "$FAILURE_FILE"
# Builds of older sources not used for a week (other clones may still use recent ones).
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null
echo "go-clients: built in $(($(date +%s) - start)) s" >&2
echo "GO_CLIENTS_BIN=$bin"
