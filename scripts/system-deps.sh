#!/usr/bin/env bash
# Installs the Debian packages Samsa's tests and builds need, when they are missing.
set -u
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || need+=(python3-kafka)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || need+=(python3-confluent-kafka)
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
