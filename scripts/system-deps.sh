#!/usr/bin/env bash
# Installs the Debian packages Samsa's tests and builds need, when they are missing.
set -u
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
# The Python clients come from PyPI into a venv (compat-tests/python/venv.sh); Debian gives the
# interpreter and its venv module (Debian's venv module lacks ensurepip without python3-venv).
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
dpkg -s libzstd-dev >/dev/null 2>&1 || need+=(libzstd-dev)
dpkg -s liblz4-dev >/dev/null 2>&1 || need+=(liblz4-dev)
# Java and Maven run the reference Kafka broker (compat-tests/reference-kafka).
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# javac builds the compat tests' Java client programs (compat-tests/java).
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "samsa: missing Debian packages: ${need[*]}" >&2
  echo "samsa: run as root, or: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "samsa: installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null || {
  echo "samsa: apt-get could not install ${need[*]}; the compat tests that need them will fail" >&2
  exit 1
}
