#!/usr/bin/env bash
# The real MLeap JVM runtime (ml.combust.mleap:mleap-runtime_2.12:0.16.0) as
# the test oracle for irisctl. See scripts/mleap-oracle/README.md.
#
#   scripts/mleap-oracle.sh score   --bundle PATH --input FILE.csv --output FILE.jsonl
#   scripts/mleap-oracle.sh convert --bundle PATH --format protobuf --out DIR
#   scripts/mleap-oracle.sh bench   --bundle PATH --input FILE.csv [--rounds 5]
#
# Builds scripts/mleap-oracle (Maven, Java 17) on first use or when its
# sources changed; build output goes to stderr. Extra JVM options can be
# given in MLEAP_ORACLE_JAVA_OPTS. MLEAP_ORACLE_VERSION=0.14 runs the same
# program on mleap-runtime_2.11:0.14.0 instead (Maven profile mleap-0.14),
# the release that wrote bundles/iris-rf, as a cross-check.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proj="$here/mleap-oracle"
case "${MLEAP_ORACLE_VERSION:-0.16}" in
  0.16|0.16.0) profile=(); target="$proj/target" ;;
  0.14|0.14.0) profile=(-P mleap-0.14); target="$proj/target-mleap-0.14" ;;
  *) echo "mleap-oracle.sh: MLEAP_ORACLE_VERSION must be 0.16 or 0.14" >&2; exit 2 ;;
esac
jar="$target/mleap-oracle.jar"

needs_build() {
  [[ -f "$jar" && -d "$target/lib" ]] || return 0
  [[ -n "$(find "$proj/pom.xml" "$proj/src" -newer "$jar" -print -quit)" ]]
}

build() {
  command -v mvn >/dev/null || { echo "mleap-oracle.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
  echo "mleap-oracle.sh: building $proj ..." >&2
  # Maven prints to stdout; keep stdout for data. Its log is shown (on
  # stderr) only when the build fails.
  local log="$target/build.log"
  if ! mvn -q -B -f "$proj/pom.xml" ${profile[@]+"${profile[@]}"} -DskipTests package >"$log" 2>&1; then
    cat "$log" >&2
    echo "mleap-oracle.sh: build failed (log: $log)" >&2
    exit 1
  fi
  touch "$jar"
}

if needs_build; then
  mkdir -p "$target"
  if command -v flock >/dev/null; then
    # One build at a time when several runs start together.
    exec 9>"$target/.build.lock"
    flock 9
    if needs_build; then build; fi
    flock -u 9
    exec 9>&-
  else
    build
  fi
fi

# MLeap 0.16 / Scala 2.12.10 (and 0.14 / Scala 2.11.8) need no --add-opens
# on Java 17 for these commands; MLEAP_ORACLE_JAVA_OPTS is passed through for experiments.
# shellcheck disable=SC2086
exec java ${MLEAP_ORACLE_JAVA_OPTS:-} -jar "$jar" "$@"
