package score

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// golden is one row as Spark or the MLeap JVM runtime wrote it.
type golden struct {
	IndexedLabel   *float64  `json:"indexedLabel"`
	RawPrediction  []float64 `json:"rawPrediction"`
	Probability    []float64 `json:"probability"`
	Prediction     *float64  `json:"prediction"`
	PredictedLabel string    `json:"predictedLabel"`
}

func readGolden(t *testing.T, parts ...string) []golden {
	t.Helper()
	raw, err := os.ReadFile(repoPath(parts...))
	if err != nil {
		t.Fatal(err)
	}
	var rows []golden
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var g golden
		if err := json.Unmarshal(l, &g); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, g)
	}
	return rows
}

func sameVec(a, b []float64) bool {
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

func checkGolden(t *testing.T, i int, got, want golden) {
	t.Helper()
	if got.PredictedLabel != want.PredictedLabel || !sameVec(got.RawPrediction, want.RawPrediction) ||
		!sameVec(got.Probability, want.Probability) || math.Float64bits(*got.Prediction) != math.Float64bits(*want.Prediction) {
		t.Errorf("row %d: got %+v / %v, want %+v / %v", i, got, *got.Prediction, want, *want.Prediction)
	}
	if got.IndexedLabel != nil && want.IndexedLabel != nil && math.Float64bits(*got.IndexedLabel) != math.Float64bits(*want.IndexedLabel) {
		t.Errorf("row %d: indexedLabel %v, want %v", i, *got.IndexedLabel, *want.IndexedLabel)
	}
}

var allOutputs = []string{"rawPrediction", "probability", "prediction"}

// TestResultGolden: CSV by position, CSV by header, and JSON lines all
// give Spark's values for the 150 iris rows, bit for bit.
func TestResultGolden(t *testing.T) {
	want := readGolden(t, "testdata", "iris", "spark-golden.jsonl")
	hdr, lines := irisLines(t)
	names, err := ParseHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"positional", "positional+class", "header", "json", "json-no-class"} {
		t.Run(mode, func(t *testing.T) {
			s, err := Open("")
			if err != nil {
				t.Fatal(err)
			}
			s, err = New(s.Model(), allOutputs)
			if err != nil {
				t.Fatal(err)
			}
			if mode == "header" {
				if err := s.SetHeader(append([]string(nil), names...)); err != nil {
					t.Fatal(err)
				}
			}
			for i, l := range lines {
				switch mode {
				case "positional":
					err = s.ScoreLine(l[:bytes.LastIndexByte(l, ',')])
				case "json", "json-no-class":
					f := strings.Split(string(l), ",")
					obj := fmt.Sprintf(`{"petal_width_cm": %s, "sepal_length_cm":%s,"sepal_width_cm":%s,"petal_length_cm":%s`, f[3], f[0], f[1], f[2])
					if mode == "json" {
						obj += `,"class":"` + f[4] + `"`
					}
					err = s.ScoreJSON([]byte(obj + `, "extra": {"a": [1, "}"]}}`))
				default:
					err = s.ScoreLine(l)
				}
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				var g golden
				r, _ := s.Result("rawPrediction")
				g.RawPrediction = r.([]float64)
				p, _ := s.Result("probability")
				g.Probability = p.([]float64)
				pr, _ := s.Result("prediction")
				v := pr.(float64)
				g.Prediction = &v
				g.PredictedLabel = string(s.AppendLabel(nil))
				checkGolden(t, i, g, want[i])
			}
		})
	}
}

// TestAppendJSONGolden: the JSON output reads back as Spark's values.
func TestAppendJSONGolden(t *testing.T) {
	want := readGolden(t, "testdata", "iris", "spark-golden.jsonl")
	hdr, lines := irisLines(t)
	m, err := LoadModel("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(m, append([]string{"indexedLabel"}, allOutputs...))
	if err != nil {
		t.Fatal(err)
	}
	names, _ := ParseHeader(hdr)
	if err := s.SetHeader(names); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		if err := s.ScoreLine(l); err != nil {
			t.Fatal(err)
		}
		out := s.AppendJSON(nil, l)
		var g golden
		if err := json.Unmarshal(out, &g); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		checkGolden(t, i, g, want[i])
		// and JSON in, JSON out keeps the members and adds the outputs
		if err := s.ScoreJSON(out); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		again := s.AppendJSON(nil, out)
		if !bytes.Equal(again, out) {
			t.Fatalf("JSON round trip:\n%s\n%s", out, again)
		}
	}
}

