# irisctl — common tasks. `make help` lists them.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/irisctl

.PHONY: help build test test-unit check bench-go bundles goldens kafka-up kafka-down demo release-check snapshot generate fuzz

help: ## list targets
	@grep -hE '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## build bin/irisctl
	$(GO) build -trimpath -o $(BIN) ./cmd/irisctl

test: ## the full test suite: starts the local Kafka broker, then go test ./...
	scripts/test.sh

test-unit: ## tests that need no broker (Kafka tests skip outside CI)
	$(GO) test -count=1 ./...

check: ## gofmt and go vet
	@out=$$(gofmt -l cmd pkg bundles bench); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

bench-go: ## Go benchmarks of the runtime and scorer (-benchmem)
	$(GO) test -run XXX -bench . -benchmem ./pkg/mleap ./pkg/score

fuzz: ## fuzz the bundle loader for a minute each
	$(GO) test -run XXX -fuzz FuzzOpenZip -fuzztime 60s ./pkg/bundle
	$(GO) test -run XXX -fuzz FuzzModelJSON -fuzztime 60s ./pkg/bundle

bundles: ## retrain bundles/iris-rf* with real Spark + MLeap and rewrite the Spark golden file
	scripts/train.sh

goldens: ## rewrite the MLeap-runtime golden files and the protobuf bundle (after `make bundles`)
	scripts/mleap-oracle.sh convert --bundle bundles/iris-rf --format protobuf --out bundles/iris-rf-pb
	scripts/mleap-oracle.sh score --bundle bundles/iris-rf --input testdata/iris/iris.csv --output testdata/iris/mleap-golden.jsonl
	scripts/mleap-oracle.sh score --bundle bundles/iris-rf.zip --input testdata/iris/iris.csv --output testdata/iris/mleap-golden-zip.jsonl
	scripts/mleap-oracle.sh score --bundle bundles/iris-rf-pb --input testdata/iris/iris.csv --output testdata/iris/mleap-golden-pb.jsonl
	scripts/mleap-oracle.sh score --bundle ../shared/reference/seed-iris-bundle --input testdata/seed/vectors.csv --output testdata/seed/mleap-golden.jsonl
	scripts/mleap-oracle.sh score --bundle ../shared/reference/seed-iris-bundle --input testdata/iris/iris.csv --output testdata/seed/mleap-golden-iris.jsonl

kafka-up: ## start the local Apache Kafka broker (127.0.0.1:29092)
	scripts/kafka.sh up

kafka-down: ## stop it
	scripts/kafka.sh down

generate: ## regenerate protobuf code (needs protoc and protoc-gen-go)
	$(GO) generate ./pkg/bundle/...

GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.13.3

release-check: ## validate .goreleaser.yml with goreleaser check (pinned goreleaser)
	$(GORELEASER) check

snapshot: ## build the release archives locally (dist/)
	$(GORELEASER) release --snapshot --clean

include bench/bench.mk
