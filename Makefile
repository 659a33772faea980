# Samsa: `make run` starts a single-node broker, `make test` runs every test.
SPEC ?= ../shared/kafka-spec
NODE_MODULES_STAMP := node_modules/.samsa-installed
TEST_FILES ?= $(shell find dist -path '*/test/*' -name '*.test.js' -not -path '*/node_modules/*' 2>/dev/null | sort)

.PHONY: all install system-deps build generate run test bench bench-protocol clean

all: build

# Debian packages the compat tests drive (kcat, Python clients) and the headers node-rdkafka
# needs to build librdkafka with zstd. Installed only when missing, and only as root.
system-deps:
	@bash scripts/system-deps.sh

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: system-deps $(NODE_MODULES_STAMP)

build: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json

generate: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json
	node dist/protocol/generator/main.js $(SPEC)
	npx tsc -p tsconfig.json

run: install build
	bin/samsa start

test: install build
	node scripts/run-tests.js

bench: bench-protocol

bench-protocol: build
	node dist/bench/protocol.js

clean:
	rm -rf dist
