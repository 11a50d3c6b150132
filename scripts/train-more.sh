#!/usr/bin/env bash
# Train the extra pipelines of issue 7 (wine, cancer, diabetes,
# diabetes-cats) with real Spark (PySpark 2.4.0), save them with MLeap's own
# Spark serializer (mleap-spark 0.14.0), then record the real MLeap runtime's
# output for them (scripts/mleap-oracle.sh, MLeap 0.16.0).
#
#   scripts/train-more.sh [--no-oracle] [NAME...]     (default: all four)
#
# Regenerates, for each NAME:
#   testdata/NAME/input.csv            scikit-learn data (make_more_csv.py)
#   bundles/NAME/                      directory bundle (JSON), written by MLeap
#   testdata/NAME/spark-golden.jsonl   Spark's transform output, every row
#   bundles/NAME-pb/                   the bundle re-saved as protobuf by MLeap
#   testdata/NAME/mleap-golden.jsonl   the MLeap runtime's output (JSON bundle)
#   testdata/NAME/mleap-golden-pb.jsonl  the same for the protobuf bundle
# (--no-oracle stops after the Spark part.) The iris bundle and its files are
# not touched. See scripts/train/README-more.md.
#
# Uses the same versions, venv and jars as scripts/train.sh (see
# scripts/train/README.md); environment overrides are the same:
#   IRISCTL_TRAIN_CACHE, IRISCTL_TRAIN_PYTHON37, IRISCTL_TRAIN_JAVA_HOME
set -euo pipefail

say() { printf 'train-more.sh: %s\n' "$*" >&2; }
die() { printf 'train-more.sh: error: %s\n' "$*" >&2; exit 1; }

ALL=(wine cancer diabetes diabetes-cats)
oracle=1
names=()
for a in "$@"; do
  case "$a" in
    --no-oracle) oracle=0 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) names+=("$a") ;;
  esac
done
[[ ${#names[@]} -gt 0 ]] || names=("${ALL[@]}")
for n in "${names[@]}"; do
  [[ " ${ALL[*]} " == *" $n "* ]] || die "unknown pipeline $n (have: ${ALL[*]})"
done

PYSPARK_VERSION=2.4.0
MLEAP_PY_VERSION=0.15.0
NUMPY_VERSION=1.21.6
SKLEARN_VERSION=1.9.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRAIN_DIR="$ROOT/scripts/train"
CACHE="${IRISCTL_TRAIN_CACHE:-$HOME/.cache/irisctl-train}"
VENV="$CACHE/py37"
LOG="$CACHE/train-more.log"
mkdir -p "$CACHE"
: > "$LOG"

run() {
  local label="$1"; shift
  if ! "$@" >>"$LOG" 2>&1; then
    say "$label failed; last lines of $LOG:"
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

# --- Java 17, Python, scikit-learn -----------------------------------------
JAVA_HOME="${IRISCTL_TRAIN_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
[[ -x "$JAVA_HOME/bin/java" ]] || die "no JDK at $JAVA_HOME (set IRISCTL_TRAIN_JAVA_HOME to a JDK 17)"
export JAVA_HOME
command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch the MLeap jars)"
command -v python3 >/dev/null || die "python3 not found"
if ! python3 -c 'import sklearn' 2>/dev/null; then
  say "installing scikit-learn==$SKLEARN_VERSION for python3 (for its bundled data sets)"
  run "pip install scikit-learn" python3 -m pip install --quiet "scikit-learn==$SKLEARN_VERSION"
fi

# --- input CSVs ----------------------------------------------------------------
python3 "$TRAIN_DIR/make_more_csv.py" "$ROOT/testdata"

# --- the Python 3.7 venv of scripts/train.sh -----------------------------------
is_python37() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))' 2>/dev/null; }
find_python37() {
  local c root
  if [[ -n "${IRISCTL_TRAIN_PYTHON37:-}" ]]; then
    is_python37 "$IRISCTL_TRAIN_PYTHON37" && { echo "$IRISCTL_TRAIN_PYTHON37"; return; }
    die "IRISCTL_TRAIN_PYTHON37=$IRISCTL_TRAIN_PYTHON37 is not a working Python 3.7"
  fi
  if command -v pyenv >/dev/null && root="$(pyenv root 2>/dev/null)"; then
    for c in "$root"/versions/3.7.*/bin/python3.7; do
      [[ -x "$c" ]] && is_python37 "$c" && { echo "$c"; return; }
    done
  fi
  for c in python3.7 /usr/bin/python3.7 /usr/local/bin/python3.7; do
    c="$(command -v "$c" 2>/dev/null)" || continue
    is_python37 "$c" && { echo "$c"; return; }
  done
  return 1
}
want="pyspark==$PYSPARK_VERSION numpy==$NUMPY_VERSION mleap==$MLEAP_PY_VERSION(no-deps)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.irisctl-stamp" 2>/dev/null)" != "$want" ]]; then
  PY37="$(find_python37)" || die "no Python 3.7 found (pyspark 2.4 needs Python <= 3.7); set IRISCTL_TRAIN_PYTHON37"
  say "creating Python 3.7 venv at $VENV ($want; pyspark is a ~215 MB download)"
  rm -rf "$VENV"
  run "venv" "$PY37" -m venv "$VENV"
  run "pip install pyspark" "$VENV/bin/python" -m pip install --quiet \
    "pyspark==$PYSPARK_VERSION" "numpy==$NUMPY_VERSION"
  run "pip install mleap" "$VENV/bin/python" -m pip install --quiet --no-deps \
    "mleap==$MLEAP_PY_VERSION"
  echo "$want" > "$VENV/.irisctl-stamp"
