"""Write the input CSVs of the extra training sets (scripts/train-more.sh).

Each CSV has a header and keeps the row order of the scikit-learn data set
it comes from. Doubles are written with Python's repr(), which round-trips
exactly, so Spark, the MLeap oracle and the Go tests all read the same
doubles.

  testdata/wine/input.csv           scikit-learn's wine data, 178 rows:
                                    13 measurements + cultivar (class_0..2)
  testdata/cancer/input.csv         the first 300 rows of scikit-learn's
                                    breast-cancer data: the 10 "mean ..."
                                    measurements + diagnosis (malignant/benign)
  testdata/diabetes/input.csv       scikit-learn's diabetes data, raw
                                    (unscaled), 442 rows: age, sex, bmi, bp,
                                    s1..s6 + target
  testdata/diabetes-cats/input.csv  the same 442 rows with string categories
                                    made from them: sex_group, age_band,
                                    bmi_band, risk (see below)

String categories of diabetes-cats:
  sex_group  "sex1" / "sex2" from the raw sex code 1 / 2
  age_band   "age10s" .. "age70s" by decade of age
  bmi_band   "under" (< 18.5), "normal" (< 25), "over" (< 30), "obese";
             on rows whose number is a multiple of 50 the band is "n/a",
             a value the pipeline never sees in training (train_more.py
             trains diabetes-cats on rows whose number is not a multiple
             of 5), so that StringIndexer's handleInvalid=keep is exercised
  risk       "high" when the disease-progression target is > 140, else "low"

Usage: python3 make_more_csv.py TESTDATA_DIR   (a Python that has sklearn)
"""

import os
import sys

import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine


def snake(name):
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "_")
    s = "".join(out)
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


def num(x):
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise SystemExit("non-finite value %r" % x)
    return repr(x)


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            if len(r) != len(header):
                raise SystemExit("%s: row of %d fields for %d columns" % (path, len(r), len(header)))
            f.write(",".join(r) + "\n")
    print("wrote %s (%d rows)" % (path, len(rows)), file=sys.stderr)


def wine(out):
    d = load_wine()
    names = [snake(n) for n in d.feature_names]
    rows = [[num(v) for v in x] + [str(d.target_names[t])] for x, t in zip(d.data, d.target)]
    write(os.path.join(out, "wine", "input.csv"), names + ["cultivar"], rows)


def cancer(out):
    d = load_breast_cancer()
    idx = [i for i, n in enumerate(d.feature_names) if n.startswith("mean ")]
    if len(idx) != 10:
        raise SystemExit("breast cancer: expected 10 'mean ...' features, got %d" % len(idx))
    names = [snake(d.feature_names[i]) for i in idx]
    rows = []
    for x, t in list(zip(d.data, d.target))[:300]:
        rows.append([num(x[i]) for i in idx] + [str(d.target_names[t])])
    write(os.path.join(out, "cancer", "input.csv"), names + ["diagnosis"], rows)


def diabetes(out):
    d = load_diabetes(scaled=False)
    names = list(d.feature_names)
    if names != ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]:
        raise SystemExit("diabetes: unexpected features %r" % names)
    rows = [[num(v) for v in x] + [num(t)] for x, t in zip(d.data, d.target)]
    write(os.path.join(out, "diabetes", "input.csv"), names + ["target"], rows)

    cats = []
    for i, (x, t) in enumerate(zip(d.data, d.target)):
        age, sex, bmi = x[0], x[1], x[2]
        if sex not in (1.0, 2.0):
            raise SystemExit("diabetes row %d: sex code %r" % (i, sex))
        sex_group = "sex%d" % int(sex)
        age_band = "age%ds" % (int(age) // 10 * 10)
        if i % 50 == 0:
            bmi_band = "n/a"
        elif bmi < 18.5:
            bmi_band = "under"
        elif bmi < 25:
            bmi_band = "normal"
        elif bmi < 30:
            bmi_band = "over"
        else:
            bmi_band = "obese"
        risk = "high" if t > 140 else "low"
        cats.append([num(v) for v in x] + [num(t), sex_group, age_band, bmi_band, risk])
    write(os.path.join(out, "diabetes-cats", "input.csv"),
          names + ["target", "sex_group", "age_band", "bmi_band", "risk"], cats)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    wine(out)
    cancer(out)
    diabetes(out)
    print("(scikit-learn %s)" % sklearn.__version__, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
