#!/usr/bin/env bash
# bench/jvm-streams.sh — the benchmark's JVM reference stream (Kafka Streams
# 4.3.1 + MLeap runtime 0.16.0, bench/jvm-streams/): builds it once with
# Maven (again when pom.xml or src/ changed), then runs it in this process.
#
#   bench/jvm-streams.sh --build                 only build (output on stderr)
#   bench/jvm-streams.sh [flags]                 run; --help lists the flags, e.g.
#   bench/jvm-streams.sh --bootstrap-servers 127.0.0.1:29092 --application-id bench-jvm \
#       --input-topic bench-in --output-topic bench-out --guarantee exactly-once
#
# JVM_STREAMS_JAVA_OPTS is passed to java (default: none, the JVM's defaults).
# The script execs java, so its pid is the JVM's (the benchmark reads its RSS).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proj="$here/jvm-streams"
target="$proj/target"
jar="$target/jvm-streams.jar"

needs_build() {
  [[ -f $jar && -d $target/lib ]] || return 0
  [[ -n "$(find "$proj/pom.xml" "$proj/src" -newer "$jar" -print -quit)" ]]
}

build() {
  command -v mvn >/dev/null || { echo "jvm-streams.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
  echo "jvm-streams.sh: building $proj (Maven; first time fetches Kafka Streams and MLeap) ..." >&2
  local log="$target/build.log"
  if ! mvn -q -B -f "$proj/pom.xml" -DskipTests package >"$log" 2>&1; then
    cat "$log" >&2
    echo "jvm-streams.sh: build failed (log: $log)" >&2
    exit 1
  fi
  touch "$jar"
}

if needs_build; then
  mkdir -p "$target"
  exec 9>"$target/.build.lock"
  flock 9
  if needs_build; then build; fi
  flock -u 9
  exec 9>&-
fi

if [[ ${1:-} == --build ]]; then
  exit 0
fi
command -v java >/dev/null || { echo "jvm-streams.sh: java not found (Java 17+)" >&2; exit 1; }
# shellcheck disable=SC2086
exec java ${JVM_STREAMS_JAVA_OPTS:-} -jar "$jar" "$@"
