"""Train the extra Spark pipelines (issue 7) and save them with MLeap.

Run by scripts/train-more.sh (Python 3.7, pyspark 2.4.0, mleap 0.15.0 Python
API over the mleap-spark_2.11 0.14.0 jars), like train_iris_rf.py; see
README.md beside this file.

Usage:
  train_more.py TESTDATA_DIR OUT_DIR NAME...

For each NAME it reads TESTDATA_DIR/NAME/input.csv (written by
make_more_csv.py), fits the pipeline below on its training rows, runs
Spark's own transform over every row of the file, and writes
  OUT_DIR/NAME/                   the PipelineModel as a directory bundle
                                  (JSON), written by MLeap's
                                  SimpleSparkSerializer ("file:" URI)
  OUT_DIR/NAME.spark-golden.jsonl Spark's output for every row, in CSV
                                  order: {"row": i, <column>: <value>, ...}
                                  for every column the pipeline adds
  OUT_DIR/NAME.columns            those column names, one per line

Golden values: a double as a JSON number (Python repr: exact), a string as
a string, a DenseVector as an array, a SparseVector as
{"size": n, "indices": [...], "values": [...]} so that the representation
Spark chose is recorded too.

Pipelines (fitted on all rows, or on the rows whose number is not a
multiple of 5 where "80%" is said; every row is scored):

wine (178 rows, 3 cultivars; 80%)
  StringIndexer cultivar -> label
  VectorAssembler 13 measurements -> raw
  StandardScaler(withMean, withStd) raw -> scaled
  LogisticRegression(multinomial, regParam 0.01, thresholds [0.4,0.35,0.25])
      scaled -> lr_raw, lr_prob, lr_pred
  IndexToString lr_pred -> lr_cultivar
  Normalizer(p=2) raw -> norm2
  LogisticRegression(multinomial, regParam 0.001) norm2 -> lr2_raw, lr2_prob, lr2_pred
  Normalizer(p=1) raw -> norm1
  DecisionTreeClassifier(maxDepth 4) norm1 -> dt_raw, dt_prob, dt_pred

cancer (300 rows, binary; all rows)
  StringIndexer diagnosis -> label
  VectorAssembler 10 "mean" measurements -> raw
  MaxAbsScaler raw -> maxabs
  LogisticRegression(binomial, regParam 0.01, threshold 0.4) maxabs -> lr_raw, lr_prob, lr_pred
  IndexToString lr_pred -> lr_diagnosis
  Binarizer(15.0) mean_radius -> big_radius                (scalar)
  VectorAssembler 5 shape measurements -> shape
  Binarizer(0.1) shape -> shape_bin                        (vector)
  VectorAssembler [big_radius, shape_bin, mean_texture, mean_area] -> gbt_features
  GBTClassifier(maxIter 15, maxDepth 3) gbt_features -> rawPrediction, probability, prediction;
      thresholds [0.45, 0.55] set on the fitted model
  GBTClassifier(maxIter 10, maxDepth 2) maxabs -> gbt2_raw, gbt2_prob, gbt2_pred (no thresholds)

diabetes (442 rows, regression; 80%)
  VectorAssembler 10 measurements -> raw
  MinMaxScaler raw -> minmax
  LinearRegression minmax -> lin_pred
  LinearRegression(fitIntercept false) minmax -> lin0_pred  (intercept 0 is written as {})
  StandardScaler(withStd only) raw -> std
  LinearRegression(regParam 0.5, elasticNetParam 0.5) std -> enet_pred
  Bucketizer [-inf, 18.5, 25, 30, inf] bmi -> bmi_bucket
  VectorAssembler [bmi_bucket, age, sex, bp, s1..s6] -> tree_features
  GBTRegressor(maxIter 25, maxDepth 3) tree_features -> gbt_pred
  RandomForestRegressor(numTrees 8, maxDepth 4) tree_features -> rf_pred
  (bmi_bucket carries Bucketizer's nominal metadata: the trees split on it
  as a categorical feature)

diabetes-cats (442 rows, string categories; 80%: "n/a" and some age bands
  are never seen in training)
  StringIndexer(keep) sex_group -> sex_idx, age_band -> age_idx, bmi_band -> bmi_idx
  StringIndexer risk -> label
  OneHotEncoderEstimator(keep, dropLast) [sex_idx, age_idx, bmi_idx] -> [sex_vec, age_vec, bmi_vec]
  Binarizer(100.0) bp -> bp_hi;  Binarizer(4.8) s5 -> s5_hi
  VectorAssembler [sex_vec, bp_hi, s5_hi] -> flags          (dense or sparse by row)
  VectorAssembler [flags, age_vec, bmi_vec, bmi, s6] -> cat_features   (sparse)
  StandardScaler(withStd only) cat_features -> cat_scaled (stays sparse)
  MaxAbsScaler cat_features -> cat_maxabs;  MinMaxScaler cat_features -> cat_minmax
  Normalizer(p=1) cat_features -> cat_norm
  StandardScaler(withMean, withStd) flags -> flags_std
  Binarizer(1.0) cat_scaled -> cat_bin                     (vector, sparse input)
  LinearRegression cat_scaled -> lin_pred
  LogisticRegression(binomial) cat_scaled -> lr_raw, lr_prob, lr_pred
  IndexToString lr_pred -> lr_risk
  VectorAssembler [sex_idx, age_idx, bmi_idx, bmi, bp, s5] -> tree_features
  DecisionTreeRegressor(maxDepth 5) tree_features -> dt_pred
  RandomForestClassifier(numTrees 6, maxDepth 4) tree_features -> rf_raw, rf_prob, rf_pred
  (the three indices carry StringIndexer's nominal metadata: categorical splits)
"""

