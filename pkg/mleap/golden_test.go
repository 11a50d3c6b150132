package mleap

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// repoPath resolves a path from the repository root.
func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// goldenRow is one row as Spark (scripts/train) or the MLeap JVM runtime
// (scripts/mleap-oracle) wrote it; missing columns are nil.
type goldenRow struct {
	Row            int       `json:"row"`
	IndexedLabel   *float64  `json:"indexedLabel"`
	RawPrediction  []float64 `json:"rawPrediction"`
	Probability    []float64 `json:"probability"`
	Prediction     *float64  `json:"prediction"`
	PredictedLabel *string   `json:"predictedLabel"`
}

func readGolden(t *testing.T, path string) []goldenRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var g goldenRow
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, g)
	}
	return rows
}

// irisCSV reads testdata/iris/iris.csv: measurements and class per row.
func irisCSV(t *testing.T) (feats [][4]float64, class []string) {
	t.Helper()
	f, err := os.Open(repoPath("testdata", "iris", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		var r [4]float64
		for i := range r {
			r[i], _ = strconv.ParseFloat(p[i], 64)
		}
		feats, class = append(feats, r), append(class, p[4])
	}
	return feats, class
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// scoreIris scores the 150 iris rows with the bundle at path and returns
// them in the golden shape, so both sides compare field by field.
func scoreIris(t *testing.T, path string, withClass bool) []goldenRow {
	t.Helper()
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rawPrediction", "probability", "prediction", "predictedLabel"}
	supplied := append([]string(nil), irisFeatures...)
	if withClass {
		want = append(want, "indexedLabel")
		supplied = append(supplied, "class")
	}
	p, err := m.Compile(want, supplied)
	if err != nil {
		t.Fatal(err)
	}
	col := func(n string) Col {
		c, err := p.Column(n)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	feats, class := irisCSV(t)
	row := p.NewRow()
	var out []goldenRow
	for i, x := range feats {
		for k, n := range irisFeatures {
			row.SetDouble(col(n), x[k])
		}
		if withClass {
			row.SetBytes(col("class"), []byte(class[i]))
		}
		if err := p.Run(row); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		pred := row.Double(col("prediction"))
		label := string(row.Bytes(col("predictedLabel")))
		g := goldenRow{Row: i, RawPrediction: row.Vector(col("rawPrediction")).ToDense(),
			Probability: row.Vector(col("probability")).ToDense(), Prediction: &pred, PredictedLabel: &label}
		if withClass {
			il := row.Double(col("indexedLabel"))
			g.IndexedLabel = &il
		}
		out = append(out, g)
	}
	return out
}

func compareRows(t *testing.T, name string, got, want []goldenRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, golden has %d", name, len(got), len(want))
	}
	bad := 0
	for i := range want {
		if d := diffRow(got[i], want[i]); d != "" {
			bad++
			if bad <= 5 {
				t.Errorf("%s row %d: %s", name, i, d)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", name, bad, len(want))
	}
}

func diffRow(g, w goldenRow) string {
	vec := func(n string, a, b []float64) string {
		if b == nil {
			return ""
		}
		if len(a) != len(b) {
			return fmt.Sprintf("%s has %d elements, want %d", n, len(a), len(b))
		}
		for i := range a {
			if !sameBits(a[i], b[i]) {
				return fmt.Sprintf("%s[%d] = %v (%#x), want %v (%#x)", n, i, a[i], math.Float64bits(a[i]), b[i], math.Float64bits(b[i]))
			}
		}
		return ""
	}
	if d := vec("rawPrediction", g.RawPrediction, w.RawPrediction); d != "" {
		return d
	}
	if d := vec("probability", g.Probability, w.Probability); d != "" {
		return d
	}
	if w.Prediction != nil && !sameBits(*g.Prediction, *w.Prediction) {
		return fmt.Sprintf("prediction = %v, want %v", *g.Prediction, *w.Prediction)
	}
	if w.PredictedLabel != nil && *g.PredictedLabel != *w.PredictedLabel {
		return fmt.Sprintf("predictedLabel = %q, want %q", *g.PredictedLabel, *w.PredictedLabel)
	}
	if w.IndexedLabel != nil && g.IndexedLabel != nil && !sameBits(*g.IndexedLabel, *w.IndexedLabel) {
		return fmt.Sprintf("indexedLabel = %v, want %v", *g.IndexedLabel, *w.IndexedLabel)
	}
	return ""
}

// TestIrisGolden: every one of the 150 rows is bit-identical to what real
// Spark and the real MLeap runtime computed, for the directory, zip and
// protobuf bundles, with and without the label column.
func TestIrisGolden(t *testing.T) {
	spark := readGolden(t, repoPath("testdata", "iris", "spark-golden.jsonl"))
	if len(spark) != 150 {
		t.Fatalf("spark golden has %d rows", len(spark))
	}
	for _, bc := range []struct{ bundle, mleapGolden string }{
		{"iris-rf", "mleap-golden.jsonl"},
		{"iris-rf.zip", "mleap-golden-zip.jsonl"},
		{"iris-rf-pb", "mleap-golden-pb.jsonl"},
	} {
		mleapRows := readGolden(t, repoPath("testdata", "iris", bc.mleapGolden))
		for _, withClass := range []bool{false, true} {
			name := fmt.Sprintf("%s withClass=%v", bc.bundle, withClass)
			t.Run(name, func(t *testing.T) {
				got := scoreIris(t, repoPath("bundles", bc.bundle), withClass)
				compareRows(t, name+" vs Spark", got, spark)
				compareRows(t, name+" vs MLeap", got, mleapRows)
			})
		}
	}
}

// TestSeedBundleIrisGolden: the article's own bundle (Spark 2.4, MLeap
// 0.14, orphan nodes included) against the MLeap runtime on all 150 rows.
func TestSeedBundleIrisGolden(t *testing.T) {
	want := readGolden(t, repoPath("testdata", "seed", "mleap-golden-iris.jsonl"))
	for _, withClass := range []bool{false, true} {
		got := scoreIris(t, seedBundle(t), withClass)
		compareRows(t, fmt.Sprintf("seed withClass=%v", withClass), got, want)
	}
}
