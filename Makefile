# Samsa: `make run` starts a single-node broker, `make test` runs every test.
SPEC ?= ../shared/kafka-spec
NODE_MODULES_STAMP := node_modules/.samsa-installed

.PHONY: all install system-deps reference-kafka python-clients go-clients test-clients build generate run test fuzz fuzz-diff bench bench-compare bench-protocol bench-storage clean

all: build

# Debian packages the compat tests drive (kcat, python3-venv for the Python clients' venv, Java
# and Maven for the reference Kafka) and the headers node-rdkafka needs to build librdkafka with
# zstd. Installed only when missing, and only as root.
system-deps:
	@bash scripts/system-deps.sh

# A real Apache Kafka (pinned in compat-tests/reference-kafka/fetch.sh) for the compat tests that
# compare Samsa with it: resolved with mvn from Maven Central once, then reused from Maven's local
# repository. When it cannot be had, fetch.sh says why in one line and those tests skip with that
# reason, so the other tests still run.
reference-kafka:
	@bash compat-tests/reference-kafka/fetch.sh >/dev/null || true

# The Python clients the compat suites drive (compat-tests/python/requirements.txt: confluent-kafka,
# kafka-python, aiokafka, pinned) installed from PyPI into a venv under ~/.cache/samsa, once, then
# reused while its stamp matches. When it cannot be had, venv.sh says why in one line and the
# Python suites skip with that reason.
python-clients:
	@bash compat-tests/python/venv.sh >/dev/null || true

# The Go client program of the compat tests (compat-tests/go: franz-go, sarama), built once into a
# cache keyed by its sources; the first build downloads its modules from the Go module proxy. When
# Go or the modules cannot be had, build.sh says why in one line and those tests skip with it.
go-clients:
	@bash compat-tests/go/build.sh >/dev/null || true

# What the compat suites drive besides npm packages, fetched side by side (each takes up to a
# minute or more on a fresh machine): the reference Kafka's jars, the Python venv, the Go program.
test-clients:
	@bash compat-tests/reference-kafka/fetch.sh >/dev/null & \
	bash compat-tests/python/venv.sh >/dev/null & \
	bash compat-tests/go/build.sh >/dev/null & \
	wait; true

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: system-deps $(NODE_MODULES_STAMP)

# tsc's output is what tests and the library import; the CLI runs one CommonJS bundle of it,
# which with V8's code cache (bin/samsa) loads in a fraction of the time of ~300 separate ES
# modules (start-up is a feature).
build: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json
	npx esbuild dist/broker/cli.js --bundle --platform=node --format=cjs --target=node20 \
		--outfile=dist/samsa.cjs --log-level=warning \
		--external:lz4-napi --external:snappy --external:zstd-napi --external:@node-rs/crc32 \
		--define:import.meta.url=__samsaModuleUrl \
		--banner:js="const __samsaModuleUrl = require('node:url').pathToFileURL(__filename).href;"
	rm -f dist/samsa.cjs.cache dist/samsa.mjs

generate: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json
	node dist/protocol/generator/main.js $(SPEC)
	npx tsc -p tsconfig.json

run: install build
	bin/samsa start

test: install build test-clients
	node scripts/run-tests.js

# The request fuzzer (compat-tests/fuzz) against a fresh broker for ten minutes; `make test` runs
# it for under a minute. FUZZ_ARGS e.g. '--seed 123 --seconds 3600'; SAMSA_FUZZ_SEED works too.
fuzz: build
	node dist/compat-tests/fuzz/cli.js --seconds 600 $(FUZZ_ARGS)

# Randomised differential run against the reference Kafka: seeded request sequences, each answer
# compared with Samsa's (compat-tests/differential/fuzz.ts). Bounded by SAMSA_FUZZ_SECONDS (default
# 300) after both brokers started; prints the seed of any difference; SAMSA_FUZZ_SEED=<n> replays it.
fuzz-diff: build reference-kafka
	node dist/compat-tests/differential/fuzz.js

# The end-to-end suite against a fresh broker with node-rdkafka load (bench/suite.ts; writes
# bench/results.md; BENCH_ARGS e.g. '--runs 2', '--bootstrap host:port' or '--compare-kafka'), then the others.
bench: build
	node dist/bench/suite.js $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-protocol bench-storage

# Samsa next to the reference Apache Kafka (default settings), the same phases on both, interleaved
# per round, with node-rdkafka and Kafka's Java perf tools as load generators; ratios go to
# bench/results.md (bench/compare.ts; same as `make bench BENCH_ARGS=--compare-kafka` without the
# protocol and storage benches).
bench-compare: build reference-kafka
	node dist/bench/suite.js --compare-kafka $(BENCH_ARGS)

bench-protocol: build
	node dist/bench/protocol.js

# Storage engine without the network: append (fsync off, group commit, fsync per batch), cold
# fetch, start-up of 1,000 partitions. Uses a temp dir under $$TMPDIR; see bench/storage.ts.
bench-storage: build
	node dist/bench/storage.js

clean:
	rm -rf dist
