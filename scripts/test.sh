#!/usr/bin/env bash
# The project's test command (make test): starts the local Apache Kafka
# broker from scripts/kafka.sh (fetched from Maven Central on first use),
# exports its addresses for the Kafka tests, and runs go test ./...
# The broker is left running for the next run; `scripts/kafka.sh down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/kafka.sh up
eval "$(scripts/kafka.sh env)"
export IRISCTL_TEST_BROKERS IRISCTL_TEST_SECURE_BROKERS IRISCTL_TEST_SASL_USER IRISCTL_TEST_SASL_PASSWORD_FILE IRISCTL_TEST_TLS_CA

go vet ./...
go test -count=1 -timeout 40m "$@" ./...
