package score_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/root"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", ".."}, parts...)...)
}

// seedBundle is the article's bundle, ../shared/reference from the repository root.
func seedBundle() string { return repoPath("..", "shared", "reference", "seed-iris-bundle") }

type result struct {
	code        int
	out, errOut string
}

func runIO(t *testing.T, ios *iostreams.IOStreams, args ...string) int {
	t.Helper()
	return root.Run(context.Background(), ios, args)
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := runIO(t, ios, args...)
	r := result{code, out.String(), errOut.String()}
	if strings.Contains(r.errOut, "goroutine ") || strings.Contains(r.errOut, "panic") {
		t.Fatalf("%v: %s", args, r.errOut)
	}
	return r
}

func readFile(t testing.TB, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(repoPath(parts...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden is a row written by Spark (scripts/train) or the MLeap JVM runtime
// (scripts/mleap-oracle): the source of every prediction these tests expect.
type golden struct {
	IndexedLabel   *float64  `json:"indexedLabel"`
	RawPrediction  []float64 `json:"rawPrediction"`
	Probability    []float64 `json:"probability"`
	Prediction     *float64  `json:"prediction"`
	PredictedLabel *string   `json:"predictedLabel"`
}

func readGolden(t *testing.T, parts ...string) []golden {
	t.Helper()
	var rows []golden
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, parts...)), "\n") {
		var g golden
		if err := json.Unmarshal([]byte(l), &g); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, g)
	}
	return rows
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// dropLast removes the last CSV field (the class column).
func dropLast(l string) string { return l[:strings.LastIndexByte(l, ',')] }

// TestSeedVectors: the article's three rows through the article's bundle,
// by position and by header, with and without the class column; labels
// from the MLeap runtime's golden.
func TestSeedVectors(t *testing.T) {
	want := readGolden(t, "testdata", "seed", "mleap-golden.jsonl")
	csv := lines(readFile(t, "testdata", "seed", "vectors.csv"))
	header, rows := csv[0], csv[1:]
	if len(rows) != 3 || len(want) != 3 {
		t.Fatalf("%d rows, %d golden", len(rows), len(want))
	}
	label := func(i int) string { return *want[i].PredictedLabel }
	for _, c := range []struct {
		name   string
		header string
		row    func(string) string
	}{
		{"positional", "", dropLast},
		{"positional with class", "", func(s string) string { return s }},
		{"header with class", header, func(s string) string { return s }},
		{"header without class", dropLast(header), dropLast},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in, exp strings.Builder
			if c.header != "" {
				in.WriteString(c.header + "\n")
				exp.WriteString(c.header + ",predictedLabel\n")
			}
			for i, r := range rows {
				in.WriteString(c.row(r) + "\n")
				exp.WriteString(c.row(r) + "," + label(i) + "\n")
			}
			for _, p := range []string{"1", "2"} {
				res := run(t, in.String(), "score", "--bundle", seedBundle(), "--parallel", p)
				if res.code != 0 || res.errOut != "" || res.out != exp.String() {
					t.Errorf("parallel %s: exit %d, stderr %q\n got %q\nwant %q", p, res.code, res.errOut, res.out, exp.String())
				}
			}
		})
	}
	// The issue's own example, one vector on stdin.
	res := run(t, dropLast(rows[0])+"\n", "score", "--bundle", seedBundle())
	if res.out != dropLast(rows[0])+","+label(0)+"\n" || res.code != 0 {
		t.Errorf("%+v", res)
	}
}

// TestIrisJSONMatchesSpark: the 150 iris rows through `score --fields ...
// --output json` give Spark's (and MLeap's) values bit for bit, whatever
// the parallelism and block size.
func TestIrisJSONMatchesSpark(t *testing.T) {
	spark := readGolden(t, "testdata", "iris", "spark-golden.jsonl")
	mleap := readGolden(t, "testdata", "iris", "mleap-golden.jsonl")
	iris := readFile(t, "testdata", "iris", "iris.csv")
	for _, c := range []struct {
		bundle string
		args   []string
	}{
		{"", []string{"--parallel", "1"}},
		{"", []string{"--parallel", "2", "--chunk-size", "300"}},
		{"", []string{"--parallel", "4", "--chunk-size", "1"}},
		{repoPath("bundles", "iris-rf"), nil},
		{repoPath("bundles", "iris-rf-pb"), nil},
		{repoPath("bundles", "iris-rf.zip"), []string{"--input-format", "csv"}},
	} {
		args := append([]string{"score", "--fields", "indexedLabel,rawPrediction,probability,prediction", "--output", "json"}, c.args...)
		if c.bundle != "" {
			args = append(args, "--bundle", c.bundle)
		}
		res := run(t, iris, args...)
		if res.code != 0 || res.errOut != "" {
			t.Fatalf("%v: exit %d: %s", args, res.code, res.errOut)
		}
		got := lines(res.out)
		if len(got) != 150 {
			t.Fatalf("%v: %d rows", args, len(got))
		}
		for i, l := range got {
			var g golden
			if err := json.Unmarshal([]byte(l), &g); err != nil {
				t.Fatalf("row %d %q: %v", i, l, err)
			}
			for name, w := range map[string]golden{"Spark": spark[i], "MLeap": mleap[i]} {
				if d := diff(g, w); d != "" {
					t.Errorf("%v row %d vs %s: %s", c.args, i, name, d)
				}
			}
		}
	}
}

