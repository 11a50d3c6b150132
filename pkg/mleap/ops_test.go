package mleap

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Unit tests of the issue-7 ops on hand-made model.json files: attribute
// errors, and the corners of Spark's semantics the trained bundles do not
// reach. Where a test states what Spark does, that was observed with Spark
// 2.4.0 (scripts/train-more.sh's environment), not assumed.

// --- exp and pow against a 300-bit reference ---------------------------------

const refPrec = 300

// bigExp is e^x to refPrec bits: Taylor series of x/2^k, squared k times.
func bigExp(x *big.Float) *big.Float {
	x = new(big.Float).SetPrec(refPrec).Set(x)
	k := 0
	lim := big.NewFloat(0x1p-12)
	for new(big.Float).Abs(x).Cmp(lim) > 0 {
		x.SetMantExp(x, -1)
		k++
	}
	sum := new(big.Float).SetPrec(refPrec).SetInt64(1)
	term := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for n := int64(1); n < 80; n++ {
		term.Mul(term, x)
		term.Quo(term, new(big.Float).SetInt64(n))
		sum.Add(sum, term)
	}
	for ; k > 0; k-- {
		sum.Mul(sum, sum)
	}
	return sum
}

// bigLog is ln x to refPrec bits (Newton's method on bigExp).
func bigLog(x float64) *big.Float {
	X := new(big.Float).SetPrec(refPrec).SetFloat64(x)
	l := new(big.Float).SetPrec(refPrec).SetFloat64(math.Log(x))
	for i := 0; i < 4; i++ {
		e := bigExp(l)
		d := new(big.Float).SetPrec(refPrec).Sub(X, e)
		d.Quo(d, e)
		l.Add(l, d)
	}
	return l
}

