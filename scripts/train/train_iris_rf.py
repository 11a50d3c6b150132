"""Train the iris random-forest pipeline with PySpark and save it with MLeap.

Run by scripts/train.sh (Python 3.7, pyspark 2.4.0, mleap 0.15.0 Python API
over the mleap-spark_2.11 0.14.0 jars); see README.md beside this file.

Usage:
  train_iris_rf.py IRIS_CSV BUNDLE_DIR BUNDLE_ZIP GOLDEN_JSONL

Pipeline (as in the article):
  StringIndexer(class -> indexedLabel)
  VectorAssembler(4 measurements -> features)
  RandomForestClassifier(indexedLabel, features, numTrees=10, seed=42)
  IndexToString(prediction -> predictedLabel, labels of the StringIndexer)

Writes:
  BUNDLE_DIR   directory bundle (JSON), via the "file:" URI form
  BUNDLE_ZIP   zip bundle, via the "jar:file:" URI form
  GOLDEN_JSONL Spark's own model.transform output, one JSON object per row,
               in the CSV's row order
"""

import csv
import json
import os
import shutil
import sys

from pyspark.ml import Pipeline
from pyspark.ml.classification import RandomForestClassifier
from pyspark.ml.feature import IndexToString, StringIndexer, VectorAssembler
from pyspark.sql import SparkSession
from pyspark.sql.types import (DoubleType, IntegerType, StringType,
                               StructField, StructType)

import mleap.pyspark  # noqa: F401  (adds serializeToBundle to transformers)
from mleap.pyspark.spark_support import SimpleSparkSerializer  # noqa: F401

FEATURES = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]
LABEL = "class"
ROW = "row"  # carried through the transform to keep the CSV order


def log(msg):
    print("train_iris_rf: " + msg, file=sys.stderr, flush=True)


def read_iris(path):
    """Rows of (row, 4 doubles, class). float() of the CSV text gives the same
    double as Spark's/Java's parser (both round correctly)."""
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != FEATURES + [LABEL]:
            raise SystemExit("%s:1: unexpected header %r" % (path, header))
        for i, rec in enumerate(reader):
            if len(rec) != 5:
                raise SystemExit("%s:%d: expected 5 fields" % (path, i + 2))
            rows.append((i,) + tuple(float(v) for v in rec[:4]) + (rec[4],))
    return rows


def schema():
    fields = [StructField(ROW, IntegerType(), False)]
    fields += [StructField(c, DoubleType(), False) for c in FEATURES]
    fields.append(StructField(LABEL, StringType(), False))
    return StructType(fields)


def vector_values(v):
    return [float(x) for x in v.toArray()]


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    iris_csv, bundle_dir, bundle_zip, golden = [os.path.abspath(a) for a in argv[1:]]

    spark = (SparkSession.builder
             .master("local[1]")
             .appName("irisctl-train")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.default.parallelism", "1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    try:
        log("Spark %s, master %s" % (spark.version, spark.sparkContext.master))
        data = spark.createDataFrame(read_iris(iris_csv), schema()).coalesce(1).cache()
        n = data.count()
        log("read %d rows from %s" % (n, iris_csv))

        label_indexer = StringIndexer(inputCol=LABEL, outputCol="indexedLabel").fit(data)
        assembler = VectorAssembler(inputCols=FEATURES, outputCol="features")
        rf = RandomForestClassifier(labelCol="indexedLabel", featuresCol="features",
                                    numTrees=10, seed=42)
        label_converter = IndexToString(inputCol="prediction", outputCol="predictedLabel",
                                        labels=label_indexer.labels)
        pipeline = Pipeline(stages=[label_indexer, assembler, rf, label_converter])
        model = pipeline.fit(data)
        log("labels (index order): %s" % (label_indexer.labels,))

        scored = model.transform(data)

        # Golden rows: Spark's own output, back in CSV order.
        out_cols = [ROW, "indexedLabel", "rawPrediction", "probability",
                    "prediction", "predictedLabel"]
        rows = scored.select(*out_cols).orderBy(ROW).collect()
        if [r[ROW] for r in rows] != list(range(n)):
            raise SystemExit("transform output lost or reordered rows")
        os.makedirs(os.path.dirname(golden), exist_ok=True)
        with open(golden, "w", encoding="ascii", newline="\n") as f:
            for r in rows:
                obj = [
                    ("row", r[ROW]),
                    ("indexedLabel", float(r["indexedLabel"])),
                    ("rawPrediction", vector_values(r["rawPrediction"])),
                    ("probability", vector_values(r["probability"])),
                    ("prediction", float(r["prediction"])),
                    ("predictedLabel", r["predictedLabel"]),
                ]
                # json.dumps writes floats with repr(): shortest text that
                # round-trips to the same double.
                f.write(json.dumps(dict(obj), separators=(",", ":"),
                                   allow_nan=False) + "\n")
        wrong = sum(1 for r in rows if r["prediction"] != r["indexedLabel"])
        log("wrote %s (%d rows, %d training errors)" % (golden, len(rows), wrong))

        # Bundles, written by MLeap's SimpleSparkSerializer with the
        # transformed dataset (needed for input shapes and labels).
        for target, uri in ((bundle_dir, "file:" + bundle_dir),
                            (bundle_zip, "jar:file:" + bundle_zip)):
            if os.path.isdir(target):
                shutil.rmtree(target)
            elif os.path.exists(target):
                os.remove(target)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            model.serializeToBundle(uri, scored)
            log("wrote %s" % uri)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
