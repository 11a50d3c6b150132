package bundle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/cli/bundle"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/root"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// repoRoot is the repository's top folder, found from this file's path.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// seed is the article's bundle, relative to the repository root (tests
// that use it run there, so paths in the output do not depend on where
// the repository is checked out).
const seed = "../shared/reference/seed-iris-bundle"

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := root.Run(context.Background(), ios, args)
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := testdata(name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestInspectGoldens(t *testing.T) {
	t.Chdir(repoRoot())
	for _, c := range []struct {
		name string
		args []string
	}{
		{"inspect-seed.txt", []string{"bundle", "inspect", seed}},
		{"inspect-seed.json", []string{"bundle", "inspect", seed, "-o", "json"}},
		{"inspect-builtin.txt", []string{"bundle", "inspect", "--builtin"}},
		{"inspect-pb.txt", []string{"bundle", "inspect", "bundles/iris-rf-pb"}},
		{"graph-seed.dot", []string{"bundle", "graph", seed}},
		{"graph-seed-tree1.dot", []string{"bundle", "graph", seed, "--tree", "1"}},
		{"graph-builtin-tree9.dot", []string{"bundle", "inspect", "--builtin", "--graph", "--tree", "9"}},
		// the other trained pipelines: many ops, GBTs, regression and
		// categorical splits, scaled features
		{"inspect-diabetes-cats.txt", []string{"bundle", "inspect", "bundles/diabetes-cats"}},
		{"inspect-cancer-pb.json", []string{"bundle", "inspect", "bundles/cancer-pb", "-o", "json"}},
		{"graph-diabetes-cats.dot", []string{"bundle", "graph", "bundles/diabetes-cats"}},
		{"graph-diabetes-cats-rf-tree2.dot", []string{"bundle", "graph", "bundles/diabetes-cats", "--tree", "2", "--stage", "RandomForestClassifier_99fb822d8f09"}},
		{"graph-diabetes-cats-dt.dot", []string{"bundle", "graph", "bundles/diabetes-cats", "--tree", "0", "--stage", "DecisionTreeRegressor_6eb67e6f1b2d"}},
		{"graph-cancer-gbt2-tree4.dot", []string{"bundle", "graph", "bundles/cancer", "--tree", "4", "--stage", "GBTClassifier_530f188bf00b"}},
		{"graph-wine-dt.dot", []string{"bundle", "graph", "bundles/wine", "--tree", "0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, c.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, c.name, out)
		})
	}
}

// TestInspectSeedFacts checks the report against what the seed's README
// says of the bundle, independently of the golden files.
func TestInspectSeedFacts(t *testing.T) {
	t.Chdir(repoRoot())
	code, out, errOut := run(t, "bundle", "inspect", seed, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r bundle.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "PipelineModel_0af8a5aa8251" || r.Format != "json" || r.MLeapVersion != "0.14.0" || r.UID == "" || r.Timestamp == "" || r.DefaultOutput != "predictedLabel" {
		t.Errorf("metadata %+v", r)
	}
	var ops []string
	for _, s := range r.Stages {
		ops = append(ops, s.Name)
	}
	if got := strings.Join(ops, " "); got != "StringIndexer_861ff70560b6 VectorAssembler_839786251799 RandomForestClassifier_9371f177a333 IndexToString_4c2ae208f3e7" {
		t.Errorf("stages %s", got)
	}
	if !r.Stages[0].Pruned || r.Stages[1].Pruned || r.Stages[0].Facts["handle_invalid"] != "error" {
		t.Errorf("stage 1 %+v", r.Stages[0])
	}
	if rf := r.Stages[2].Facts; rf["trees"] != 10.0 || rf["classes"] != 3.0 || rf["features"] != 4.0 {
		t.Errorf("forest facts %v", rf)
	}
	var schema []string
	for _, f := range r.InputSchema {
		s := f.Name
		if !f.Required {
			s += "?"
		}
		schema = append(schema, s)
	}
	if got := strings.Join(schema, ","); got != "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class?" {
		t.Errorf("input schema %s", got)
	}
	if got := strings.Join(r.Orphans, ","); got != "root/IndexToString_c1f888a1a955.node,root/RandomForestClassifier_aa61d428a6bf.node,root/StringIndexer_48b6e5249de9.node,root/VectorAssembler_4fb45ea3b32b.node" {
		t.Errorf("orphans %s", got)
	}
}

func TestInspectZipAndDirAgree(t *testing.T) {
	t.Chdir(repoRoot())
	_, dir, _ := run(t, "bundle", "inspect", "bundles/iris-rf", "-o", "json")
	_, zip, _ := run(t, "bundle", "inspect", "bundles/iris-rf.zip", "-o", "json")
	strip := func(s string) string {
		var r bundle.Report
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		r.Path, r.UID, r.Timestamp = "", "", ""
		b, _ := json.Marshal(r)
		return string(b)
	}
	if strip(dir) != strip(zip) {
		t.Errorf("directory and zip differ:\n%s\n%s", dir, zip)
	}
}

// TestGraphRendersWithDot feeds the DOT output to Graphviz (.ci/run
// installs it; outside CI the test is skipped when it is missing).
func TestGraphRendersWithDot(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Graphviz dot is not installed; CI is set, so this fails")
		}
		t.Skip("Graphviz dot is not installed")
	}
	t.Chdir(repoRoot())
	for _, args := range [][]string{{seed}, {seed, "--tree", "0"}, {"--builtin", "--tree", "3"}, {"bundles/diabetes-cats"},
		{"bundles/diabetes-cats", "--tree", "1", "--stage", "RandomForestClassifier_99fb822d8f09"}, {"bundles/cancer", "--tree", "14"}, {"bundles/diabetes", "--stage", "RandomForestRegressor_bfec48efa8f5", "--tree", "3"}} {
		code, out, errOut := run(t, append([]string{"bundle", "graph"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errOut)
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		svg, err := cmd.Output()
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || stderr.Len() > 0 {
			t.Errorf("%v: dot: %v %s", args, err, stderr.String())
		}
	}
}

func TestBundleErrors(t *testing.T) {
	t.Chdir(repoRoot())
	dir := t.TempDir()
	notBundle := filepath.Join(dir, "empty")
	if err := os.Mkdir(notBundle, 0o755); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "model.zip")
	if err := os.WriteFile(garbage, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bundle", "inspect"}, 2, "which bundle? give its PATH"},
		{[]string{"bundle", "inspect", seed, "--builtin"}, 2, "not both"},
		{[]string{"bundle", "inspect", seed, seed}, 2, "one bundle at a time"},
		{[]string{"bundle", "inspect", seed, "-o", "yaml"}, 2, `--output "yaml"`},
		{[]string{"bundle", "inspect", seed, "--tree", "1"}, 2, "--tree and --stage go with --graph"},
		{[]string{"bundle", "inspect", "/no/such/bundle"}, 1, "no such file or directory"},
		{[]string{"bundle", "inspect", notBundle}, 1, "this is not an MLeap bundle"},
		{[]string{"bundle", "inspect", garbage}, 1, "model.zip"},
		{[]string{"bundle", "graph"}, 2, "which bundle?"},
		{[]string{"bundle", "graph", seed, "--tree", "10"}, 2, "has 10 trees (0 to 9)"},
		{[]string{"bundle", "graph", seed, "--tree", "-2"}, 2, "want 0 or more"},
		{[]string{"bundle", "graph", seed, "--stage", "x"}, 2, "--stage goes with --tree"},
		{[]string{"bundle", "graph", seed, "--stage", "x", "--tree", "0"}, 2, `no such tree stage (the tree stages are RandomForestClassifier_9371f177a333)`},
		{[]string{"bundle", "nope"}, 2, ""},
		{[]string{"bundle", "graph", "bundles/diabetes-cats", "--stage", "DecisionTreeRegressor_6eb67e6f1b2d", "--tree", "1"}, 2, "a single decision tree (use --tree 0)"},
	} {
		code, out, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) || out != "" && c.code != 0 {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q (want %q)", c.args, code, c.code, out, errOut, c.msg)
		}
		if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v: %s", c.args, errOut)
		}
	}
}

// TestHelpHasExamples: every bundle command documents itself with examples.
func TestHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{{"bundle"}, {"bundle", "inspect"}, {"bundle", "graph"}} {
		code, out, _ := run(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "irisctl bundle") {
			t.Errorf("%v --help: exit %d\n%s", args, code, out)
		}
	}
}