func TestJavaExpCorrectlyRounded(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	xs := []float64{1e-300, -1e-300, 0x1p-54, -0x1p-54, 1e-10, 0.5, -0.5, 1, -1, math.Ln2, 700, -700, 709.78, -708.3}
	for i := 0; i < 6000; i++ {
		switch i % 4 {
		case 0:
			xs = append(xs, (rng.Float64()*2-1)*40)
		case 1:
			xs = append(xs, (rng.Float64()*2-1)*2)
		case 2:
			xs = append(xs, (rng.Float64()*2-1)*1e-3)
		default:
			xs = append(xs, (rng.Float64()*2-1)*700)
		}
	}
	bad := 0
	for _, x := range xs {
		want, _ := bigExp(new(big.Float).SetPrec(refPrec).SetFloat64(x)).Float64()
		if got := javaExp(x); math.Float64bits(got) != math.Float64bits(want) {
			bad++
			if bad <= 5 {
				t.Errorf("javaExp(%v) = %v, correctly rounded is %v", x, got, want)
			}
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{math.NaN(), math.NaN()}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0}, {0, 1}, {math.Copysign(0, -1), 1},
		{710, math.Inf(1)}, {-746, 0},
	} {
		got := javaExp(c.x)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("javaExp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestJavaPowCorrectlyRounded(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	ys := []float64{3, 1.0 / 3, 0.5, 1.5, 2.5, 4, 7, 0.1, 1.0 / 7}
	bad := 0
	for i := 0; i < 3000; i++ {
		x := math.Exp((rng.Float64()*2 - 1) * 12)
		y := ys[i%len(ys)]
		z := new(big.Float).SetPrec(refPrec).Mul(bigLog(x), new(big.Float).SetPrec(refPrec).SetFloat64(y))
		want, _ := bigExp(z).Float64()
		if got := javaPow(x, y); math.Float64bits(got) != math.Float64bits(want) {
			bad++
			if bad <= 5 {
				t.Errorf("javaPow(%v, %v) = %v, correctly rounded is %v", x, y, got, want)
			}
		}
	}
	if got := javaPow(0, 3); got != 0 {
		t.Errorf("javaPow(0, 3) = %v", got)
	}
}

// --- hand-made bundles ----------------------------------------------------------

// oneStage writes a pipeline with one node "n" of the given op, attributes
// (JSON object text) and ports.
func oneStage(t *testing.T, op, attrs string, ins, outs [][2]string) string {
	t.Helper()
	files := pipelineOf("n")
	sock := func(ps [][2]string) string {
		var q []string
		for _, p := range ps {
			b, _ := json.Marshal(map[string]string{"port": p[0], "name": p[1]})
			q = append(q, string(b))
		}
		return "[" + strings.Join(q, ",") + "]"
	}
	files["root/n.node/model.json"] = `{"op":"` + op + `","attributes":` + attrs + `}`
	files["root/n.node/node.json"] = `{"name":"n","shape":{"inputs":` + sock(ins) + `,"outputs":` + sock(outs) + `}}`
	return writeBundle(t, files)
}

var (
	inOut   = [][2]string{{"input", "a"}}
	outB    = [][2]string{{"output", "b"}}
	feats   = [][2]string{{"features", "f"}}
	predOut = [][2]string{{"prediction", "p"}}
)

// TestOpAttributeErrors: a bad attribute is reported with the model file,
// the node's folder and the attribute's name.
func TestOpAttributeErrors(t *testing.T) {
	tensor := func(vals string, dims string) string {
		return `{"type":"tensor","double":[` + vals + `],"shape":{"dimensions":[` + dims + `]}}`
	}
	cases := []struct {
		op, attrs string
		ins, outs [][2]string
		attr      string
	}{
		{"linear_regression", `{"intercept":{"double":1}}`, feats, predOut, "coefficients"},
		{"logistic_regression", `{"coefficients":` + tensor("1,2", `{"size":2}`) + `}`, feats, predOut, "num_classes"},
		{"logistic_regression", `{"num_classes":{"long":3},"coefficient_matrix":` + tensor("1,2,3,4", `{"size":2},{"size":2}`) + `,"intercept_vector":` + tensor("0,0,0", `{"size":3}`) + `}`, feats, predOut, "coefficient_matrix"},
		{"logistic_regression", `{"num_classes":{"long":3},"coefficient_matrix":` + tensor("1,2,3,4,5,6", `{"size":3},{"size":2}`) + `,"intercept_vector":` + tensor("0,0", `{"size":2}`) + `}`, feats, predOut, "intercept_vector"},
		{"logistic_regression", `{"num_classes":{"long":2},"coefficients":` + tensor("1,2", `{"size":2}`) + `,"threshold":{"double":1.5}}`, feats, predOut, "threshold"},
		{"logistic_regression", `{"num_classes":{"long":3},"coefficient_matrix":` + tensor("1,2,3,4,5,6", `{"size":3},{"size":2}`) + `,"intercept_vector":` + tensor("0,0,0", `{"size":3}`) + `,"thresholds":{"type":"list","double":[0.5,0.5]}}`, feats, predOut, "thresholds"},
		{"gbt_regression", `{"num_features":{"long":2},"trees":{"type":"list","string":[]}}`, feats, predOut, "trees"},
		{"standard_scaler", `{}`, inOut, outB, "mean"},
		{"standard_scaler", `{"mean":` + tensor("1,2", `{"size":2}`) + `,"std":` + tensor("1", `{"size":1}`) + `}`, inOut, outB, "std"},
		{"min_max_scaler", `{"min":` + tensor("1,2", `{"size":2}`) + `}`, inOut, outB, "max"},
		{"max_abs_scaler", `{}`, inOut, outB, "maxAbs"},
		{"one_hot_encoder", `{"category_sizes":{"type":"list","int":[3]},"handle_invalid":{"string":"skip"}}`, inOut, outB, "handle_invalid"},
		{"one_hot_encoder", `{"category_sizes":{"type":"list","int":[3,4]}}`, inOut, outB, "category_sizes"},
		{"one_hot_encoder", `{"drop_last":{"boolean":true}}`, inOut, outB, "category_sizes"},
		{"bucketizer", `{"splits":{"type":"list","double":[0,2,1]}}`, inOut, outB, "splits"},
		{"bucketizer", `{"splits":{"type":"list","double":[null,0,null]},"handle_invalid":{"string":"drop"}}`, inOut, outB, "handle_invalid"},
		{"imputer", `{"missing_value":{"double":0}}`, inOut, outB, "surrogate_value"},
		{"normalizer", `{"p_norm":{"double":0.5},"input_size":{"int":3}}`, inOut, outB, "p_norm"},
		{"normalizer", `{"p_norm":{"double":2}}`, inOut, outB, "input_size"},
		{"binarizer", `{"threshold":{"double":0.5}}`, inOut, outB, "input_shapes"},
		{"binarizer", `{"threshold":{"double":0.5},"input_shapes":{"data_shape":{"base":"list"}}}`, inOut, outB, "input_shapes"},
	}
	for _, c := range cases {
		_, err := Load(oneStage(t, c.op, c.attrs, c.ins, c.outs))
		if err == nil {
			t.Errorf("%s %s: no error", c.op, c.attrs)
			continue
		}
		for _, w := range []string{`"` + c.attr + `"`, filepath.Join("root", "n.node", "model.json"), c.op} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %s", c.op, err, w)
			}
		}
	}
}

