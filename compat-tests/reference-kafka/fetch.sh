#!/usr/bin/env bash
# Resolves Apache Kafka (the broker, kafka_2.13, the CLI tools, kafka-tools, and Kafka Streams) and their runtime
# dependencies from Maven Central with `mvn`, for the compat tests that use a real Kafka broker as
# the reference. The jars stay in Maven's local repository (~/.m2/repository); the cache folder
# holds the generated pom and the resolved classpath, so repeated runs (and every clone on this
# machine) reuse one download.
#
# On success prints `KAFKA_VERSION=...`, `CLASSPATH_FILE=...` and `CACHE_DIR=...` (where the
# harness also keeps its class-data sharing archives) and exits 0. On failure prints
# one line `reference-kafka: unavailable: <reason>` to stderr and exits 1; the failure is
# remembered for 10 minutes so one test run does not wait for an unreachable registry twice
# (--force tries again at once).
set -u

KAFKA_VERSION=4.1.1
# Kafka's own distribution ships this log4j2 with the SLF4J 1.7 binding (the broker logs through
# SLF4J); kafka_2.13's pom does not declare the binding.
LOG4J_VERSION=2.24.3
DEPENDENCY_PLUGIN_VERSION=3.8.1
FAILURE_MEMORY_SECONDS=600
MVN_TIMEOUT_SECONDS=${SAMSA_REFERENCE_KAFKA_MVN_TIMEOUT:-300}

CACHE=${SAMSA_REFERENCE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/samsa/reference-kafka/$KAFKA_VERSION}
# Bumped whenever the dependency list below changes, so a classpath resolved for an older list is
# not reused.
DEPENDENCY_SET=2
CLASSPATH_FILE=$CACHE/classpath-$DEPENDENCY_SET.txt
FAILURE_FILE=$CACHE/last-failure

force=0
[ "${1:-}" = --force ] && force=1

ok() {
  echo "KAFKA_VERSION=$KAFKA_VERSION"
  echo "CLASSPATH_FILE=$CLASSPATH_FILE"
  echo "CACHE_DIR=$CACHE"
  exit 0
}

fail() {
  local reason="reference-kafka: unavailable: $1"
  mkdir -p "$CACHE" 2>/dev/null && echo "$reason" >"$FAILURE_FILE"
  echo "$reason" >&2
  exit 1
}

# Every jar on the cached classpath still exists (Maven's repository may have been cleaned).
cached() {
  [ -s "$CLASSPATH_FILE" ] || return 1
  local jars j
  IFS=: read -r -a jars <"$CLASSPATH_FILE"
  [ ${#jars[@]} -gt 0 ] || return 1
  for j in "${jars[@]}"; do [ -f "$j" ] || return 1; done
}

cached && ok

if [ $force = 0 ] && [ -s "$FAILURE_FILE" ]; then
  age=$(($(date +%s) - $(stat -c %Y "$FAILURE_FILE")))
  if [ $age -lt $FAILURE_MEMORY_SECONDS ]; then
    echo "$(cat "$FAILURE_FILE") (${age}s ago; --force to retry now)" >&2
    exit 1
  fi
fi

command -v java >/dev/null 2>&1 || fail "no java on PATH (Kafka $KAFKA_VERSION needs Java 17+; run make system-deps)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
case "$java_major" in
  '' | 1.* | 9 | 1[0-6]) fail "java ${java_major:-of unknown version} is too old (Kafka $KAFKA_VERSION needs Java 17+)" ;;
esac
command -v mvn >/dev/null 2>&1 || fail "no mvn on PATH (needed to resolve Kafka $KAFKA_VERSION from Maven Central; run make system-deps)"

mkdir -p "$CACHE" || fail "cannot create $CACHE"
cat >"$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.compat</groupId>
  <artifactId>reference-kafka</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>$DEPENDENCY_PLUGIN_VERSION</version></plugin>
    </plugins>
  </build>
</project>
POM

resolve() {
  rm -f "$CLASSPATH_FILE.tmp"
  timeout "$MVN_TIMEOUT_SECONDS" mvn -B -q -f "$CACHE/pom.xml" \
    -Dmaven.wagon.http.retryHandler.count=3 -Dmaven.wagon.rto=120000 \
    dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$CLASSPATH_FILE.tmp" \
    >"$CACHE/mvn.log" 2>&1
}

echo "reference-kafka: resolving Apache Kafka $KAFKA_VERSION with mvn into Maven's local repository (once)" >&2
start=$(date +%s)
if ! resolve; then
  echo "reference-kafka: mvn failed, retrying once in 5 s" >&2
  sleep 5
  if ! resolve; then
    why=$(grep -m1 '\[ERROR\]' "$CACHE/mvn.log" | sed 's/^\[ERROR\] *//' | cut -c1-300)
    fail "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION: ${why:-see $CACHE/mvn.log}"
  fi
fi
mv "$CLASSPATH_FILE.tmp" "$CLASSPATH_FILE"
rm -f "$FAILURE_FILE"
cached || fail "the resolved classpath names missing jars (see $CACHE/mvn.log)"
echo "reference-kafka: resolved in $(($(date +%s) - start)) s" >&2
ok
