#!/usr/bin/env bash
# Train the iris random-forest pipeline with real Spark (PySpark 2.4.0) and
# save it with MLeap's own Spark serializer (mleap-spark 0.14.0).
#
# Regenerates:
#   testdata/iris/iris.csv           from scikit-learn's bundled iris.csv
#   bundles/iris-rf/                 directory bundle (JSON), written by MLeap
#   bundles/iris-rf.zip              zip bundle, written by MLeap
#   testdata/iris/spark-golden.jsonl Spark's model.transform output, 150 rows
#
# Installs what it needs: a Python 3.7 venv with pyspark/mleap (PyPI), the
# MLeap jars (Maven Central, into ~/.m2), scikit-learn for python3 if missing.
# See scripts/train/README.md for the versions and why this route.
#
# Environment (all optional):
#   IRISCTL_TRAIN_CACHE     venv and logs   (default ~/.cache/irisctl-train)
#   IRISCTL_TRAIN_PYTHON37  a Python 3.7 interpreter (default: pyenv's 3.7.x)
#   IRISCTL_TRAIN_JAVA_HOME a JDK 17        (default /usr/lib/jvm/java-17-openjdk-amd64)
set -euo pipefail

say() { printf 'train.sh: %s\n' "$*" >&2; }
die() { printf 'train.sh: error: %s\n' "$*" >&2; exit 1; }

# Pinned versions (see scripts/train/README.md).
PYSPARK_VERSION=2.4.0   # Spark 2.4.0, Scala 2.11 jars inside the package
MLEAP_PY_VERSION=0.15.0 # Python API only; the JVM side is mleap-spark_2.11 0.14.0 (pom.xml)
NUMPY_VERSION=1.21.6    # last numpy for Python 3.7; pyspark.ml imports numpy
SKLEARN_VERSION=1.9.1   # installed only if python3 has no scikit-learn
IRIS_CSV_SHA256=5a9d876b9c3ff8f531de1cbe7b31d1d7f000f441d6006443531856b283b57f70

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRAIN_DIR="$ROOT/scripts/train"
CACHE="${IRISCTL_TRAIN_CACHE:-$HOME/.cache/irisctl-train}"
VENV="$CACHE/py37"
LOG="$CACHE/train.log"
mkdir -p "$CACHE"
: > "$LOG"

# run LABEL CMD...: run quietly into the log; show its tail on failure.
run() {
  local label="$1"; shift
  if ! "$@" >>"$LOG" 2>&1; then
    say "$label failed; last lines of $LOG:"
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

# --- Java 17 ---------------------------------------------------------------
JAVA_HOME="${IRISCTL_TRAIN_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
[[ -x "$JAVA_HOME/bin/java" ]] || die "no JDK at $JAVA_HOME (set IRISCTL_TRAIN_JAVA_HOME to a JDK 17)"
java_major="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.specification\.version = //p')"
[[ "$java_major" == 17 ]] || say "warning: $JAVA_HOME is Java $java_major; this script is tested with Java 17 only"
export JAVA_HOME
say "Java $java_major at $JAVA_HOME"
command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch the MLeap jars)"

# --- iris.csv from scikit-learn --------------------------------------------
command -v python3 >/dev/null || die "python3 not found"
if ! python3 -c 'import sklearn' 2>/dev/null; then
  say "installing scikit-learn==$SKLEARN_VERSION for python3 (for its bundled iris.csv)"
  run "pip install scikit-learn" python3 -m pip install --quiet "scikit-learn==$SKLEARN_VERSION"
fi
IRIS="$ROOT/testdata/iris/iris.csv"
python3 "$TRAIN_DIR/make_iris_csv.py" "$IRIS"
got_sha="$(sha256sum "$IRIS" | cut -d' ' -f1)"
if [[ "$got_sha" != "$IRIS_CSV_SHA256" ]]; then
  die "$IRIS has sha256 $got_sha, expected $IRIS_CSV_SHA256: this scikit-learn ships a different iris.csv; check it and update IRIS_CSV_SHA256 in $0"
fi

# --- Python 3.7 venv with pyspark and mleap --------------------------------
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
PY37="$(find_python37)" || die "no Python 3.7 found (pyspark 2.4 needs Python <= 3.7); set IRISCTL_TRAIN_PYTHON37"
say "Python 3.7 at $PY37"