fi
SPARK_JARS="$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
[[ -d "$SPARK_JARS" ]] || die "pyspark has no jars dir at $SPARK_JARS"

# --- MLeap jars and the ASM override (scripts/train/pom.xml) -------------------
if [[ ! -f "$TRAIN_DIR/target/irisctl-train-asm.jar" || ! -d "$TRAIN_DIR/target/jars" ]]; then
  say "resolving mleap-spark_2.11 0.14.0 and building the ASM override (Maven)"
  run "mvn" mvn -B -f "$TRAIN_DIR/pom.xml" package dependency:copy-dependencies \
    -DincludeScope=runtime -DexcludeGroupIds=org.ow2.asm \
    -DoutputDirectory="$TRAIN_DIR/target/jars" -DoverWriteIfNewer=true
fi
CP="$TRAIN_DIR/target/irisctl-train-asm.jar"
for jar in "$TRAIN_DIR"/target/jars/*.jar; do
  base="$(basename "$jar" .jar)"
  artifact="${base%%-[0-9]*}"
  version="${base#"$artifact"-}"
  theirs=""
  for j in "$SPARK_JARS/$artifact"-[0-9]*.jar; do
    [[ -e "$j" ]] || continue
    b="$(basename "$j" .jar)"
    [[ "${b%%-[0-9]*}" == "$artifact" ]] && theirs="${b#"$artifact"-}"
  done
  if [[ -z "$theirs" ]]; then
    CP="$CP:$jar"
  elif [[ "$theirs" != "$version" && "$(printf '%s\n%s\n' "$theirs" "$version" | sort -V | tail -n1)" == "$version" ]]; then
    CP="$CP:$jar"
  fi
done
# Spark 2.4 predates Java 9 modules. Beyond what train.sh opens, these
# pipelines broadcast tree ensembles, and Spark's SizeEstimator then reflects
# into whatever the model's object graph reaches (DateFormat, Locale, ...):
# open every package of java.base.
JAVA_OPTS="-Dio.netty.tryReflectionSetAccessible=true"
for p in $("$JAVA_HOME/bin/java" --describe-module java.base | awk '$1=="exports"||$1=="contains"{print $2} $1=="qualified"{print $3}' | sort -u); do
  JAVA_OPTS="$JAVA_OPTS --add-opens=java.base/$p=ALL-UNNAMED"
done

# --- Train ------------------------------------------------------------------------
OUT="$(mktemp -d "$CACHE/more.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
unset SPARK_HOME PYSPARK_DRIVER_PYTHON PYSPARK_DRIVER_PYTHON_OPTS
export PYSPARK_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_SUBMIT_ARGS="--driver-class-path '$CP' --driver-java-options '$JAVA_OPTS' pyspark-shell"
say "training ${names[*]} with Spark $PYSPARK_VERSION (local[1])"
"$VENV/bin/python" "$TRAIN_DIR/train_more.py" "$ROOT/testdata" "$OUT" "${names[@]}" \
  || die "training failed (see the messages above)"

# --- Check, then put in place -------------------------------------------------------
python3 - "$OUT" "$ROOT/testdata" "${names[@]}" <<'PY' || die "a new bundle failed its checks; nothing was replaced"
import json, os, sys
out, testdata, names = sys.argv[1], sys.argv[2], sys.argv[3:]
WANT = {
    "wine": ["string_indexer", "vector_assembler", "standard_scaler", "logistic_regression",
             "reverse_string_indexer", "normalizer", "logistic_regression", "normalizer",
             "decision_tree_classifier"],
    "cancer": ["string_indexer", "vector_assembler", "max_abs_scaler", "logistic_regression",
               "reverse_string_indexer", "binarizer", "vector_assembler", "binarizer",
               "vector_assembler", "gbt_classifier", "gbt_classifier"],
    "diabetes": ["vector_assembler", "min_max_scaler", "linear_regression", "linear_regression",
                 "standard_scaler",
                 "linear_regression", "bucketizer", "vector_assembler", "gbt_regression",
                 "random_forest_regression"],
    "diabetes-cats": ["string_indexer", "string_indexer", "string_indexer", "string_indexer",
                      "one_hot_encoder", "binarizer", "binarizer", "vector_assembler",
                      "vector_assembler", "standard_scaler", "max_abs_scaler",
                      "min_max_scaler", "normalizer", "standard_scaler", "binarizer",
                      "linear_regression",
                      "logistic_regression", "reverse_string_indexer", "vector_assembler",
                      "decision_tree_regression", "random_forest_classifier"],
}
for name in names:
    d = os.path.join(out, name)
    def load(*p):
        with open(os.path.join(d, *p)) as f:
            return json.load(f)
    assert load("bundle.json")["format"] == "json"
    root = load("root", "model.json")
    assert root["op"] == "pipeline", root["op"]
    nodes = root["attributes"]["nodes"]["string"]
    ops = [load("root", n + ".node", "model.json")["op"] for n in nodes]
    assert ops == WANT[name], (name, ops)
    with open(os.path.join(testdata, name, "input.csv")) as f:
        n_in = sum(1 for _ in f) - 1
    with open(os.path.join(out, name + ".spark-golden.jsonl")) as f:
        rows = [json.loads(l) for l in f]
    assert [r["row"] for r in rows] == list(range(n_in)), (name, "golden rows")
    print("train-more.sh: checked %s: %d stages, %d golden rows" % (name, len(ops), len(rows)),
          file=sys.stderr)
PY

for n in "${names[@]}"; do
  rm -rf "$ROOT/bundles/$n"
  mv "$OUT/$n" "$ROOT/bundles/$n"
  mv "$OUT/$n.spark-golden.jsonl" "$ROOT/testdata/$n/spark-golden.jsonl"
  cp "$OUT/$n.columns" "$CACHE/$n.columns"
  say "wrote bundles/$n/, testdata/$n/spark-golden.jsonl"
done

[[ $oracle == 1 ]] || exit 0

# --- The MLeap runtime's output (scripts/mleap-oracle.sh) ----------------------------
ORACLE="$ROOT/scripts/mleap-oracle.sh"
for n in "${names[@]}"; do
  cols="$(paste -sd, "$CACHE/$n.columns")"
  "$ORACLE" score --bundle "$ROOT/bundles/$n" --input "$ROOT/testdata/$n/input.csv" \
    --columns "$cols" --output "$ROOT/testdata/$n/mleap-golden.jsonl"
  rm -rf "$ROOT/bundles/$n-pb"
  "$ORACLE" convert --bundle "$ROOT/bundles/$n" --format protobuf --out "$ROOT/bundles/$n-pb"
  "$ORACLE" score --bundle "$ROOT/bundles/$n-pb" --input "$ROOT/testdata/$n/input.csv" \
    --columns "$cols" --output "$ROOT/testdata/$n/mleap-golden-pb.jsonl"
  say "wrote bundles/$n-pb/, testdata/$n/mleap-golden.jsonl, testdata/$n/mleap-golden-pb.jsonl"
done
