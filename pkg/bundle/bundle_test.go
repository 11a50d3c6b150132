package bundle

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

func seedBundle() string { return repoPath("..", "shared", "reference", "seed-iris-bundle") }

// writeTree writes files (path → content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// zipOf zips files (path → content) into memory.
func zipOf(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for p, c := range files {
		w, err := zw.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(c))
	}
	zw.Close()
	return buf.Bytes()
}

const okBundleJSON = `{"format":"json","name":"p","uid":"u","version":"0.14.0","timestamp":"t"}`

func TestSeedBundleReads(t *testing.T) {
	b, err := Open(seedBundle())
	if err != nil {
		t.Fatal(err)
	}
	if b.Format != JSON || b.Version != "0.14.0" || b.Name != "PipelineModel_0af8a5aa8251" {
		t.Errorf("metadata = %+v", b)
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	if root.Op != "pipeline" || len(root.Attrs.Strings("nodes")) != 4 {
		t.Fatalf("root = %s %v", root.Op, root.Attrs.Strings("nodes"))
	}
	if got := len(root.ChildDirs()); got != 8 {
		t.Errorf("child dirs = %d, want 8 (4 listed + 4 orphans)", got)
	}
	rf, err := root.Child("RandomForestClassifier_9371f177a333")
	if err != nil {
		t.Fatal(err)
	}
	if rf.Attrs.Int("num_classes") != 3 || rf.Attrs.Int("num_features") != 4 {
		t.Errorf("rf attrs: %v %v", rf.Attrs.Int("num_classes"), rf.Attrs.Int("num_features"))
	}
	tree0, err := rf.SubModel("tree0")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tree0.ReadTree()
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Nodes) != 15 || tr.Nodes[0].Kind != Continuous || tr.Nodes[0].Feature != 3 || tr.Nodes[0].Threshold != 0.8 {
		t.Errorf("tree0: %d nodes, root %+v", len(tr.Nodes), tr.Nodes[0])
	}
}

