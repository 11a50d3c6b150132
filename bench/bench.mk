# bench/bench.mk — the side-by-side benchmark; the Makefile includes it:
#   include bench/bench.mk
.PHONY: bench bench-quick

bench: ## irisctl vs Kafka Streams + MLeap (streams and batch, one real broker); writes docs/benchmarks.md and .png (~15 min)
	bench/run.sh

bench-quick: ## the same, small: 100,000 records, 1 round, 100,000 batch rows (writes /tmp/irisctl-bench-quick.md)
	BENCH_RECORDS=100000 BENCH_ROUNDS=1 BENCH_BATCH_ROWS=100000 BENCH_BATCH_ROUNDS=1 BENCH_OUT=/tmp/irisctl-bench-quick.md bench/run.sh