func TestParseSimpleMatchesStrconv(t *testing.T) {
	cases := []string{"0", "-0", "+0", "5.1", "0.1", ".5", "5.", "-.5", "007.25", "123456789012345", "9007199254740991",
		"9007199254740993", "1.7976931348623157", "0.30000000000000004", "1234567890.123456789", "0.0000000000000000000001",
		"0.00000000000000000000001", "-3.5", "1e5", "1_0", "0x1p-2", "inf", "NaN", ".", "-", "", " 5", "5 ", "1.2.3", "++1"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		var b strings.Builder
		if r.Intn(4) == 0 {
			b.WriteByte('-')
		}
		for k := r.Intn(12); k >= 0; k-- {
			b.WriteByte(byte('0' + r.Intn(10)))
		}
		if r.Intn(3) > 0 {
			b.WriteByte('.')
			for k := r.Intn(12); k >= 0; k-- {
				b.WriteByte(byte('0' + r.Intn(10)))
			}
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		v, ok := parseSimple([]byte(c))
		if !ok {
			continue
		}
		w, err := strconv.ParseFloat(c, 64)
		if err != nil || math.Float64bits(v) != math.Float64bits(w) {
			t.Errorf("parseSimple(%q) = %v (%#x), strconv %v (%#x) %v", c, v, math.Float64bits(v), w, math.Float64bits(w), err)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"5.1", "-0.25", "1e3", " 7 ", "abc", "9007199254740993.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := parseSimple([]byte(s)); ok {
			w, err := strconv.ParseFloat(s, 64)
			if err != nil || math.Float64bits(v) != math.Float64bits(w) {
				t.Fatalf("parseSimple(%q) = %v, strconv %v %v", s, v, w, err)
			}
		}
	})
}

func TestRecordErrors(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty record"},
		{"  \r", "empty record"},
		{"5.1,abc,1.4,0.2", `field 2 (sepal_width_cm): "abc" is not a number`},
		{"5.1,,1.4,0.2", `field 2 (sepal_width_cm): empty, want a number`},
		{"5.1,NaN,1.4,0.2", `field 2 (sepal_width_cm): "NaN" is not a finite number`},
		{"5.1,1e999,1.4,0.2", `field 2 (sepal_width_cm): "1e999" is out of range`},
		{"5.1,3.5,1.4", "3 fields, want 4"},
		{"5.1,3.5,1.4,0.2,Iris-x", `column class: unseen label "Iris-x"`},
		{`5.1,"3.5,1.4,0.2`, "malformed CSV"},
	} {
		err := s.ScoreLine([]byte(c.in))
		var re *RecordError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ScoreLine(%q) = %v, want a RecordError with %q", c.in, err, c.want)
		}
	}
	// quoted fields go through the CSV reader
	if err := s.ScoreLine([]byte(`"5.1", 3.5 ,1.4,"0.2"`)); err != nil {
		t.Errorf("quoted: %v", err)
	}
	for _, c := range []struct{ in, want string }{
		{``, "empty record"},
		{`[1,2]`, "want a JSON object"},
		{`{"sepal_length_cm":1`, "malformed JSON"},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4}`, "missing required column(s) petal_width_cm"},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":null}`, "missing required column(s) petal_width_cm"},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":"3.5","petal_length_cm":1.4,"petal_width_cm":0.2}`, `column sepal_width_cm: "3.5" is a string, want a number`},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":true,"petal_length_cm":1.4,"petal_width_cm":0.2}`, `column sepal_width_cm: true is a boolean, want a number`},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"class":7}`, `column class: 7 is a number, want a string`},
		{`{"sepal_length_cm":5.1,"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2}`, `column sepal_length_cm: given twice`},
		{`{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"class":"Iris-x"}`, `unseen label "Iris-x"`},
	} {
		err := s.ScoreJSON([]byte(c.in))
		var re *RecordError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ScoreJSON(%s) = %v, want a RecordError with %q", c.in, err, c.want)
		}
	}
	// escapes in keys and strings are decoded
	if err := s.ScoreJSON([]byte(`{"sepal_\u006cength_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"class":"Iris-\u0073etosa"}`)); err != nil {
		t.Errorf("escapes: %v", err)
	}
}