// run1 compiles a one-stage bundle and runs it on one row.
type run1 struct {
	t *testing.T
	p *Program
	r *Row
}

func compile1(t *testing.T, dir string, want []string, supplied ...string) run1 {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Compile(want, supplied)
	if err != nil {
		t.Fatal(err)
	}
	return run1{t, p, p.NewRow()}
}

func (x run1) col(name string) Col {
	c, err := x.p.Column(name)
	if err != nil {
		x.t.Fatal(err)
	}
	return c
}

func TestBucketizerSparkCorners(t *testing.T) {
	// Observed in Spark 2.4.0 (and MLeap 0.16): with splits [-inf, 0, 2, inf]
	// -0.0 falls in bucket 0 and 0.0 in bucket 1, because
	// java.util.Arrays.binarySearch orders -0.0 before 0.0.
	for _, handle := range []string{"error", "keep", "skip"} {
		x := compile1(t, oneStage(t, "bucketizer", `{"splits":{"type":"list","double":[null,0.0,2.0,null]},"handle_invalid":{"string":"`+handle+`"}}`, inOut, outB), []string{"b"}, "a")
		a, b := x.col("a"), x.col("b")
		for _, c := range []struct{ in, want float64 }{
			{math.Copysign(0, -1), 0}, {0, 1}, {1.9, 1}, {2, 2}, {-5, 0}, {math.Inf(1), 2}, {math.Inf(-1), 0},
		} {
			x.r.SetDouble(a, c.in)
			if err := x.p.Run(x.r); err != nil || x.r.Double(b) != c.want {
				t.Errorf("%s: bucket(%v) = %v, %v; want %v", handle, c.in, x.r.Double(b), err, c.want)
			}
		}
		x.r.SetDouble(a, math.NaN())
		err := x.p.Run(x.r)
		var re *RecordError
		switch handle {
		case "keep":
			if err != nil || x.r.Double(b) != 3 {
				t.Errorf("keep: NaN → %v, %v; want the extra bucket 3", x.r.Double(b), err)
			}
		case "skip":
			if !errors.Is(err, ErrRowSkipped) {
				t.Errorf("skip: NaN → %v", err)
			}
		default:
			if !errors.As(err, &re) || re.Column != "a" {
				t.Errorf("error: NaN → %v", err)
			}
		}
	}
	// Finite outer splits: values outside are errors.
	x := compile1(t, oneStage(t, "bucketizer", `{"splits":{"type":"list","double":[0,1,2]}}`, inOut, outB), []string{"b"}, "a")
	x.r.SetDouble(x.col("a"), 2.5)
	var re *RecordError
	if err := x.p.Run(x.r); !errors.As(err, &re) || !strings.Contains(err.Error(), "out of the bucket bounds") {
		t.Errorf("2.5 outside [0, 2]: %v", err)
	}
}