import csv
import json
import os
import shutil
import sys

from pyspark.ml import Pipeline
from pyspark.ml.classification import (DecisionTreeClassifier, GBTClassifier,
                                       LogisticRegression,
                                       RandomForestClassifier)
from pyspark.ml.feature import (Binarizer, Bucketizer, IndexToString,
                                MaxAbsScaler, MinMaxScaler, Normalizer,
                                OneHotEncoderEstimator, StandardScaler,
                                StringIndexer, VectorAssembler)
from pyspark.ml.linalg import DenseVector, SparseVector
from pyspark.ml.regression import (DecisionTreeRegressor, GBTRegressor,
                                   LinearRegression, RandomForestRegressor)
from pyspark.sql import SparkSession
from pyspark.sql.types import (DoubleType, IntegerType, StringType,
                               StructField, StructType)

import mleap.pyspark  # noqa: F401  (adds serializeToBundle to transformers)
from mleap.pyspark.spark_support import SimpleSparkSerializer  # noqa: F401

ROW = "row"  # carried through the transform to keep the CSV order


def log(msg):
    print("train_more: " + msg, file=sys.stderr, flush=True)


def read_csv(path):
    """Header and rows; a column is double if every value parses as a float
    (Python's float() and Java's parser round the same way)."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        recs = list(reader)
    numeric = []
    for c in range(len(header)):
        ok = True
        for r in recs:
            try:
                float(r[c])
            except ValueError:
                ok = False
                break
        numeric.append(ok)
    rows = []
    for i, r in enumerate(recs):
        if len(r) != len(header):
            raise SystemExit("%s:%d: %d fields, want %d" % (path, i + 2, len(r), len(header)))
        rows.append(tuple([i] + [float(v) if numeric[c] else v for c, v in enumerate(r)]))
    fields = [StructField(ROW, IntegerType(), False)]
    fields += [StructField(h, DoubleType() if numeric[c] else StringType(), False)
               for c, h in enumerate(header)]
    return header, rows, StructType(fields)


def train_rows(df, every_row):
    return df if every_row else df.filter("%s %% 5 != 0" % ROW)


# --- the pipelines ----------------------------------------------------------

def wine(spark, df, header):
    feats = header[:13]
    label = StringIndexer(inputCol="cultivar", outputCol="label").fit(df)
    stages = [
        label,
        VectorAssembler(inputCols=feats, outputCol="raw"),
        StandardScaler(withMean=True, withStd=True, inputCol="raw", outputCol="scaled"),
        LogisticRegression(family="multinomial", regParam=0.01, thresholds=[0.4, 0.35, 0.25],
                           featuresCol="scaled", labelCol="label", rawPredictionCol="lr_raw",
                           probabilityCol="lr_prob", predictionCol="lr_pred"),
        IndexToString(inputCol="lr_pred", outputCol="lr_cultivar", labels=label.labels),
        Normalizer(p=2.0, inputCol="raw", outputCol="norm2"),
        LogisticRegression(family="multinomial", regParam=0.001, featuresCol="norm2",
                           labelCol="label", rawPredictionCol="lr2_raw",
                           probabilityCol="lr2_prob", predictionCol="lr2_pred"),
        Normalizer(p=1.0, inputCol="raw", outputCol="norm1"),
        DecisionTreeClassifier(maxDepth=4, featuresCol="norm1", labelCol="label",
                               rawPredictionCol="dt_raw", probabilityCol="dt_prob",
                               predictionCol="dt_pred", seed=11),
    ]
    return Pipeline(stages=stages).fit(train_rows(df, False))


def cancer(spark, df, header):
    feats = header[:10]
    shape = ["mean_smoothness", "mean_compactness", "mean_concavity",
             "mean_concave_points", "mean_fractal_dimension"]
    label = StringIndexer(inputCol="diagnosis", outputCol="label").fit(df)
    # pyspark 2.4's GBTClassifier has no rawPrediction / probability column
    # params, nor thresholds: they are set on the Java objects.
    gbt2 = GBTClassifier(maxIter=10, maxDepth=2, seed=9, featuresCol="maxabs", labelCol="label",
                         predictionCol="gbt2_pred")
    gbt2._java_obj.setRawPredictionCol("gbt2_raw")
    gbt2._java_obj.setProbabilityCol("gbt2_prob")
    stages = [
        label,
        VectorAssembler(inputCols=feats, outputCol="raw"),
        MaxAbsScaler(inputCol="raw", outputCol="maxabs"),
        LogisticRegression(family="binomial", regParam=0.01, threshold=0.4, featuresCol="maxabs",
                           labelCol="label", rawPredictionCol="lr_raw", probabilityCol="lr_prob",
                           predictionCol="lr_pred"),
        IndexToString(inputCol="lr_pred", outputCol="lr_diagnosis", labels=label.labels),
        Binarizer(threshold=15.0, inputCol="mean_radius", outputCol="big_radius"),
        VectorAssembler(inputCols=shape, outputCol="shape"),
        Binarizer(threshold=0.1, inputCol="shape", outputCol="shape_bin"),
        VectorAssembler(inputCols=["big_radius", "shape_bin", "mean_texture", "mean_area"],
                        outputCol="gbt_features"),
        GBTClassifier(maxIter=15, maxDepth=3, seed=7, featuresCol="gbt_features",
                      labelCol="label"),
        gbt2,
    ]
    model = Pipeline(stages=stages).fit(train_rows(df, True))
    gw = spark.sparkContext._gateway
    th = gw.new_array(gw.jvm.double, 2)
    th[0], th[1] = 0.45, 0.55
    model.stages[-2]._java_obj.setThresholds(th)
    return model


def diabetes(spark, df, header):
    feats = header[:10]
    stages = [
        VectorAssembler(inputCols=feats, outputCol="raw"),
        MinMaxScaler(inputCol="raw", outputCol="minmax"),
        LinearRegression(featuresCol="minmax", labelCol="target", predictionCol="lin_pred"),
        LinearRegression(fitIntercept=False, featuresCol="minmax", labelCol="target",
                         predictionCol="lin0_pred"),
        StandardScaler(withMean=False, withStd=True, inputCol="raw", outputCol="std"),
        LinearRegression(regParam=0.5, elasticNetParam=0.5, featuresCol="std",
                         labelCol="target", predictionCol="enet_pred"),
        Bucketizer(splits=[float("-inf"), 18.5, 25.0, 30.0, float("inf")],
                   inputCol="bmi", outputCol="bmi_bucket"),
        VectorAssembler(inputCols=["bmi_bucket"] + [f for f in feats if f != "bmi"],
                        outputCol="tree_features"),
        GBTRegressor(maxIter=25, maxDepth=3, seed=5, featuresCol="tree_features",
                     labelCol="target", predictionCol="gbt_pred"),
        RandomForestRegressor(numTrees=8, maxDepth=4, seed=3, featuresCol="tree_features",
                              labelCol="target", predictionCol="rf_pred"),
    ]
    return Pipeline(stages=stages).fit(train_rows(df, False))


def diabetes_cats(spark, df, header):
    train = train_rows(df, False)
    label = StringIndexer(inputCol="risk", outputCol="label").fit(train)
    stages = [
        StringIndexer(inputCol="sex_group", outputCol="sex_idx", handleInvalid="keep"),
        StringIndexer(inputCol="age_band", outputCol="age_idx", handleInvalid="keep"),
        StringIndexer(inputCol="bmi_band", outputCol="bmi_idx", handleInvalid="keep"),
        label,
        OneHotEncoderEstimator(inputCols=["sex_idx", "age_idx", "bmi_idx"],
                               outputCols=["sex_vec", "age_vec", "bmi_vec"],
                               handleInvalid="keep", dropLast=True),
        Binarizer(threshold=100.0, inputCol="bp", outputCol="bp_hi"),
        Binarizer(threshold=4.8, inputCol="s5", outputCol="s5_hi"),
        VectorAssembler(inputCols=["sex_vec", "bp_hi", "s5_hi"], outputCol="flags"),
        VectorAssembler(inputCols=["flags", "age_vec", "bmi_vec", "bmi", "s6"],
                        outputCol="cat_features"),
        StandardScaler(withMean=False, withStd=True, inputCol="cat_features",
                       outputCol="cat_scaled"),
        # The scalers and the vector binarizer on sparse input:
        MaxAbsScaler(inputCol="cat_features", outputCol="cat_maxabs"),
        MinMaxScaler(inputCol="cat_features", outputCol="cat_minmax"),
        Normalizer(p=1.0, inputCol="cat_features", outputCol="cat_norm"),
        StandardScaler(withMean=True, withStd=True, inputCol="flags", outputCol="flags_std"),
        Binarizer(threshold=1.0, inputCol="cat_scaled", outputCol="cat_bin"),
        LinearRegression(featuresCol="cat_scaled", labelCol="target", predictionCol="lin_pred"),
        LogisticRegression(family="binomial", featuresCol="cat_scaled", labelCol="label",
                           rawPredictionCol="lr_raw", probabilityCol="lr_prob",
                           predictionCol="lr_pred"),
        IndexToString(inputCol="lr_pred", outputCol="lr_risk", labels=label.labels),
        VectorAssembler(inputCols=["sex_idx", "age_idx", "bmi_idx", "bmi", "bp", "s5"],
                        outputCol="tree_features"),
        DecisionTreeRegressor(maxDepth=5, seed=13, featuresCol="tree_features",
                              labelCol="target", predictionCol="dt_pred"),
        RandomForestClassifier(numTrees=6, maxDepth=4, seed=17, featuresCol="tree_features",
                               labelCol="label", rawPredictionCol="rf_raw",
                               probabilityCol="rf_prob", predictionCol="rf_pred"),
    ]
    return Pipeline(stages=stages).fit(train)


PIPELINES = {
    "wine": wine,
    "cancer": cancer,
    "diabetes": diabetes,
    "diabetes-cats": diabetes_cats,
}


# --- output -------------------------------------------------------------------

def encode(v):
    if isinstance(v, DenseVector):
        return [float(x) for x in v.toArray()]
    if isinstance(v, SparseVector):
        return {"size": int(v.size), "indices": [int(i) for i in v.indices],
                "values": [float(x) for x in v.values]}
    if isinstance(v, bool):
        raise SystemExit("unexpected boolean column value")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v
    raise SystemExit("unsupported column value %r (%s)" % (v, type(v).__name__))


def run(spark, name, testdata, out):
    path = os.path.join(testdata, name, "input.csv")
    header, rows, schema = read_csv(path)
    df = spark.createDataFrame(rows, schema).coalesce(1).cache()
    n = df.count()
    log("%s: %d rows from %s" % (name, n, path))
    model = PIPELINES[name](spark, df, header)
    scored = model.transform(df)
    cols = [c for c in scored.columns if c not in header and c != ROW]
    got = scored.select(ROW, *cols).orderBy(ROW).collect()
    if [r[ROW] for r in got] != list(range(n)):
        raise SystemExit("%s: transform lost or reordered rows" % name)
    with open(os.path.join(out, name + ".spark-golden.jsonl"), "w", encoding="ascii",
              newline="\n") as f:
        for r in got:
            obj = [("row", r[ROW])] + [(c, encode(r[c])) for c in cols]
            f.write(json.dumps(dict(obj), separators=(",", ":"), allow_nan=False) + "\n")
    with open(os.path.join(out, name + ".columns"), "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(cols) + "\n")
    # Which representation Spark chose for each vector column (for the log).
    for c in cols:
        kinds = {}
        for r in got:
            k = type(r[c]).__name__
            kinds[k] = kinds.get(k, 0) + 1
        if any(k.endswith("Vector") for k in kinds):
            log("  %s: %s" % (c, ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items()))))
    target = os.path.join(out, name)
    if os.path.exists(target):
        shutil.rmtree(target)
    model.serializeToBundle("file:" + target, scored)
    log("%s: wrote bundle, %d golden rows, columns %s" % (name, n, ", ".join(cols)))


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    testdata, out = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    names = argv[3:]
    for n in names:
        if n not in PIPELINES:
            print("unknown pipeline %r (have %s)" % (n, ", ".join(PIPELINES)), file=sys.stderr)
            return 2
    os.makedirs(out, exist_ok=True)
    spark = (SparkSession.builder
             .master("local[1]")
             .appName("irisctl-train-more")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.default.parallelism", "1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    try:
        log("Spark %s, master %s" % (spark.version, spark.sparkContext.master))
        for n in names:
            run(spark, n, testdata, out)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
