package bundle

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenZip feeds arbitrary bytes to the zip loader and walks whatever
// opens: it must return errors, never panic or hang. The seed corpus is the
// real zip bundle plus small hand-made zips; `go test` runs it.
func FuzzOpenZip(f *testing.F) {
	real, err := os.ReadFile(repoPath("bundles", "iris-rf.zip"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(zipOf(f, map[string]string{"bundle.json": okBundleJSON, "root/model.json": `{"op":"pipeline","attributes":{"nodes":{"type":"list","string":["a"]}}}`, "root/node.json": `{}`}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := OpenZipBytes("fuzz.zip", data)
		if err != nil {
			return
		}
		walk(b)
	})
}

// FuzzModelJSON feeds arbitrary model.json, node.json and tree.json text.
func FuzzModelJSON(f *testing.F) {
	seed := func(p string) string {
		b, err := os.ReadFile(filepath.Join(seedBundle(), "root", p))
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	rf := "RandomForestClassifier_9371f177a333.node/"
	f.Add(seed(rf+"model.json"), seed(rf+"node.json"), seed(rf+"tree0/tree.json"))
	f.Add(seed("VectorAssembler_839786251799.node/model.json"), seed("VectorAssembler_839786251799.node/node.json"), `{"type":"leaf","values":[null]}`)
	f.Add(`{"op":"x","attributes":{"a":{"type":"tensor","double":[1,null],"shape":{"dimensions":[{"size":2}]}}}}`, `{"name":"n"}`, "")
	f.Fuzz(func(t *testing.T, model, node, tree string) {
		data := zipOf(t, map[string]string{
			"bundle.json":                  okBundleJSON,
			"root/model.json":              `{"op":"pipeline","attributes":{"nodes":{"type":"list","string":["a"]}}}`,
			"root/node.json":               `{"name":"p","shape":{"inputs":[],"outputs":[]}}`,
			"root/a.node/model.json":       model,
			"root/a.node/node.json":        node,
			"root/a.node/tree.json":        tree,
			"root/a.node/tree0/model.json": model,
			"root/a.node/tree0/tree.json":  tree,
		})
		b, err := OpenZipBytes("fuzz.zip", data)
		if err != nil {
			t.Fatal(err)
		}
		walk(b)
	})
}

// walk reads every node, attribute and tree reachable from the root.
func walk(b *Bundle) {
	root, err := b.Root()
	if err != nil {
		return
	}
	var visit func(n *Node, depth int)
	visit = func(n *Node, depth int) {
		if depth > 8 {
			return
		}
		for _, name := range n.Attrs.Names() {
			_ = n.Attrs.Strings(name)
			_ = n.Attrs.Doubles(name)
		}
		_, _ = n.ReadTree()
		for _, c := range n.Attrs.Strings("nodes") {
			if ch, err := n.Child(c); err == nil {
				visit(ch, depth+1)
			}
		}
		for _, tn := range n.Attrs.Strings("trees") {
			if sub, err := n.SubModel(tn); err == nil {
				_, _ = sub.ReadTree()
			}
		}
		_ = n.ChildDirs()
	}
	visit(root, 0)
}