func bitsEqual(a, b []float64) bool {
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

func diff(g, w golden) string {
	switch {
	case g.PredictedLabel == nil || *g.PredictedLabel != *w.PredictedLabel:
		return fmt.Sprintf("predictedLabel %v", g.PredictedLabel)
	case g.Prediction == nil || math.Float64bits(*g.Prediction) != math.Float64bits(*w.Prediction):
		return "prediction"
	case g.IndexedLabel == nil || math.Float64bits(*g.IndexedLabel) != math.Float64bits(*w.IndexedLabel):
		return "indexedLabel"
	case !bitsEqual(g.RawPrediction, w.RawPrediction):
		return fmt.Sprintf("rawPrediction %v, want %v", g.RawPrediction, w.RawPrediction)
	case !bitsEqual(g.Probability, w.Probability):
		return fmt.Sprintf("probability %v, want %v", g.Probability, w.Probability)
	}
	return ""
}

// TestIrisSeedFormat: the default output on iris.csv is each line and the
// label Spark predicted; JSON lines in give the same labels.
func TestIrisSeedFormat(t *testing.T) {
	spark := readGolden(t, "testdata", "iris", "spark-golden.jsonl")
	csv := lines(readFile(t, "testdata", "iris", "iris.csv"))
	var exp strings.Builder
	exp.WriteString(csv[0] + ",predictedLabel\n")
	var jsonl strings.Builder
	names := strings.Split(csv[0], ",")
	for i, l := range csv[1:] {
		exp.WriteString(l + "," + *spark[i].PredictedLabel + "\n")
		f := strings.Split(l, ",")
		jsonl.WriteString("{")
		for k := range f {
			if k > 0 {
				jsonl.WriteString(", ")
			}
			v := f[k]
			if names[k] == "class" {
				v = `"` + v + `"`
			}
			fmt.Fprintf(&jsonl, "%q: %s", names[k], v)
		}
		jsonl.WriteString("}\n")
	}
	res := run(t, strings.Join(csv, "\n")+"\n", "score")
	if res.code != 0 || res.out != exp.String() {
		t.Errorf("csv: exit %d %s\n%.300s", res.code, res.errOut, res.out)
	}
	// JSON lines to CSV: the schema's columns (numbers as written), then the label.
	res = run(t, jsonl.String(), "score", "-o", "csv", "--parallel", "2", "--chunk-size", "1000")
	if res.code != 0 || res.out != exp.String() {
		t.Errorf("jsonl: exit %d %s\n%.300s", res.code, res.errOut, res.out)
	}
	// JSON lines to JSON: the record with predictedLabel added.
	res = run(t, jsonl.String(), "score")
	for i, l := range lines(res.out) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(lines(jsonl.String())[i])); err != nil {
			t.Fatal(err)
		}
		in := compact.String()
		if want := in[:len(in)-1] + `,"predictedLabel":"` + *spark[i].PredictedLabel + `"}`; l != want {
			t.Fatalf("row %d: %s, want %s", i, l, want)
		}
	}
}

