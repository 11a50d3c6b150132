"""Write testdata/iris/iris.csv from the iris.csv that scikit-learn ships.

scikit-learn's file starts with a line "150,4,setosa,versicolor,virginica"
(row count, feature count, class names) followed by rows whose last field is
the class number. We keep every measurement as the exact text of the source
file and spell the class the way the UCI repository does (Iris-setosa, ...).

Usage: python3 make_iris_csv.py OUT.csv   (run with a Python that has sklearn)
"""

import os
import sys

import sklearn

HEADER = "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: make_iris_csv.py OUT.csv", file=sys.stderr)
        return 2
    out_path = sys.argv[1]
    src = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "iris.csv")
    with open(src, encoding="ascii") as f:
        lines = f.read().splitlines()

    head = lines[0].split(",")
    n_rows, n_features = int(head[0]), int(head[1])
    class_names = head[2:]
    if n_features != 4 or class_names != ["setosa", "versicolor", "virginica"]:
        print(f"{src}:1: unexpected header {lines[0]!r}", file=sys.stderr)
        return 1

    body = [l for l in lines[1:] if l.strip()]
    if len(body) != n_rows:
        print(f"{src}: header says {n_rows} rows, found {len(body)}", file=sys.stderr)
        return 1

    out = [HEADER]
    for i, line in enumerate(body, start=2):
        fields = line.split(",")
        if len(fields) != 5:
            print(f"{src}:{i}: expected 5 fields, got {len(fields)}", file=sys.stderr)
            return 1
        for v in fields[:4]:
            float(v)  # must parse; the text itself is kept unchanged
        label = "Iris-" + class_names[int(fields[4])]
        out.append(",".join(fields[:4] + [label]))

    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {out_path} ({len(out) - 1} rows) from {src} "
          f"(scikit-learn {sklearn.__version__})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