// TestJSONAndProtobufAgree reads every node of the trained bundle in both
// formats (the protobuf one re-saved by the MLeap runtime) and compares.
func TestJSONAndProtobufAgree(t *testing.T) {
	bj, err := Open(repoPath("bundles", "iris-rf"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := Open(repoPath("bundles", "iris-rf-pb"))
	if err != nil {
		t.Fatal(err)
	}
	if bp.Format != Protobuf {
		t.Fatalf("iris-rf-pb format = %q", bp.Format)
	}
	rj, _ := bj.Root()
	rp, err := bp.Root()
	if err != nil {
		t.Fatal(err)
	}
	names := rj.Attrs.Strings("nodes")
	if strings.Join(names, ",") != strings.Join(rp.Attrs.Strings("nodes"), ",") {
		t.Fatalf("nodes differ: %v vs %v", names, rp.Attrs.Strings("nodes"))
	}
	for _, name := range names {
		nj, err := rj.Child(name)
		if err != nil {
			t.Fatal(err)
		}
		np, err := rp.Child(name)
		if err != nil {
			t.Fatal(err)
		}
		if nj.Op != np.Op || len(nj.Inputs) != len(np.Inputs) || len(nj.Outputs) != len(np.Outputs) {
			t.Errorf("%s: json %s %v→%v, pb %s %v→%v", name, nj.Op, nj.Inputs, nj.Outputs, np.Op, np.Inputs, np.Outputs)
		}
		for _, a := range []string{"labels", "trees"} {
			if strings.Join(nj.Attrs.Strings(a), ",") != strings.Join(np.Attrs.Strings(a), ",") {
				t.Errorf("%s.%s differs", name, a)
			}
		}
		for _, tn := range nj.Attrs.Strings("trees") {
			sj, _ := nj.SubModel(tn)
			sp, _ := np.SubModel(tn)
			tj, err := sj.ReadTree()
			if err != nil {
				t.Fatal(err)
			}
			tp, err := sp.ReadTree()
			if err != nil {
				t.Fatal(err)
			}
			if len(tj.Nodes) != len(tp.Nodes) {
				t.Fatalf("%s/%s: %d vs %d nodes", name, tn, len(tj.Nodes), len(tp.Nodes))
			}
			for i := range tj.Nodes {
				a, b := tj.Nodes[i], tp.Nodes[i]
				if a.Kind != b.Kind || a.Feature != b.Feature || a.Threshold != b.Threshold || a.Left != b.Left || a.Right != b.Right || len(a.Values) != len(b.Values) {
					t.Fatalf("%s/%s node %d: %+v vs %+v", name, tn, i, a, b)
				}
			}
		}
	}
}

func TestZipWithSingleTopFolder(t *testing.T) {
	data := zipOf(t, map[string]string{
		"model/bundle.json":     okBundleJSON,
		"model/root/model.json": `{"op":"pipeline","attributes":{"nodes":{"type":"list"}}}`,
		"model/root/node.json":  `{"name":"p","shape":{"inputs":[],"outputs":[]}}`,
	})
	b, err := OpenZipBytes("x.zip", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Root(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsNameTheFile(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		open  bool // the error comes from Open, else from Root
		want  []string
	}{
		{"no bundle.json", map[string]string{"root/model.json": "{}"}, true, []string{"bundle.json", "not an MLeap bundle"}},
		{"malformed bundle.json", map[string]string{"bundle.json": "{"}, true, []string{"bundle.json", "malformed JSON"}},
		{"legacy mixed", map[string]string{"bundle.json": `{"format":"mixed","version":"0.5.0"}`}, true, []string{"legacy", "0.5.0"}},
		{"unknown format", map[string]string{"bundle.json": `{"format":"xml"}`}, true, []string{"unknown format"}},
		{"missing model", map[string]string{"bundle.json": okBundleJSON}, false, []string{"root/model.json", "missing"}},
		{"malformed model", map[string]string{"bundle.json": okBundleJSON, "root/model.json": `{"op":`}, false, []string{"root/model.json", "malformed JSON"}},
		{"no op", map[string]string{"bundle.json": okBundleJSON, "root/model.json": `{"attributes":{}}`}, false, []string{"root/model.json", "no \"op\""}},
		{"legacy attribute", map[string]string{"bundle.json": okBundleJSON, "root/model.json": `{"op":"x","attributes":{"n":{"type":"int","value":3}}}`}, false, []string{"root/model.json", "legacy"}},
		{"missing node", map[string]string{"bundle.json": okBundleJSON, "root/model.json": `{"op":"x"}`}, false, []string{"root/node.json", "missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, c.files)
			b, err := Open(dir)
			if err == nil && !c.open {
				_, err = b.Root()
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestZipEscapeRefused(t *testing.T) {
	data := zipOf(t, map[string]string{"bundle.json": okBundleJSON, "../evil": "x"})
	_, err := OpenZipBytes("evil.zip", data)
	if err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("err = %v, want an escape refusal", err)
	}
}

func TestTreeLimits(t *testing.T) {
	// A chain of internal nodes deeper than MaxTreeDepth.
	var sb strings.Builder
	for i := 0; i <= MaxTreeDepth+1; i++ {
		sb.WriteString(`{"type":"internal","split":{"type":"continuous","featureIndex":0,"threshold":1}}` + "\n")
	}
	dir := writeTree(t, map[string]string{
		"bundle.json":      okBundleJSON,
		"root/model.json":  `{"op":"decision_tree_regression"}`,
		"root/node.json":   `{"name":"t","shape":{"inputs":[],"outputs":[]}}`,
		"root/tree.json":   sb.String(),
		"short/model.json": `{"op":"decision_tree_regression"}`,
		"short/tree.json":  `{"type":"internal","split":{"type":"continuous","featureIndex":0,"threshold":1}}` + "\n" + `{"type":"leaf","values":[1.0]}` + "\n",
		"extra/model.json": `{"op":"decision_tree_regression"}`,
		"extra/tree.json":  `{"type":"leaf","values":[1.0]}` + "\n" + `{"type":"leaf","values":[2.0]}` + "\n",
	})
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for sub, want := range map[string]string{"root": "deeper than", "short": "ends early", "extra": "extra nodes"} {
		n, err := b.ReadModel(sub)
		if err != nil {
			t.Fatal(err)
		}
		_, err = n.ReadTree()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), sub+"/tree.json") {
			t.Errorf("%s: err = %v, want %q naming the file", sub, err, want)
		}
	}
}

func TestNullDoubleIsNaN(t *testing.T) {
	v, err := decodeJSONValue([]byte(`{"type":"list","double":[null,0.0,10.0,null]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Doubles) != 4 || v.Doubles[0] == v.Doubles[0] || v.Doubles[2] != 10 {
		t.Errorf("doubles = %v", v.Doubles)
	}
	s, err := decodeJSONValue([]byte(`{}`))
	if err != nil || s.Double != 0 || s.String != "" || s.Bool {
		t.Errorf("empty scalar = %+v, %v", s, err)
	}
}
