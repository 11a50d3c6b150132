#!/usr/bin/env bash
# Throughput of `irisctl score` against the MLeap JVM runtime on the same
# CSV file and bundle.
#
#   scripts/bench-score.sh [--rows N] [--rounds R] [--warmup W] [--bundle PATH]
#                          [--input FILE] [--no-jvm] [--keep]
#
# Builds irisctl, writes an N-row iris CSV (default 1,000,000: the rows of
# testdata/iris/iris.csv, class column included, repeated; MLeap's
# StringIndexer needs that column), then runs R rounds (default 5). Each
# round runs, one after the other:
#
#   irisctl score --bundle PATH --parallel 1 FILE > /dev/null
#   irisctl score --bundle PATH --parallel 2 FILE > /dev/null
#   scripts/mleap-oracle.sh bench --bundle PATH --input FILE --rounds 1 --warmup W
#
# so that the three see the same machine load. irisctl is timed from
# process start to exit (bundle loading included); the JVM figure is the
# oracle's own rows_per_sec for one round after W warm-up rounds in the same
# JVM (start-up, bundle loading and warm-up not counted). At the end it
# prints the median rows/s of each and the ratios, with the load average
# before and after, and irisctl's rows per CPU-second (user + system time,
# when /usr/bin/time is there), which a busy machine disturbs less. Needs Go; the JVM side needs Java 17 and Maven
# (scripts/mleap-oracle.sh builds the oracle on first use), or --no-jvm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

rows=1000000
rounds=5
warmup=3
bundle="$repo/bundles/iris-rf"
input=""
jvm=1
keep=0

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --input) input="$2"; shift 2 ;;
    --no-jvm) jvm=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "bench-score.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ "$rows" =~ ^[0-9]+$ && "$rows" -gt 0 && "$rounds" =~ ^[0-9]+$ && "$rounds" -gt 0 && "$warmup" =~ ^[0-9]+$ ]] ||
  { echo "bench-score.sh: --rows and --rounds must be positive numbers, --warmup a number" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-score.XXXXXX")"
cleanup() { if [[ $keep == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

echo "building irisctl ..." >&2
(cd "$repo" && go build -o "$work/irisctl" ./cmd/irisctl)
irisctl="$work/irisctl"

if [[ -z "$input" ]]; then
  input="$work/iris-$rows.csv"
  echo "writing $rows rows to $input ..." >&2
  awk -v n="$rows" 'NR == 1 { print; next } { r[++k] = $0 }
    END { for (i = 0; i < n; i++) print r[i % k + 1] }' "$repo/testdata/iris/iris.csv" > "$input"
fi
nrows=$(( $(wc -l < "$input") - 1 ))

# The parallel output must be the serial output, byte for byte.
a=$("$irisctl" score --bundle "$bundle" --parallel 1 "$input" | cksum)
b=$("$irisctl" score --bundle "$bundle" --parallel 2 "$input" | cksum)
[[ "$a" == "$b" ]] || { echo "bench-score.sh: --parallel 1 and 2 outputs differ" >&2; exit 1; }

now_ns() { date +%s%N; }
# irisctl_rate P: rows/s of one irisctl run with --parallel P (wall clock);
# rows per CPU-second (user + system) is appended to $work/cpuP.
irisctl_rate() {
  local t0 t1
  t0=$(now_ns)
  if [[ -n "$timecmd" ]]; then
    "$timecmd" -f '%U %S' -o "$work/time" "$irisctl" score --bundle "$bundle" --parallel "$1" "$input" > /dev/null
    awk -v n="$nrows" '{ printf "%.0f\n", n / ($1 + $2) }' "$work/time" >> "$work/cpu$1"
  else
    "$irisctl" score --bundle "$bundle" --parallel "$1" "$input" > /dev/null
  fi
  t1=$(now_ns)
  awk -v n="$nrows" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }'
}
timecmd=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%U' -o /dev/null true 2>/dev/null; then timecmd=/usr/bin/time; fi
jvm_rate() {
  "$repo/scripts/mleap-oracle.sh" bench --bundle "$bundle" --input "$input" --rounds 1 --warmup "$warmup" 2>"$work/jvm.log" |
    sed -n 's/.*"rows_per_sec":\([0-9.]*\).*/\1/p' | tail -1
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f\n", m }'; }
fmt() { if [[ "$1" == "-" ]]; then echo -; else awk -v x="$1" 'BEGIN { printf "%.0f", x }'; fi; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)
echo "input: $input ($nrows rows, $(wc -c < "$input") bytes); bundle: $bundle; $(nproc) CPUs; load average $load_before" >&2
echo "warming up irisctl ..." >&2
irisctl_rate 1 > /dev/null

: > "$work/p1"; : > "$work/p2"; : > "$work/jvm"; : > "$work/cpu1"; : > "$work/cpu2"
printf '%-7s %16s %16s %16s\n' round "irisctl -p1" "irisctl -p2" "MLeap JVM"
for ((r = 1; r <= rounds; r++)); do
  p1=$(irisctl_rate 1); echo "$p1" >> "$work/p1"
  p2=$(irisctl_rate 2); echo "$p2" >> "$work/p2"
  j="-"
  if [[ $jvm == 1 ]]; then
    j=$(jvm_rate) || true
    if [[ -z "$j" ]]; then
      echo "bench-score.sh: the JVM bench failed:" >&2
      cat "$work/jvm.log" >&2
      exit 1
    fi
    echo "$j" >> "$work/jvm"
  fi
  printf '%-7s %16s %16s %16s\n' "$r" "$(fmt "$p1")" "$(fmt "$p2")" "$(fmt "$j")"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

m1=$(median < "$work/p1")
m2=$(median < "$work/p2")
printf '%-7s %16s %16s' median "$(fmt "$m1")" "$(fmt "$m2")"
if [[ $jvm == 1 ]]; then
  mj=$(median < "$work/jvm")
  printf ' %16s\n' "$(fmt "$mj")"
  awk -v a="$m1" -v b="$m2" -v j="$mj" 'BEGIN {
    printf "ratio vs MLeap JVM (medians): --parallel 1 %.1fx, --parallel 2 %.1fx\n", a / j, b / j }'
else
  echo
fi
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "--parallel 2 / --parallel 1: %.2fx\n", b / a }'
if [[ -s "$work/cpu1" ]]; then
  echo "irisctl rows per CPU-second (user+system, less sensitive to load), median: --parallel 1 $(median < "$work/cpu1"), --parallel 2 $(median < "$work/cpu2")"
fi
echo "rows/s over $rounds rounds of $nrows rows; load average (1, 5, 15 min) before: $load_before, after: $load_after"