func TestIsHeader(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]bool{
		"sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class\n": true,
		"class,petal_width_cm\r\n":    true,
		`"sepal_length_cm",x`:         true,
		"5.1,3.5,1.4,0.2":             false,
		"5.1,3.5,1.4,0.2,Iris-setosa": false,
		"a,b,c,d":                     false,
		"sepal_length_cm,3.5,1.4,0.2": false,
		"":                            false,
	} {
		if got := s.IsHeader([]byte(in)); got != want {
			t.Errorf("IsHeader(%q) = %v, want %v", in, got, want)
		}
	}
	if !LooksLikeHeader([]byte("a,b,c,d")) || LooksLikeHeader([]byte("a,1,c,d")) || LooksLikeHeader([]byte("a,,c")) {
		t.Error("LooksLikeHeader")
	}
}

// scoreAll runs a Batch over in and returns its output, stats and error.
func scoreAll(t *testing.T, b Batch, in io.Reader) (string, BatchStats, error) {
	t.Helper()
	var out bytes.Buffer
	st, err := b.Run(context.Background(), in, &out)
	return out.String(), st, err
}

// TestBatchOrderAndLines: any number of workers and any block size give
// the serial output, and errors keep their line numbers.
func TestBatchOrderAndLines(t *testing.T) {
	_, lines := irisLines(t)
	var in bytes.Buffer
	for rep := 0; rep < 20; rep++ {
		for i, l := range lines {
			switch {
			case rep == 7 && i == 13:
				in.WriteString("5.1,x,1.4,0.2\n") // line 7*150+13+1
			case i%3 == 0:
				in.Write(l[:bytes.LastIndexByte(l, ',')]) // no class
				in.WriteString("\r\n")
			default:
				in.Write(l)
				in.WriteString("\n")
			}
		}
	}
	in.WriteString("6.2,2.2,4.5,1.5") // no final newline
	base, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	ref, refSt, refErr := scoreAll(t, Batch{Scorer: base.Clone(), Workers: 1, SkipInvalid: true}, bytes.NewReader(in.Bytes()))
	if refErr != nil || refSt.Lines != 3001 || refSt.Scored != 3000 || refSt.Invalid != 1 {
		t.Fatalf("serial: %+v %v", refSt, refErr)
	}
	if !strings.HasSuffix(ref, "6.2,2.2,4.5,1.5,Iris-versicolor\n") || strings.Contains(ref, "\r") {
		t.Errorf("serial output ends %q", ref[len(ref)-60:])
	}
	for _, workers := range []int{1, 2, 3, 8} {
		for _, chunk := range []int{1, 7, 100, 4096, 1 << 20} {
			name := fmt.Sprintf("workers=%d chunk=%d", workers, chunk)
			var bad []int64
			b := Batch{Scorer: base.Clone(), Workers: workers, ChunkSize: chunk, SkipInvalid: true,
				Invalid: func(e *LineError) { bad = append(bad, e.Line) }}
			got, st, err := scoreAll(t, b, iotest.HalfReader(bytes.NewReader(in.Bytes())))
			if err != nil || got != ref || st != refSt || len(bad) != 1 || bad[0] != 7*150+14 {
				t.Errorf("%s: %+v %v, invalid lines %v, same output %v", name, st, err, bad, got == ref)
			}
			// Without SkipInvalid the run stops there, with everything before it written.
			b = Batch{Scorer: base.Clone(), Workers: workers, ChunkSize: chunk, FirstLine: 10}
			got, _, err = scoreAll(t, b, bytes.NewReader(in.Bytes()))
			var le *LineError
			if !errors.As(err, &le) || le.Line != 7*150+14+9 {
				t.Errorf("%s: error %v", name, err)
			}
			if n := strings.Count(got, "\n"); n != 7*150+13 || !strings.HasPrefix(ref, got) {
				t.Errorf("%s: %d lines written before the error", name, n)
			}
		}
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestBatchReadError(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, workers := range []int{1, 2} {
		got, st, err := scoreAll(t, Batch{Scorer: s.Clone(), Workers: workers}, &failingReader{strings.NewReader("5.1,3.5,1.4,0.2\n5.1,3.5,1.4,0.2\n6.2,2.2"), boom})
		if !errors.Is(err, boom) || st.Scored != 2 || strings.Count(got, "\n") != 2 {
			t.Errorf("workers=%d: %q %+v %v", workers, got, st, err)
		}
	}
}

func TestBatchCancel(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 2} {
		b := Batch{Scorer: s.Clone(), Workers: workers}
		if _, err := b.Run(ctx, strings.NewReader(strings.Repeat("5.1,3.5,1.4,0.2\n", 1000)), io.Discard); !errors.Is(err, context.Canceled) {
			t.Errorf("workers=%d: %v", workers, err)
		}
	}
}

func TestBatchLongLine(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	long := "5.1,3.5,1.4,0.2" + strings.Repeat(",", 5000) + "\n5.1,3.5,1.4,0.2\n"
	got, st, err := scoreAll(t, Batch{Scorer: s, ChunkSize: 64, SkipInvalid: true}, strings.NewReader(long))
	if err != nil || st.Invalid != 1 || got != "5.1,3.5,1.4,0.2,Iris-setosa\n" {
		t.Errorf("%q %+v %v", got, st, err)
	}
}

// TestOutputHeaders: the header line each combination starts with.
func TestOutputHeaders(t *testing.T) {
	m, err := LoadModel("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(m, []string{"probability", "predictedLabel"})
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte("sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,id\r\n")
	names, _ := ParseHeader(hdr)
	if err := s.SetHeader(names); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in     InputFormat
		out    OutputFormat
		header []byte
		want   string
	}{
		{InputCSV, OutputCSV, hdr, "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,id,predictedLabel,probability\n"},
		{InputCSV, OutputCSV, nil, ""},
		{InputCSV, OutputJSON, hdr, ""},
		{InputCSV, OutputCells, hdr, "sepal_length_cm\x1fsepal_width_cm\x1fpetal_length_cm\x1fpetal_width_cm\x1fid\x1fpredictedLabel\x1fprobability\n"},
		{InputJSONL, OutputCSV, nil, "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class,predictedLabel,probability\n"},
	} {
		if got := string(s.OutputHeader(c.in, c.out, c.header)); got != c.want {
			t.Errorf("%v %v: %q, want %q", c.in, c.out, got, c.want)
		}
	}
	if err := s.ScoreLine([]byte("5.1,3.5,1.4,0.2,a \"b\", c")); err == nil {
		t.Error("a quote inside an unquoted field should be malformed CSV")
	}
	if err := s.ScoreLine([]byte(`5.1,3.5,1.4,0.2,"a ""b"", c"`)); err != nil {
		t.Fatal(err)
	}
	if got, want := string(s.AppendJSON(nil, nil)), `{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"id":"a \"b\", c","predictedLabel":"Iris-setosa","probability":[1,0,0]}`; got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

// TestScoreAllocs: the hot path allocates nothing per record.
func TestScoreAllocs(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("5.1,3.5,1.4,0.2,Iris-setosa")
	obj := []byte(`{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2,"class":"Iris-setosa"}`)
	dst := make([]byte, 0, 4096)
	s.ScoreJSON(obj)
	for name, f := range map[string]func(){
		"AppendScored": func() { dst, _ = s.AppendScored(dst[:0], line) },
		"CSV":          func() { s.ScoreLine(line); dst = s.AppendCSV(dst[:0], line) },
		"JSON":         func() { s.ScoreJSON(obj); dst = s.AppendJSON(dst[:0], obj) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per record", name, n)
		}
	}
}

// BenchmarkBatch scores the iris rows (with their class column) through
// the whole batch path into io.Discard.
func BenchmarkBatch(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			hdr, lines := irisLines(b)
			var in bytes.Buffer
			for in.Len() < 8<<20 {
				for _, l := range lines {
					in.Write(l)
					in.WriteByte('\n')
				}
			}
			n := int64(bytes.Count(in.Bytes(), []byte{'\n'}))
			s, err := Open("")
			if err != nil {
				b.Fatal(err)
			}
			names, _ := ParseHeader(hdr)
			if err := s.SetHeader(names); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(in.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt := Batch{Scorer: s, Workers: workers}
				if _, err := bt.Run(context.Background(), bufio.NewReader(bytes.NewReader(in.Bytes())), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*int64(b.N))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
