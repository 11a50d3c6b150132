package score_test

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/bundle"
)

// dense turns a golden value (a number, a string, a dense array or a
// sparse {"size","indices","values"} object) into comparable form.
func dense(v any) any {
	switch x := v.(type) {
	case map[string]any:
		size := int(x["size"].(float64))
		out := make([]any, size)
		for i := range out {
			out[i] = 0.0
		}
		idx, vals := x["indices"].([]any), x["values"].([]any)
		for k, i := range idx {
			out[int(i.(float64))] = vals[k]
		}
		return out
	}
	return v
}

// sameValue compares a scored value with a golden one: bit for bit, or
// within a relative tol when tol > 0.
func sameValue(a, b any, tol float64) bool {
	a, b = dense(a), dense(b)
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.Float64bits(x) == math.Float64bits(y) {
			return true
		}
		return tol > 0 && math.Abs(x-y) <= tol*math.Max(math.Abs(x), math.Abs(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i], tol) {
				return false
			}
		}
		return true
	}
	return a == b
}

// tolerances are the columns allowed to differ from a golden in the last
// bits, as pkg/mleap documents and measures them (ops_golden_test.go):
// the probabilities of logistic regression and GBT classifiers (Java's
// Math.exp is not correctly rounded), and against MLeap the margins of a
// multinomial logistic regression (MLeap sums them in another order).
func tolerances(t *testing.T, path string, golden string) map[string]float64 {
	t.Helper()
	b, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tol := map[string]float64{}
	var walk func(n *bundle.Node)
	walk = func(n *bundle.Node) {
		if n.Op == "pipeline" {
			for _, c := range n.Attrs.Strings("nodes") {
				child, err := n.Child(c)
				if err != nil {
					t.Fatal(err)
				}
				walk(child)
			}
			return
		}
		for _, o := range n.Outputs {
			switch {
			case (n.Op == "logistic_regression" || n.Op == "gbt_classifier") && o.Port == "probability":
				tol[o.Name] = 1e-12
			case golden != "spark-golden.jsonl" && n.Op == "logistic_regression" && n.Attrs.Int("num_classes") > 2 && o.Port == "raw_prediction":
				tol[o.Name] = 1e-12
			}
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	walk(root)
	return tol
}

// TestMoreBundlesMatchGoldens: every output column of the other trained
// pipelines (wine, cancer, diabetes, diabetes-cats: scalers, logistic and
// linear regression, GBTs, one-hot encoding, bucketizers, categorical
// splits...), through `irisctl score --output json --fields ...`, equals
// what Spark and the MLeap runtime wrote, bit for bit (except where
// pkg/mleap documents a last-bits difference; see tolerances).
func TestMoreBundlesMatchGoldens(t *testing.T) {
	for _, name := range []string{"wine", "cancer", "diabetes", "diabetes-cats"} {
		for _, c := range []struct{ bundle, golden string }{
			{name, "spark-golden.jsonl"},
			{name, "mleap-golden.jsonl"},
			{name + "-pb", "mleap-golden-pb.jsonl"},
		} {
			t.Run(c.bundle+"/"+c.golden, func(t *testing.T) {
				if _, err := os.Stat(repoPath("bundles", c.bundle)); err != nil {
					t.Fatalf("no bundle: %v", err)
				}
				tol := tolerances(t, repoPath("bundles", c.bundle), c.golden)
				var want []map[string]any
				for _, l := range lines(readFile(t, "testdata", name, c.golden)) {
					var m map[string]any
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Fatal(err)
					}
					delete(m, "row")
					want = append(want, m)
				}
				var fields []string
				for k := range want[0] {
					fields = append(fields, k)
				}
				sort.Strings(fields)
				res := run(t, readFile(t, "testdata", name, "input.csv"), "score", "--bundle", repoPath("bundles", c.bundle),
					"--output", "json", "--fields", strings.Join(fields, ","), "--parallel", "2", "--chunk-size", "4096")
				if res.code != 0 || res.errOut != "" {
					t.Fatalf("exit %d: %s", res.code, res.errOut)
				}
				got := lines(res.out)
				if len(got) != len(want) {
					t.Fatalf("%d rows, golden has %d", len(got), len(want))
				}
				bad := 0
				for i, l := range got {
					var m map[string]any
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Fatalf("row %d: %v", i, err)
					}
					for _, f := range fields {
						if !sameValue(m[f], want[i][f], tol[f]) {
							if bad++; bad <= 5 {
								t.Errorf("row %d %s: %v, want %v", i, f, m[f], want[i][f])
							}
						}
					}
				}
			})
		}
	}
}
