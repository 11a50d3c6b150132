#!/usr/bin/env bash
# bench/run.sh — irisctl side by side with the seed's own stack (Kafka Streams
# + the MLeap JVM runtime), on one real Kafka broker (scripts/kafka.sh).
# `make bench` runs it. Writes docs/benchmarks.md and docs/benchmarks.png.
#
# Streams: for each round, each contender in turn (rotated order) gets a fresh
# input topic holding BENCH_RECORDS records, produced up front with
# `irisctl produce --loop --count N`, and a fresh output topic; bench/benchkit
# starts it, times it from process start until the N-th output is committed
# (readable under read_committed), then measures end-to-end latency with a
# paced probe load, reads its peak RSS and CPU time, and stops it.
#   contenders: irisctl-eos, jvm-eos, irisctl-alo, jvm-alo, and the no-model
#   baselines irisctl-pass (irisctl stream --pass-through) and jvm-pass
#   (Kafka Streams copying values), and jvm-frame (the seed's MLeap path: a
#   one-row LeapFrame per record); all exactly-once except the -alo ones
# Batch: scripts/bench-score.sh (irisctl score against MLeap's RowTransformer).
#
# Settings (environment):
#   BENCH_RECORDS=1000000   records per stream run
#   BENCH_ROUNDS=3          rounds (every contender once per round)
#   BENCH_PARTITIONS=3      partitions of the input and output topics
#   BENCH_LAT_RATE=1000     probe records per second, for
#   BENCH_LAT_SECONDS=5     seconds (0 rate: no latency probe)
#   BENCH_CONTENDERS="irisctl-eos jvm-eos irisctl-alo jvm-alo irisctl-pass jvm-pass jvm-frame"
#   BENCH_BATCH_ROWS=1000000  rows of the batch CSV (0: skip the batch part)
#   BENCH_BATCH_ROUNDS=3
#   BENCH_OUT=docs/benchmarks.md   (the chart goes beside it, .png)
#   BENCH_KEEP=1            keep the work folder (results, logs)
#   JVM_STREAMS_JAVA_OPTS   JVM options of the Kafka Streams app (default none)
# Needs Go, Java 17+, Maven; installs gnuplot-nox (Debian) for the chart if missing.
# Topics and groups are named bench-<run>-*, deleted after each run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

N=${BENCH_RECORDS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
PARTS=${BENCH_PARTITIONS:-3}
LAT_RATE=${BENCH_LAT_RATE:-1000}
LAT_SECONDS=${BENCH_LAT_SECONDS:-5}
CONTENDERS=${BENCH_CONTENDERS:-"irisctl-eos jvm-eos irisctl-alo jvm-alo irisctl-pass jvm-pass jvm-frame"}
BATCH_ROWS=${BENCH_BATCH_ROWS:-1000000}
BATCH_ROUNDS=${BENCH_BATCH_ROUNDS:-3}
OUT_MD=${BENCH_OUT:-docs/benchmarks.md}
OUT_PNG=${OUT_MD%.md}.png

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
for v in N ROUNDS PARTS BATCH_ROWS BATCH_ROUNDS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
(( N > 0 && ROUNDS > 0 && PARTS > 0 )) || die "BENCH_RECORDS, BENCH_ROUNDS and BENCH_PARTITIONS must be positive"
for c in $CONTENDERS; do
  case $c in irisctl-eos|irisctl-alo|irisctl-pass|jvm-eos|jvm-alo|jvm-pass|jvm-frame) ;; *) die "unknown contender $c" ;; esac
done