func TestMaxAbsScalerDoesNotClamp(t *testing.T) {
	// Spark 2.4 divides by max|x| and does not clamp (MLeap's runtime
	// clamps to [-1, 1]); a 0 max divides by 1.
	x := compile1(t, oneStage(t, "max_abs_scaler", `{"maxAbs":{"type":"tensor","double":[2,0,4],"shape":{"dimensions":[{"size":3}]}}}`,
		[][2]string{{"input", "a"}}, outB), []string{"b"}, "a")
	if err := x.r.SetVector(x.col("a"), []float64{5, 3, -8}); err != nil {
		t.Fatal(err)
	}
	if err := x.p.Run(x.r); err != nil {
		t.Fatal(err)
	}
	got := x.r.Vector(x.col("b")).ToDense()
	if want := []float64{2.5, 3, -2}; !floatsEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestOneHotEncoderSparkCorners(t *testing.T) {
	two := [][2]string{{"input0", "a"}, {"input1", "c"}}
	twoOut := [][2]string{{"output0", "av"}, {"output1", "cv"}}
	x := compile1(t, oneStage(t, "one_hot_encoder", `{"category_sizes":{"type":"list","int":[3,2]},"drop_last":{"boolean":true},"handle_invalid":{"string":"keep"}}`, two, twoOut),
		[]string{"av", "cv"}, "a", "c")
	a, c, av, cv := x.col("a"), x.col("c"), x.col("av"), x.col("cv")
	for _, tc := range []struct {
		a, c   float64
		ai, ci []int32
	}{
		{0, 1, []int32{0}, []int32{1}},
		{1.7, 0, []int32{1}, []int32{0}}, // Spark truncates a fractional index
		{3, 5, nil, nil},                 // invalid with keep+drop_last: the dropped slot
		{-1, math.NaN(), nil, nil},
	} {
		x.r.SetDouble(a, tc.a)
		x.r.SetDouble(c, tc.c)
		if err := x.p.Run(x.r); err != nil {
			t.Fatal(err)
		}
		va, vc := x.r.Vector(av), x.r.Vector(cv)
		if va.Dense || va.Size != 3 || vc.Size != 2 || !int32sEqual(va.Indices, tc.ai) || !int32sEqual(vc.Indices, tc.ci) {
			t.Errorf("(%v, %v) → %+v %+v", tc.a, tc.c, *va, *vc)
		}
	}
	// Legacy "size" form, drop_last false: handle_invalid defaults to error.
	x = compile1(t, oneStage(t, "one_hot_encoder", `{"size":{"long":3}}`, inOut, outB), []string{"b"}, "a")
	x.r.SetDouble(x.col("a"), 2)
	if err := x.p.Run(x.r); err != nil || x.r.Vector(x.col("b")).Size != 3 {
		t.Errorf("legacy size 3: %v %+v", err, *x.r.Vector(x.col("b")))
	}
	x.r.SetDouble(x.col("a"), 3)
	var re *RecordError
	if err := x.p.Run(x.r); !errors.As(err, &re) {
		t.Errorf("legacy, unseen 3: %v", err)
	}
}

func int32sEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNormalizerInfinityFromJSONNull(t *testing.T) {
	// A JSON bundle stores p = +Inf as null; MLeap's runtime then fails, we
	// read it as the max norm.
	x := compile1(t, oneStage(t, "normalizer", `{"p_norm":{"double":null},"input_size":{"int":3}}`, inOut, outB), []string{"b"}, "a")
	x.r.SetVector(x.col("a"), []float64{1, -4, 2})
	if err := x.p.Run(x.r); err != nil {
		t.Fatal(err)
	}
	if got, want := x.r.Vector(x.col("b")).ToDense(), []float64{0.25, -1, 0.5}; !floatsEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A zero vector passes through.
	x.r.SetVector(x.col("a"), []float64{0, 0, 0})
	x.p.Run(x.r)
	if got := x.r.Vector(x.col("b")).ToDense(); !floatsEqual(got, []float64{0, 0, 0}) {
		t.Errorf("zero vector → %v", got)
	}
}

func TestImputer(t *testing.T) {
	for _, c := range []struct {
		attrs string
		in    []float64
		want  []float64
	}{
		// missing_value absent: NaN only.
		{`{"surrogate_value":{"double":7}}`, []float64{math.NaN(), 0, 3}, []float64{7, 0, 3}},
		// missing_value {} is 0.0 (a zero double is written as {}).
		{`{"surrogate_value":{"double":7},"missing_value":{}}`, []float64{math.NaN(), 0, 3}, []float64{7, 7, 3}},
		{`{"surrogate_value":{"double":7},"missing_value":{"double":-1}}`, []float64{-1, math.NaN(), 3}, []float64{7, 7, 3}},
	} {
		x := compile1(t, oneStage(t, "imputer", c.attrs, inOut, outB), []string{"b"}, "a")
		for i, v := range c.in {
			x.r.SetDouble(x.col("a"), v)
			if err := x.p.Run(x.r); err != nil || x.r.Double(x.col("b")) != c.want[i] {
				t.Errorf("%s: %v → %v, want %v", c.attrs, v, x.r.Double(x.col("b")), c.want[i])
			}
		}
	}
}

// TestClassifierPortChoices re-scores the trained logistic regressions and
// GBT classifiers with some output ports removed from node.json: Spark
// picks the prediction from the raw prediction, the probability or the
// features depending on the columns set, and every choice must give
// Spark's prediction on every row.
func TestClassifierPortChoices(t *testing.T) {
	for _, c := range []struct {
		bundle, pred string
		keep         []string // output ports left in the node
	}{
		{"wine", "lr_pred", []string{"raw_prediction", "prediction"}},
		{"wine", "lr_pred", []string{"probability", "prediction"}},
		{"wine", "lr_pred", []string{"prediction"}},
		{"wine", "lr2_pred", []string{"prediction"}},
		{"cancer", "lr_pred", []string{"probability", "prediction"}},
		{"cancer", "lr_pred", []string{"prediction"}},
		{"cancer", "prediction", []string{"raw_prediction", "prediction"}}, // GBT with thresholds
		{"cancer", "prediction", []string{"prediction"}},
		{"cancer", "gbt2_pred", []string{"probability", "prediction"}},
		{"cancer", "gbt2_pred", []string{"prediction"}},
	} {
		dir := t.TempDir()
		copyDir(t, repoPath("bundles", c.bundle), dir)
		node := findNodeWriting(t, dir, c.pred)
		var nj struct {
			Name  string `json:"name"`
			Shape struct {
				Inputs  []map[string]string `json:"inputs"`
				Outputs []map[string]string `json:"outputs"`
			} `json:"shape"`
		}
		raw, _ := os.ReadFile(filepath.Join(node, "node.json"))
		if err := json.Unmarshal(raw, &nj); err != nil {
			t.Fatal(err)
		}
		var outs []map[string]string
		for _, o := range nj.Shape.Outputs {
			for _, k := range c.keep {
				if o["port"] == k {
					outs = append(outs, o)
				}
			}
		}
		nj.Shape.Outputs = outs
		b, _ := json.Marshal(nj)
		os.WriteFile(filepath.Join(node, "node.json"), b, 0o644)

		spark, _ := readGoldenRows(t, repoPath("testdata", c.bundle, "spark-golden.jsonl"))
		got := scoreAll(t, dir, repoPath("testdata", c.bundle, "input.csv"), []string{c.pred})
		for i := range got {
			if *got[i][c.pred].num != *spark[i][c.pred].num {
				t.Errorf("%s %s with ports %v, row %d: %v, Spark %v", c.bundle, c.pred, c.keep, i, *got[i][c.pred].num, *spark[i][c.pred].num)
				break
			}
		}
	}
}

// findNodeWriting returns the folder of the node with an output column.
func findNodeWriting(t *testing.T, dir, column string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "root", "*.node", "node.json"))
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		var nj struct {
			Shape struct {
				Outputs []struct{ Name string } `json:"outputs"`
			} `json:"shape"`
		}
		if err := json.Unmarshal(b, &nj); err != nil {
			t.Fatal(err)
		}
		for _, o := range nj.Shape.Outputs {
			if o.Name == column {
				return filepath.Dir(m)
			}
		}
	}
	t.Fatalf("no node writes %s", column)
	return ""
}

