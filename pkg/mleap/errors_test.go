package mleap

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeBundle(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const bundleJSON = `{"format":"json","name":"p","uid":"u","version":"0.14.0"}`

func pipelineOf(stages ...string) map[string]string {
	q := make([]string, len(stages))
	for i, s := range stages {
		q[i] = `"` + s + `"`
	}
	return map[string]string{
		"bundle.json":     bundleJSON,
		"root/model.json": `{"op":"pipeline","attributes":{"nodes":{"type":"list","string":[` + strings.Join(q, ",") + `]}}}`,
		"root/node.json":  `{"name":"p","shape":{"inputs":[],"outputs":[]}}`,
	}
}

func TestUnknownOpNamesOpAndNode(t *testing.T) {
	files := pipelineOf("tok")
	files["root/tok.node/model.json"] = `{"op":"tokenizer","attributes":{}}`
	files["root/tok.node/node.json"] = `{"name":"tok","shape":{"inputs":[{"port":"input","name":"a"}],"outputs":[{"port":"output","name":"b"}]}}`
	_, err := Load(writeBundle(t, files))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`"tokenizer"`, "root/tok.node", "model.json"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
}

func indexerBundle(t *testing.T, handle string) *Model {
	files := pipelineOf("si")
	files["root/si.node/model.json"] = `{"op":"string_indexer","attributes":{"labels_length":{"int":1},"labels_array_0":{"type":"list","string":["a","b"]},"handle_invalid":{"string":"` + handle + `"}}}`
	files["root/si.node/node.json"] = `{"name":"si","shape":{"inputs":[{"port":"input","name":"s"}],"outputs":[{"port":"output","name":"i"}]}}`
	m, err := Load(writeBundle(t, files))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStringIndexerHandleInvalid(t *testing.T) {
	for handle, check := range map[string]func(float64, error) bool{
		"keep": func(v float64, err error) bool { return err == nil && v == 2 },
		"skip": func(_ float64, err error) bool { return errors.Is(err, ErrRowSkipped) },
		"error": func(_ float64, err error) bool {
			var re *RecordError
			return errors.As(err, &re) && strings.Contains(re.Error(), `"zz"`)
		},
	} {
		m := indexerBundle(t, handle)
		p, err := m.Compile([]string{"i"}, []string{"s"})
		if err != nil {
			t.Fatal(err)
		}
		row := p.NewRow()
		in, _ := p.Column("s")
		out, _ := p.Column("i")
		row.SetBytes(in, []byte("b"))
		if err := p.Run(row); err != nil || row.Double(out) != 1 {
			t.Errorf("%s: b → %v, %v", handle, row.Double(out), err)
		}
		row.SetBytes(in, []byte("zz"))
		err = p.Run(row)
		if !check(row.Double(out), err) {
			t.Errorf("%s: unseen → %v, %v", handle, row.Double(out), err)
		}
	}
}

// TestVectorAssemblerCompressed checks Spark's `compressed` choice: sparse
// when 1.5*(nnz+1) < size.
func TestVectorAssemblerCompressed(t *testing.T) {
	files := pipelineOf("va")
	files["root/va.node/model.json"] = `{"op":"vector_assembler","attributes":{"input_shapes":{"type":"list","data_shape":[{"base":"scalar"},{"base":"tensor","tensorShape":{"dimensions":[{"size":6}]}}]}}}`
	files["root/va.node/node.json"] = `{"name":"va","shape":{"inputs":[{"port":"input0","name":"a"},{"port":"input1","name":"v"}],"outputs":[{"port":"output","name":"f"}]}}`
	m, err := Load(writeBundle(t, files))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Compile([]string{"f"}, []string{"a", "v"})
	if err != nil {
		t.Fatal(err)
	}
	row := p.NewRow()
	a, _ := p.Column("a")
	v, _ := p.Column("v")
	f, _ := p.Column("f")
	// nnz = 2 of 7: 1.5*3 = 4.5 < 7 → sparse.
	row.SetDouble(a, 0)
	row.SetVector(v, []float64{0, 3, 0, 0, -0.0, 5})
	p.Run(row)
	got := row.Vector(f)
	if got.Dense || len(got.Indices) != 2 || got.Indices[0] != 2 || got.Indices[1] != 6 || got.Values[1] != 5 {
		t.Errorf("sparse case: %+v", *got)
	}
	// nnz = 4 of 7: 1.5*5 = 7.5 ≥ 7 → dense, zeros filled.
	row.SetDouble(a, 1)
	row.SetVector(v, []float64{0, 3, 0, 4, 0, 5})
	p.Run(row)
	want := []float64{1, 0, 3, 0, 4, 0, 5}
	if !got.Dense {
		t.Fatalf("dense case came out sparse: %+v", *got)
	}
	for i, w := range want {
		if got.Values[i] != w {
			t.Fatalf("dense case: %v, want %v", got.Values[:got.Size], want)
		}
	}
}

func TestCompileMissingInput(t *testing.T) {
	m, err := Load(seedBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Compile([]string{"predictedLabel"}, []string{"sepal_length_cm"})
	if err == nil || !strings.Contains(err.Error(), "petal_width_cm") {
		t.Errorf("err = %v, want it to name the missing columns", err)
	}
	// Asking for indexedLabel makes the class column required.
	schema := m.InputSchema("indexedLabel", "predictedLabel")
	if schema[0].Name != "class" || !schema[0].Required {
		t.Errorf("schema = %+v", schema)
	}
	schema = m.InputSchema("predictedLabel")
	if last := schema[len(schema)-1]; last.Name != "class" || last.Required {
		t.Errorf("schema = %+v, want class last and optional", schema)
	}
}