t_start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/irisctl-bench.XXXXXX")
mkdir -p "$work/results" "$work/logs"
run_tag=$(date +%H%M%S)$((RANDOM % 100))
sampler=
current_topics=()
groups=()
cleanup() {
  local rc=$?
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null || true
  if ((${#current_topics[@]})); then
    "$work/benchkit" topics delete --brokers "$BROKERS" "${current_topics[@]}" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP:-0} == 1 || $rc != 0 ]]; then say "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- tools ---------------------------------------------------------------------
for tool in go java mvn; do command -v $tool >/dev/null || die "$tool is not installed"; done
if ! command -v gnuplot >/dev/null; then
  say "installing gnuplot-nox (Debian) for the chart"
  if [[ $(id -u) == 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || {
    "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq gnuplot-nox >/dev/null
  } || say "warning: could not install gnuplot; no chart"
fi

# ---- broker --------------------------------------------------------------------
scripts/kafka.sh up
eval "$(scripts/kafka.sh env)"
BROKERS=$IRISCTL_TEST_BROKERS

# ---- builds (not timed) ----------------------------------------------------------
say "building irisctl, bench/benchkit and the JVM app (bench/jvm-streams)"
go build -trimpath -o "$work/irisctl" ./cmd/irisctl
go build -trimpath -o "$work/benchkit" ./bench/benchkit
bench/jvm-streams.sh --build
IRISCTL=$work/irisctl
BK=$work/benchkit

# ---- machine and versions ------------------------------------------------------
meta=$work/meta.txt
broker_pid=$(scripts/kafka.sh status | sed -n 's/.* pid \([0-9]*\) .*/\1/p')
broker_heap=$(tr '\0' '\n' <"/proc/$broker_pid/cmdline" 2>/dev/null | sed -n 's/^-Xmx//p' | head -1)
pom=bench/jvm-streams/pom.xml
pomprop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$pom" | head -1; }
{
  echo "command=make bench"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "records=$N"
  echo "rounds=$ROUNDS"
  echo "partitions=$PARTS"
  echo "lat_rate=$LAT_RATE"
  echo "lat_seconds=$LAT_SECONDS"
  echo "nproc=$(nproc)"
  echo "cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
  echo "kernel=$(uname -r)"
  echo "go=$(go version | awk '{ print $3 }')"
  echo "java=$(java -version 2>&1 | head -1 | tr -d '"'), $(java -version 2>&1 | sed -n 2p)"
  echo "kafka_broker=$(scripts/kafka.sh status | sed -n 's/^up: Kafka \([^ ]*\) .*/\1/p')"
  echo "broker_heap=${broker_heap:-?}"
  echo "kafka_streams=$(pomprop kafka.version)"
  echo "mleap=$(pomprop mleap.version)"
  echo "scala=$(pomprop scala.version)"
  echo "jvm_opts=${JVM_STREAMS_JAVA_OPTS:-no JVM options}"
  changed=$(git status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $NF }' | head -8 | paste -sd, - | sed 's/,/, /g')
  echo "irisctl_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)${changed:+ (uncommitted changes in: $changed)}"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$meta"
say "$(grep -E '^(cpu_model|nproc|load_before)=' "$meta" | tr '\n' ' ')"

# Load average every 5 s for the whole run.
( while :; do cut -d' ' -f1 /proc/loadavg; sleep 5; done ) >"$work/load" 2>/dev/null &
sampler=$!

# ---- streams -----------------------------------------------------------------------
contender_cmd() { # name id -> the command line, one word per line
  local c=$1 id=$2
  case $c in
    irisctl-eos|irisctl-alo|irisctl-pass)
      local g=exactly-once extra=()
      [[ $c == irisctl-alo ]] && g=at-least-once
      [[ $c == irisctl-pass ]] && extra=(--pass-through)
      printf '%s\n' "$IRISCTL" stream --brokers "$BROKERS" --input-topic "$id-in" --output-topic "$id-out" \
        --dlq-topic "$id-dlq" --group "$id" --transactional-id-prefix "$id" --guarantee "$g" \
        --commit-interval 100ms --log-level warn ${extra[@]+"${extra[@]}"} ;;
    jvm-eos|jvm-alo|jvm-pass|jvm-frame)
      local g=exactly-once m=row
      [[ $c == jvm-alo ]] && g=at-least-once
      [[ $c == jvm-pass ]] && m=none
      [[ $c == jvm-frame ]] && m=frame
      printf '%s\n' bench/jvm-streams.sh --bootstrap-servers "$BROKERS" --application-id "$id" \
        --input-topic "$id-in" --output-topic "$id-out" --guarantee "$g" --commit-interval-ms 100 --mleap "$m" ;;
  esac
}

broker_pid() { { scripts/kafka.sh status 2>/dev/null || true; } | sed -n 's/.* pid \([0-9]*\) .*/\1/p'; }
# The shared broker's pid; waits while another engineer's test restarts it.
wait_broker() {
  local p i
  for ((i = 0; i < 90; i++)); do
    p=$(broker_pid)
    [[ -n $p ]] && { echo "$p"; return 0; }
    sleep 1
  done
  scripts/kafka.sh up >&2
  broker_pid
}

# run_one round contender: one measured run. Returns 1 when the broker was
# restarted (by someone else) during the run: the run is discarded.
run_one() {
  local r=$1 c=$2 id="bench-$run_tag-$1-$2-$3" pid0 pid1 ok=1
  pid0=$(wait_broker)
  current_topics=("$id-in" "$id-out" "$id-dlq")
  groups+=("$id") # Kafka Streams does not leave its group on close: groups are deleted at the end.
  if "$BK" topics create --brokers "$BROKERS" --partitions "$PARTS" "$id-in" "$id-dlq" &&
     "$BK" topics create --brokers "$BROKERS" --partitions "$PARTS" --log-append-time "$id-out" &&
     "$IRISCTL" produce --brokers "$BROKERS" --topic "$id-in" --loop --count "$N" 2>"$work/logs/$id-produce.log"; then
    sleep 1
    local -a cmd
    mapfile -t cmd < <(contender_cmd "$c" "$id")
    local expect=label
    [[ $c == *-pass ]] && expect=copy
    if ! "$BK" run --expect "$expect" --brokers "$BROKERS" --input "$id-in" --output "$id-out" --count "$N" \
        --name "$c" --round "$r" --result "$work/results/$r-$c.json" --log "$work/logs/$id.log" \
        --lat-rate "$LAT_RATE" --lat-duration "${LAT_SECONDS}s" -- "${cmd[@]}"; then
      say "$c round $r failed; last lines of its log:"
      tail -n 20 "$work/logs/$id.log" >&2 || true
    fi
  else
    ok=0
    cat "$work/logs/$id-produce.log" >&2 2>/dev/null || true
  fi
  pid1=$(broker_pid)
  if [[ $ok == 0 || $pid0 != "$pid1" ]]; then
    say "the broker was restarted during $c round $r (pid $pid0 -> ${pid1:-down}), not by this script: discarding the run"
    mkdir -p "$work/disturbed"
    mv -f "$work/results/$r-$c.json" "$work/disturbed/$r-$c-$3.json" 2>/dev/null || true
    wait_broker >/dev/null
    ok=0
  fi
  "$BK" topics delete --brokers "$BROKERS" "${current_topics[@]}" || say "warning: could not delete ${current_topics[*]}"
  current_topics=()
  [[ $ok == 1 ]]
}

repeated=0
measure() { # round contender: up to 3 attempts when the broker restarts under a run
  local a
  for a in 1 2 3; do
    run_one "$1" "$2" "$a" && return 0
    repeated=$((repeated + 1))
  done
  say "$2 round $1: the broker restarted under three attempts; no result"
}

read -r -a clist <<<"$CONTENDERS"
say "streams: $ROUNDS round(s) of ${clist[*]}, $N records each, $PARTS partitions"
for ((r = 1; r <= ROUNDS; r++)); do
  k=$(( (r - 1) % ${#clist[@]} ))
  order=("${clist[@]:k}" "${clist[@]:0:k}")
  say "round $r: ${order[*]}"
  for c in "${order[@]}"; do measure "$r" "$c"; done
done

# ---- batch -------------------------------------------------------------------------
batch=$work/batch.txt
: >"$batch"
if (( BATCH_ROWS > 0 )); then
  if [[ -x scripts/bench-score.sh ]]; then
    say "batch: scripts/bench-score.sh --rows $BATCH_ROWS --rounds $BATCH_ROUNDS"
    scripts/bench-score.sh --rows "$BATCH_ROWS" --rounds "$BATCH_ROUNDS" >"$batch" 2>"$work/logs/batch.log" ||
      { tail -n 20 "$work/logs/batch.log" >&2; say "warning: the batch benchmark failed"; : >"$batch"; echo "batch_note=scripts/bench-score.sh failed" >>"$meta"; }
    cat "$batch" >&2
  else
    echo "batch_note=scripts/bench-score.sh is missing" >>"$meta"
  fi
else
  echo "batch_note=BENCH_BATCH_ROWS=0" >>"$meta"
fi

"$BK" groups delete --brokers "$BROKERS" "${groups[@]}" 2>"$work/logs/groups.log" ||
  say "warning: could not delete groups ${groups[*]}"

# ---- report ------------------------------------------------------------------------
kill "$sampler" 2>/dev/null || true
sampler=
{
  echo "repeated=$repeated"
  echo "batch_file=$batch"
  echo "batch_rows=$BATCH_ROWS"
  echo "batch_rounds=$BATCH_ROUNDS"
  echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
  sort -g "$work/load" | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "load_min=%s\nload_max=%s\nload_median=%.2f\n", v[1], v[NR], m }'
  el=$((SECONDS - t_start))
  printf 'duration=%d min %02d s\n' $((el / 60)) $((el % 60))
} >>"$meta"
mkdir -p "$(dirname "$OUT_MD")"
"$BK" report --results "$work/results" --meta "$meta" --out "$OUT_MD" \
  --chart "$(basename "$OUT_PNG")" --chart-data "$work/chart.dat"
if command -v gnuplot >/dev/null; then
  gnuplot -e "datafile='$work/chart.dat'; outfile='$OUT_PNG'; records='$(echo "$N" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')'; rounds='$ROUNDS'" bench/chart.gp ||
    say "warning: gnuplot failed; no chart"
fi
say "wrote $OUT_MD and $OUT_PNG in $((SECONDS - t_start)) s"
