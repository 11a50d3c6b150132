package mleap

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNestedPipeline rebuilds the seed pipeline as a pipeline of a
// feature pipeline (indexer + assembler) and the model stages, as PySpark
// users often save it, and checks it scores the same.
// copyDir copies a folder tree into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

func TestNestedPipeline(t *testing.T) {
	seed := filepath.Join(seedBundle(t), "root")
	dir := t.TempDir()
	copyDir(t, seedBundle(t), dir)
	root := filepath.Join(dir, "root")
	feat := filepath.Join(root, "features.node")
	os.MkdirAll(feat, 0o755)
	for _, n := range []string{"StringIndexer_861ff70560b6", "VectorAssembler_839786251799"} {
		copyDir(t, filepath.Join(seed, n+".node"), filepath.Join(feat, n+".node"))
		os.RemoveAll(filepath.Join(root, n+".node"))
	}
	os.WriteFile(filepath.Join(feat, "model.json"), []byte(`{"op":"pipeline","attributes":{"nodes":{"type":"list","string":["StringIndexer_861ff70560b6","VectorAssembler_839786251799"]}}}`), 0o644)
	os.WriteFile(filepath.Join(feat, "node.json"), []byte(`{"name":"features","shape":{"inputs":[],"outputs":[]}}`), 0o644)
	os.Remove(filepath.Join(root, "model.json")) // the copy keeps the seed's read-only mode
	os.WriteFile(filepath.Join(root, "model.json"), []byte(`{"op":"pipeline","attributes":{"nodes":{"type":"list","string":["features","RandomForestClassifier_9371f177a333","IndexToString_4c2ae208f3e7"]}}}`), 0o644)

	nested, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(nested.Stages) != 4 {
		t.Fatalf("%d stages, want 4", len(nested.Stages))
	}
	want := readGolden(t, repoPath("testdata", "seed", "mleap-golden-iris.jsonl"))
	compareRows(t, "nested seed", scoreIris(t, dir, true), want)
}