// goldenFile compares got with testdata/name (formatting only), or rewrites it with -update.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestFormatGoldens pins the table and JSON layouts. The goldens are
// written by the code (-update), so their predictions are checked here
// against the MLeap runtime's golden for the seed bundle.
func TestFormatGoldens(t *testing.T) {
	want := readGolden(t, "testdata", "seed", "mleap-golden.jsonl")
	vectors := readFile(t, "testdata", "seed", "vectors.csv")
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"seed-table.txt", vectors, []string{"-o", "table", "--fields", "probability,prediction"}},
		{"seed-json.jsonl", vectors, []string{"-o", "json", "--fields", "rawPrediction,probability,prediction"}},
		{"seed-csv-fields.csv", vectors, []string{"--fields", "probability,prediction"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.stdin, append([]string{"score", "--bundle", seedBundle()}, c.args...)...)
			if res.code != 0 || res.errOut != "" {
				t.Fatalf("exit %d %s", res.code, res.errOut)
			}
			goldenFile(t, c.name, res.out)
			// every predicted label in the output is the MLeap runtime's
			rows := lines(res.out)[1:]
			if c.name == "seed-json.jsonl" {
				rows = lines(res.out)
			}
			for i, r := range rows {
				if !strings.Contains(r, *want[i].PredictedLabel+"\",\"") && !strings.Contains(r, *want[i].PredictedLabel+"   ") && !strings.Contains(r, ","+*want[i].PredictedLabel+",") {
					t.Errorf("row %d %q lacks %s", i, r, *want[i].PredictedLabel)
				}
			}
			if c.name == "seed-json.jsonl" {
				for i, r := range rows {
					var g golden
					if err := json.Unmarshal([]byte(r), &g); err != nil {
						t.Fatal(err)
					}
					w := want[i]
					g.IndexedLabel, w.IndexedLabel = nil, nil
					if !bitsEqual(g.Probability, w.Probability) || !bitsEqual(g.RawPrediction, w.RawPrediction) || *g.Prediction != *w.Prediction {
						t.Errorf("row %d: %s", i, r)
					}
				}
			}
		})
	}
}