// TestOpsNoAllocPerRow: scoring a row of the trained bundles (every column
// requested) allocates nothing once the Row exists.
func TestOpsNoAllocPerRow(t *testing.T) {
	for _, name := range moreBundles {
		_, cols := readGoldenRows(t, repoPath("testdata", name, "spark-golden.jsonl"))
		m, err := Load(repoPath("bundles", name))
		if err != nil {
			t.Fatal(err)
		}
		header, recs := readInputCSV(t, repoPath("testdata", name, "input.csv"))
		p, err := m.Compile(cols, header)
		if err != nil {
			t.Fatal(err)
		}
		row := p.NewRow()
		type in struct {
			c   Col
			num float64
			s   []byte
		}
		var rows [][]in
		for _, rec := range recs {
			var r []in
			for _, f := range p.Inputs() {
				c, _ := p.Column(f.Name)
				for i, h := range header {
					if h == f.Name {
						v, _ := strconv.ParseFloat(rec[i], 64)
						r = append(r, in{c, v, []byte(rec[i])})
					}
				}
			}
			rows = append(rows, r)
		}
		k := 0
		allocs := testing.AllocsPerRun(200, func() {
			for _, x := range rows[k%len(rows)] {
				if x.c.Type() == String {
					row.SetBytes(x.c, x.s)
				} else {
					row.SetDouble(x.c, x.num)
				}
			}
			k++
			if err := p.Run(row); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per row", name, allocs)
		}
	}
}

// TestStringIndexerMultiColumn: the Spark 3 / MLeap >= 0.18 form
// (labels_length, labels_array_i, ports input0../output0..), which Spark
// 2.4 + mleap-spark 0.14 cannot write (StringIndexer is single-column
// there and writes "labels"): hand-made, not Spark-proven.
func TestStringIndexerMultiColumn(t *testing.T) {
	dir := oneStage(t, "string_indexer",
		`{"labels_length":{"int":2},"labels_array_0":{"type":"list","string":["a","b"]},"labels_array_1":{"type":"list","string":["x","y","z"]},"handle_invalid":{"string":"keep"}}`,
		[][2]string{{"input0", "s"}, {"input1", "u"}}, [][2]string{{"output0", "si"}, {"output1", "ui"}})
	x := compile1(t, dir, []string{"si", "ui"}, "s", "u")
	for _, c := range []struct {
		s, u   string
		si, ui float64
	}{{"b", "x", 1, 0}, {"a", "z", 0, 2}, {"?", "y", 2, 1}, {"a", "?", 0, 3}} {
		x.r.SetBytes(x.col("s"), []byte(c.s))
		x.r.SetBytes(x.col("u"), []byte(c.u))
		if err := x.p.Run(x.r); err != nil || x.r.Double(x.col("si")) != c.si || x.r.Double(x.col("ui")) != c.ui {
			t.Errorf("(%s, %s) → %v, %v, %v", c.s, c.u, x.r.Double(x.col("si")), x.r.Double(x.col("ui")), err)
		}
	}
}

// BenchmarkOpsBundles: one row through each issue-7 bundle, computing
// every column the pipeline adds.
func BenchmarkOpsBundles(b *testing.B) {
	for _, name := range moreBundles {
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			_, cols := readGoldenRows(t, repoPath("testdata", name, "spark-golden.jsonl"))
			m, err := Load(repoPath("bundles", name))
			if err != nil {
				b.Fatal(err)
			}
			header, recs := readInputCSV(t, repoPath("testdata", name, "input.csv"))
			p, err := m.Compile(cols, header)
			if err != nil {
				b.Fatal(err)
			}
			row := p.NewRow()
			for _, f := range p.Inputs() {
				c, _ := p.Column(f.Name)
				for i, h := range header {
					if h == f.Name {
						if c.Type() == String {
							row.SetBytes(c, []byte(recs[0][i]))
						} else {
							v, _ := strconv.ParseFloat(recs[0][i], 64)
							row.SetDouble(c, v)
						}
					}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Run(row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