want="pyspark==$PYSPARK_VERSION numpy==$NUMPY_VERSION mleap==$MLEAP_PY_VERSION(no-deps)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.irisctl-stamp" 2>/dev/null)" != "$want" ]]; then
  say "creating Python 3.7 venv at $VENV ($want; pyspark is a ~215 MB download)"
  rm -rf "$VENV"
  run "venv" "$PY37" -m venv "$VENV"
  run "pip install pyspark" "$VENV/bin/python" -m pip install --quiet \
    "pyspark==$PYSPARK_VERSION" "numpy==$NUMPY_VERSION"
  # mleap's Python package declares sklearn/pandas/scipy for its sklearn
  # support; only mleap.pyspark is used here, which needs none of them.
  run "pip install mleap" "$VENV/bin/python" -m pip install --quiet --no-deps \
    "mleap==$MLEAP_PY_VERSION"
  echo "$want" > "$VENV/.irisctl-stamp"
else
  say "using venv $VENV ($want)"
fi
SPARK_JARS="$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
[[ -d "$SPARK_JARS" ]] || die "pyspark has no jars dir at $SPARK_JARS"

# --- MLeap jars and the ASM override, from Maven Central -------------------
say "resolving mleap-spark_2.11 0.14.0 and building the ASM override (Maven)"
run "mvn" mvn -B -f "$TRAIN_DIR/pom.xml" package dependency:copy-dependencies \
  -DincludeScope=runtime -DexcludeGroupIds=org.ow2.asm \
  -DoutputDirectory="$TRAIN_DIR/target/jars" -DoverWriteIfNewer=true

# Driver classpath (prepended to Spark's own jars): the ASM override, then
# every MLeap dependency jar that pyspark does not ship, or ships older.
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
    say "  overriding pyspark's $artifact $theirs with $version"
    CP="$CP:$jar"
  fi
done

# Spark 2.4 predates Java 9 modules: open what its Platform/netty/SizeEstimator
# reflect into.
JAVA_OPTS="-Dio.netty.tryReflectionSetAccessible=true"
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio \
         java.util java.util.concurrent java.util.concurrent.atomic \
         sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  JAVA_OPTS="$JAVA_OPTS --add-opens=java.base/$p=ALL-UNNAMED"
done

# --- Train ------------------------------------------------------------------
OUT="$(mktemp -d "$CACHE/out.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
unset SPARK_HOME PYSPARK_DRIVER_PYTHON PYSPARK_DRIVER_PYTHON_OPTS
export PYSPARK_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_SUBMIT_ARGS="--driver-class-path '$CP' --driver-java-options '$JAVA_OPTS' pyspark-shell"
say "training with Spark $PYSPARK_VERSION (local[1])"
"$VENV/bin/python" "$TRAIN_DIR/train_iris_rf.py" "$IRIS" \
  "$OUT/iris-rf" "$OUT/iris-rf.zip" "$OUT/spark-golden.jsonl" \
  || die "training failed (see the messages above)"

# --- Check, then put in place ------------------------------------------------
python3 - "$OUT" <<'PY' || die "the new bundle failed its checks; nothing was replaced"
import json, os, sys, zipfile
out = sys.argv[1]
d = os.path.join(out, "iris-rf")
def load(*p):
    with open(os.path.join(d, *p)) as f:
        return json.load(f)
b = load("bundle.json")
assert b["format"] == "json", b
root = load("root", "model.json")
assert root["op"] == "pipeline", root["op"]
nodes = root["attributes"]["nodes"]["string"]
ops = [load("root", n + ".node", "model.json")["op"] for n in nodes]
want = ["string_indexer", "vector_assembler", "random_forest_classifier", "reverse_string_indexer"]
assert ops == want, ops
rf = nodes[2]
trees = load("root", rf + ".node", "model.json")["attributes"]["trees"]["string"]
assert len(trees) == 10, trees
for t in trees:
    assert load("root", rf + ".node", t, "model.json")["op"] == "decision_tree_classifier"
with zipfile.ZipFile(os.path.join(out, "iris-rf.zip")) as z:
    names = set(z.namelist())
    for n in nodes:
        assert "root/%s.node/model.json" % n in names, n
with open(os.path.join(out, "spark-golden.jsonl")) as f:
    rows = [json.loads(l) for l in f]
assert [r["row"] for r in rows] == list(range(150)), "golden rows"
print("train.sh: checked: pipeline of %s; %s has %d trees; 150 golden rows"
      % (ops, rf, len(trees)), file=sys.stderr)
PY

rm -rf "$ROOT/bundles/iris-rf" "$ROOT/bundles/iris-rf.zip"
mkdir -p "$ROOT/bundles" "$ROOT/testdata/iris"
mv "$OUT/iris-rf" "$ROOT/bundles/iris-rf"
mv "$OUT/iris-rf.zip" "$ROOT/bundles/iris-rf.zip"
mv "$OUT/spark-golden.jsonl" "$ROOT/testdata/iris/spark-golden.jsonl"
say "wrote bundles/iris-rf/, bundles/iris-rf.zip, testdata/iris/iris.csv, testdata/iris/spark-golden.jsonl"