// TestBadRows: each kind of bad record stops the run with its file, line
// and reason, exit 1, and the records before it written.
func TestBadRows(t *testing.T) {
	t.Chdir(t.TempDir())
	good := "5.1,3.5,1.4,0.2\n"
	for _, c := range []struct {
		name, data, msg string
	}{
		{"not a number", strings.Repeat(good, 16) + "5.1,abc,1.4,0.2\n" + good,
			`irisctl: data.csv:17: field 2 (sepal_width_cm): "abc" is not a number` + "\n"},
		{"field count", good + "5.1,3.5\n", "irisctl: data.csv:2: 2 fields, want 4 (sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm) or 5 (sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm, class (optional))\n"},
		{"unseen label", good + "5.1,3.5,1.4,0.2,Iris-nova\n", `irisctl: data.csv:2: column class: unseen label "Iris-nova" (handle_invalid=error)` + "\n"},
		{"empty line", good + "\n" + good, "irisctl: data.csv:2: empty record\n"},
		{"header then bad", "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n" + good + "1,2,3,x\n", `irisctl: data.csv:3: field 4 (petal_width_cm): "x" is not a number` + "\n"},
		{"infinite", good + "1,2,3,Infinity\n", `irisctl: data.csv:2: field 4 (petal_width_cm): "Infinity" is not a finite number` + "\n"},
		{"json type", `{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":"0.2"}` + "\n", `irisctl: data.csv:1: column petal_width_cm: "0.2" is a string, want a number` + "\n"},
		{"json missing", `{"sepal_length_cm":5.1}` + "\n", "irisctl: data.csv:1: missing required column(s) sepal_width_cm, petal_length_cm, petal_width_cm"},
		{"json malformed", `{"sepal_length_cm":5.1,` + "\n", "irisctl: data.csv:1: malformed JSON"},
		{"unknown header", "a,b,c,d\n" + good, "irisctl: data.csv:1: the first line looks like a header, but names none of the model's input columns"},
		{"header lacks", "sepal_length_cm,sepal_width_cm,petal_length_cm\n", "irisctl: data.csv:1: header lacks required column(s) petal_width_cm"},
		{"header twice", "sepal_length_cm,sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n", `irisctl: data.csv:1: header names column "sepal_length_cm" twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile("data.csv", []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"1", "2"} {
				res := run(t, "", "score", "data.csv", "--parallel", p, "--chunk-size", "7")
				if res.code != 1 || !strings.HasPrefix(res.errOut, c.msg) || strings.Count(res.errOut, "\n") != 1 {
					t.Errorf("parallel %s: exit %d, stderr %q, want %q", p, res.code, res.errOut, c.msg)
				}
				// the records before the bad one are out
				if res.out != "" && !strings.HasPrefix(res.out, "5.1,3.5,1.4,0.2,") && !strings.HasPrefix(res.out, "sepal_length_cm,") {
					t.Errorf("stdout %q", res.out)
				}
			}
		})
	}
}

// TestBadRowOutputStopsThere: rows before the bad one are written, none after.
func TestBadRowOutputStopsThere(t *testing.T) {
	good := "5.1,3.5,1.4,0.2\n"
	in := strings.Repeat(good, 1000) + "x,1,2,3\n" + strings.Repeat(good, 1000)
	for _, p := range []string{"1", "2", "3"} {
		res := run(t, in, "score", "--parallel", p, "--chunk-size", "100")
		if res.code != 1 || strings.Count(res.out, "\n") != 1000 || res.errOut != "irisctl: stdin:1001: field 1 (sepal_length_cm): \"x\" is not a number\n" {
			t.Errorf("parallel %s: exit %d, %d lines out, stderr %q", p, res.code, strings.Count(res.out, "\n"), res.errOut)
		}
	}
}

func TestSkipInvalid(t *testing.T) {
	in := "5.1,3.5,1.4,0.2\n5.1,abc,1.4,0.2\n\n1,2,3\n5.1,3.5,1.4,0.2,Iris-foo\n6.2,2.2,4.5,1.5\n"
	wantErr := `irisctl: stdin:2: field 2 (sepal_width_cm): "abc" is not a number (skipped)
irisctl: stdin:3: empty record (skipped)
irisctl: stdin:4: 3 fields, want 4 (sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm) or 5 (sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm, class (optional)) (skipped)
irisctl: stdin:5: column class: unseen label "Iris-foo" (handle_invalid=error) (skipped)
irisctl: stdin: skipped 4 invalid record(s) of 6
`
	// predictions: rows 0 and 1 of the seed golden are these two vectors
	seed := readGolden(t, "testdata", "seed", "mleap-golden.jsonl")
	wantOut := "5.1,3.5,1.4,0.2," + *seed[0].PredictedLabel + "\n6.2,2.2,4.5,1.5," + *seed[1].PredictedLabel + "\n"
	for _, p := range []string{"1", "2"} {
		res := run(t, in, "score", "--skip-invalid", "--bundle", seedBundle(), "--parallel", p, "--chunk-size", "5")
		if res.code != 0 || res.out != wantOut || res.errOut != wantErr {
			t.Errorf("parallel %s: exit %d\nstdout %q\nstderr %q", p, res.code, res.out, res.errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--output", "yaml"}, `--output "yaml": want csv, json or table`},
		{[]string{"--input-format", "xml"}, `--input-format "xml"`},
		{[]string{"--header", "--no-header"}, "contradict"},
		{[]string{"--input-format", "jsonl", "--header"}, "are for CSV input"},
		{[]string{"--parallel", "-1"}, "--parallel -1: want 1 or more"},
		{[]string{"--fields", "nope"}, `--fields: the model has no output column "nope" (it writes indexedLabel, features, rawPrediction, probability, prediction, predictedLabel)`},
		{[]string{"--fields", ","}, "empty column name"},
		{[]string{"a.csv", "b.csv"}, "one input at a time (got 2 files)"},
		{[]string{"--no-such-flag"}, "unknown flag"},
	} {
		res := run(t, "5.1,3.5,1.4,0.2\n", append([]string{"score"}, c.args...)...)
		if res.code != 2 || !strings.Contains(res.errOut, c.msg) || res.out != "" {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, res.code, res.errOut, c.msg)
		}
	}
	// auto-detected JSON lines with --header
	res := run(t, "{}\n", "score", "--header")
	if res.code != 2 || !strings.Contains(res.errOut, "stdin holds JSON lines") {
		t.Errorf("%+v", res)
	}
}

func TestOtherErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{filepath.Join(dir, "missing.csv")}, "missing.csv: no such file or directory"},
		{[]string{"--bundle", filepath.Join(dir, "nobundle")}, "nobundle: no such file or directory"},
		{[]string{"--bundle", dir}, "this is not an MLeap bundle"},
	} {
		res := run(t, "5.1,3.5,1.4,0.2\n", append([]string{"score"}, c.args...)...)
		if res.code != 1 || !strings.Contains(res.errOut, c.msg) || res.out != "" {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, res.code, res.errOut, c.msg)
		}
	}
}

// TestInputShapes: CRLF, a BOM, no final newline, a forced header, a
// header-less file of labels only, JSON whitespace.
func TestInputShapes(t *testing.T) {
	seed := readGolden(t, "testdata", "seed", "mleap-golden.jsonl")
	l0, l1 := *seed[0].PredictedLabel, *seed[1].PredictedLabel
	b := seedBundle()
	for _, c := range []struct {
		name, in string
		args     []string
		out      string
	}{
		{"crlf", "5.1,3.5,1.4,0.2\r\n6.2,2.2,4.5,1.5\r\n", nil, "5.1,3.5,1.4,0.2," + l0 + "\n6.2,2.2,4.5,1.5," + l1 + "\n"},
		{"bom and header", "\xef\xbb\xbfsepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2", nil,
			"sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,predictedLabel\n5.1,3.5,1.4,0.2," + l0 + "\n"},
		{"header, reordered, extra column", "id,petal_width_cm,petal_length_cm,sepal_width_cm,sepal_length_cm\n7,0.2,1.4,3.5,5.1\n", nil,
			"id,petal_width_cm,petal_length_cm,sepal_width_cm,sepal_length_cm,predictedLabel\n7,0.2,1.4,3.5,5.1," + l0 + "\n"},
		{"forced header", "x,y,z,w\n5.1,3.5,1.4,0.2\n", []string{"--header"}, ""},
		{"quoted fields", "\"5.1\",3.5,\"1.4\",0.2\n", nil, "\"5.1\",3.5,\"1.4\",0.2," + l0 + "\n"},
		{"jsonl forced", "  {\"sepal_length_cm\": 5.1, \"sepal_width_cm\": 3.5, \"petal_length_cm\": 1.4, \"petal_width_cm\": 0.2}  \n", []string{"--input-format", "jsonl", "-o", "csv"},
			"sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class,predictedLabel\n5.1,3.5,1.4,0.2,," + l0 + "\n"},
		{"empty input", "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.in, append([]string{"score", "--bundle", b}, c.args...)...)
			if c.name == "forced header" {
				if res.code != 1 || !strings.Contains(res.errOut, "header lacks required column(s)") {
					t.Errorf("%+v", res)
				}
				return
			}
			if res.code != 0 || res.out != c.out || res.errOut != "" {
				t.Errorf("exit %d\n got %q\nwant %q\nstderr %q", res.code, res.out, c.out, res.errOut)
			}
		})
	}
	// --no-header makes a header-like first line data (and so an error)
	res := run(t, "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n", "score", "--no-header")
	if res.code != 1 || !strings.Contains(res.errOut, `stdin:1: field 1 (sepal_length_cm): "sepal_length_cm" is not a number`) {
		t.Errorf("%+v", res)
	}
}

// TestParallelSameOutput: many blocks, many workers, one output.
func TestParallelSameOutput(t *testing.T) {
	iris := lines(readFile(t, "testdata", "iris", "iris.csv"))
	var in strings.Builder
	in.WriteString(iris[0] + "\n")
	for i := 0; i < 40; i++ {
		for _, l := range iris[1:] {
			in.WriteString(l + "\n")
		}
	}
	ref := run(t, in.String(), "score", "--parallel", "1", "--fields", "probability")
	if ref.code != 0 || strings.Count(ref.out, "\n") != 6001 {
		t.Fatalf("%d %s", ref.code, ref.errOut)
	}
	for _, args := range [][]string{{"--parallel", "2"}, {"--parallel", "8", "--chunk-size", "333"}, {"--parallel", "3", "--chunk-size", "1"}} {
		res := run(t, in.String(), append([]string{"score", "--fields", "probability"}, args...)...)
		if res.code != 0 || res.out != ref.out {
			t.Errorf("%v: exit %d, same output %v", args, res.code, res.out == ref.out)
		}
	}
}

// TestProgress: shown on a file when stderr is a terminal, never on stdin,
// never on stdout.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(file, []byte(strings.Repeat("5.1,3.5,1.4,0.2\n", 5000)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tty, onFile, want bool
	}{{true, true, true}, {false, true, false}, {true, false, false}} {
		ios, in, out, errOut := iostreams.Test()
		ios.StderrTTY = c.tty
		args := []string{"score", "--chunk-size", "4096"}
		if c.onFile {
			args = append(args, file)
		} else {
			in.WriteString(strings.Repeat("5.1,3.5,1.4,0.2\n", 5000))
		}
		if code := runIO(t, ios, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		shown := strings.Contains(errOut.String(), "records/s")
		if shown != c.want || strings.Count(out.String(), "\n") != 5000 || strings.Contains(out.String(), "\r") {
			t.Errorf("%+v: progress shown %v, stderr %q", c, shown, errOut.String())
		}
		if shown && !strings.HasSuffix(errOut.String(), "\r\x1b[K") {
			t.Errorf("progress line not cleared: %q", errOut.String())
		}
	}
}

// TestEnv: IRISCTL_* variables stand in for flags; a flag wins.
func TestEnv(t *testing.T) {
	t.Setenv("IRISCTL_OUTPUT", "json")
	t.Setenv("IRISCTL_BUNDLE", seedBundle())
	res := run(t, "5.1,3.5,1.4,0.2\n", "score")
	seed := readGolden(t, "testdata", "seed", "mleap-golden.jsonl")
	want := `{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"predictedLabel":"` + *seed[0].PredictedLabel + "\"}\n"
	if res.code != 0 || res.out != want {
		t.Errorf("%+v", res)
	}
	res = run(t, "5.1,3.5,1.4,0.2\n", "score", "-o", "csv")
	if res.code != 0 || res.out != "5.1,3.5,1.4,0.2,"+*seed[0].PredictedLabel+"\n" {
		t.Errorf("%+v", res)
	}
}

// TestNeverPanics throws random and mangled records at the scorer.
func TestNeverPanics(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	pieces := []string{"5.1", ",", "\"", "{", "}", "[", "]", ":", "\"class\"", "null", "-", "e", "1e400", "\r", "\n", " ", "\x00", "\xff", "NaN", "\"sepal_length_cm\"", "Iris-setosa", "\\"}
	for i := 0; i < 300; i++ {
		var in strings.Builder
		for k := r.Intn(60); k >= 0; k-- {
			in.WriteString(pieces[r.Intn(len(pieces))])
		}
		for _, args := range [][]string{{"score"}, {"score", "--skip-invalid", "-o", "json"}, {"score", "--input-format", "jsonl", "--skip-invalid", "-o", "table"}, {"score", "--input-format", "csv", "--skip-invalid", "-o", "csv", "--parallel", "2", "--chunk-size", "3"}} {
			res := run(t, in.String(), args...)
			if res.code != 0 && res.code != 1 {
				t.Errorf("%v on %q: exit %d %s", args, in.String(), res.code, res.errOut)
			}
			if res.code == 1 && !strings.HasPrefix(res.errOut, "irisctl: ") {
				t.Errorf("%v on %q: stderr %q", args, in.String(), res.errOut)
			}
		}
	}
}

func TestHelpAndCompletion(t *testing.T) {
	res := run(t, "", "score", "--help")
	if res.code != 0 || !strings.Contains(res.out, "Examples:") || !strings.Contains(res.out, "irisctl score") {
		t.Errorf("help: %+v", res)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		res := run(t, "", "completion", shell)
		if res.code != 0 || len(res.out) < 100 {
			t.Errorf("completion %s: exit %d %s", shell, res.code, res.errOut)
		}
	}
	res = run(t, "", "__complete", "score", "--output", "")
	if !strings.Contains(res.out, "csv\njson\ntable\n") {
		t.Errorf("flag completion: %q", res.out)
	}
	res = run(t, "", "__complete", "score", "--fields", "")
	if !strings.Contains(res.out, "probability\n") {
		t.Errorf("--fields completion: %q", res.out)
	}
	res = run(t, "", "--version")
	if res.code != 0 || !strings.HasPrefix(res.out, "irisctl ") {
		t.Errorf("--version: %+v", res)
	}
}

// TestHandleInvalidSkip: with handle_invalid=skip the model drops a record
// with an unseen label, as MLeap does; the run goes on and says so.
func TestHandleInvalidSkip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(repoPath("bundles", "iris-rf"))); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "root", "StringIndexer_1a67eb7859a7.node", "model.json")
	raw, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `"string": "error"`, `"string": "skip"`, 1)
	if edited == string(raw) {
		t.Fatal("handle_invalid not found")
	}
	if err := os.WriteFile(model, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	spark := readGolden(t, "testdata", "iris", "spark-golden.jsonl")
	csv := lines(readFile(t, "testdata", "iris", "iris.csv"))
	in := csv[1] + "\n" + dropLast(csv[2]) + ",Iris-nova\n" + csv[3] + "\n"
	res := run(t, in, "score", "--bundle", dir)
	want := csv[1] + "," + *spark[0].PredictedLabel + "\n" + csv[3] + "," + *spark[2].PredictedLabel + "\n"
	if res.code != 0 || res.out != want || res.errOut != "irisctl: stdin: the model dropped 1 record(s) (a stage has handle_invalid=skip)\n" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", res.code, res.out, res.errOut)
	}
}
