package bundle

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/bundle"
	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/mleap"
)

// GraphOptions are the inputs of `irisctl bundle graph`.
type GraphOptions struct {
	IO *iostreams.IOStreams
	source

	DrawTree bool   // draw one tree rather than the pipeline
	Tree     int    // which tree of the tree stage, from 0
	Stage    string // the tree stage, by name ("" = the first)
}

// NewCmdGraph builds `bundle graph`; runF replaces the run step in tests.
func NewCmdGraph(ios *iostreams.IOStreams, runF func(*GraphOptions) error) *cobra.Command {
	o := &GraphOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "graph {PATH | --builtin}",
		Short: "Draw a bundle's pipeline, or one of its trees, as Graphviz DOT",
		Long: `Print a bundle's pipeline as a Graphviz DOT graph on stdout: columns as
ellipses (inputs a caller supplies at the top, the default output doubly
outlined), stages as boxes. Stages and columns that are pruned for the
default output are dashed.

With --tree N, print tree N (counting from 0) of the pipeline's tree
stage instead (a random forest or a decision tree; --stage picks one when
there are several; gradient-boosted trees too): splits name the feature
column they test, leaves show their class (with the class counts) or their
prediction.

Render with Graphviz, e.g. dot -Tsvg.`,
		Example: `  irisctl bundle graph --builtin | dot -Tsvg > pipeline.svg
  irisctl bundle graph ../shared/reference/seed-iris-bundle --tree 0 | dot -Tpng > tree0.png
  irisctl bundle graph model.zip --stage RandomForestClassifier_9371f177a333 --tree 9`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.take(args); err != nil {
				return err
			}
			o.DrawTree = c.Flags().Changed("tree")
			if err := o.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			b, m, err := o.open()
			if err != nil {
				return err
			}
			return o.write(b, m)
		},
	}
	o.addFlag(cmd)
	cmd.Flags().IntVar(&o.Tree, "tree", 0, "draw tree `N` (from 0) of the tree stage instead of the pipeline")
	cmd.Flags().StringVar(&o.Stage, "stage", "", "the tree stage `NAME` for --tree (default: the first)")
	return cmd
}

func (o *GraphOptions) check() error {
	if o.DrawTree && o.Tree < 0 {
		return cmdutil.FlagErrorf("--tree %d: want 0 or more", o.Tree)
	}
	if o.Stage != "" && !o.DrawTree {
		return cmdutil.FlagErrorf("--stage goes with --tree")
	}
	return nil
}

func (o *GraphOptions) write(b *bundle.Bundle, m *mleap.Model) error {
	w := bufio.NewWriter(o.IO.Out)
	var err error
	if !o.DrawTree {
		err = PipelineDOT(w, m)
	} else {
		err = o.treeDOT(w, b, m)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// dotQuote quotes s as a DOT string.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// PipelineDOT writes the stages and columns of m as a DOT digraph.
func PipelineDOT(w io.Writer, m *mleap.Model) error {
	r := Inspect(m)
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	title := fmt.Sprintf("%s (MLeap %s, %s)", r.Name, r.MLeapVersion, r.Format)
	p("digraph pipeline {\n")
	p("  graph [rankdir=TB, label=%s, labelloc=t, fontname=\"Helvetica\"];\n", dotQuote(title))
	p("  node [fontname=\"Helvetica\", fontsize=11];\n")
	p("  edge [fontname=\"Helvetica\", fontsize=9];\n")

	colID := func(n string) string { return dotQuote("col:" + n) }
	written := map[string]bool{}
	col := func(c Column, optional, output bool) {
		if written[c.Name] {
			return
		}
		written[c.Name] = true
		attrs := []string{"shape=ellipse", "label=" + dotQuote(c.Name+"\n"+c.typeName())}
		if optional {
			attrs = append(attrs, "style=dashed")
		}
		if output {
			attrs = append(attrs, "peripheries=2")
		}
		p("  %s [%s];\n", colID(c.Name), strings.Join(attrs, ", "))
	}
	p("  { rank=source;\n")
	for _, f := range r.InputSchema {
		p("  ")
		col(f.Column, !f.Required, false)
	}
	p("  }\n")
	for _, s := range r.Stages {
		id := dotQuote("stage:" + s.Name)
		label := fmt.Sprintf("%d. %s\n%s", s.Index, s.Name, s.Op)
		if f := shortFacts(s.facts); f != "" {
			label += "\n" + f
		}
		style := "rounded"
		if s.Pruned {
			style += ",dashed"
		}
		p("  %s [shape=box, style=%s, label=%s];\n", id, dotQuote(style), dotQuote(label))
		for _, c := range s.Inputs {
			p("  %s -> %s;\n", colID(c.Name), id)
		}
		for _, c := range s.Outputs {
			col(c, s.Pruned, c.Name == r.DefaultOutput)
			p("  %s -> %s;\n", id, colID(c.Name))
		}
	}
	p("}\n")
	return ew.err
}

// shortFacts are the numeric facts of a stage, for a graph label.
func shortFacts(facts []mleap.Fact) string {
	var parts []string
	for _, f := range facts {
		switch f.Value.(type) {
		case int, int64, string:
			parts = append(parts, f.Key+": "+valueText(f.Value))
		case []string:
			parts = append(parts, fmt.Sprintf("%s: %d", f.Key, len(f.Value.([]string))))
		}
	}
	return strings.Join(parts, ", ")
}

func isTreeOp(op string) bool {
	return isEnsembleOp(op) || strings.HasPrefix(op, "decision_tree_")
}

// isEnsembleOp: the op keeps its trees in sub-models listed by "trees".
func isEnsembleOp(op string) bool {
	return strings.HasPrefix(op, "random_forest_") || strings.HasPrefix(op, "gbt_")
}

// treeDOT writes one tree of the chosen tree stage.
func (o *GraphOptions) treeDOT(w io.Writer, b *bundle.Bundle, m *mleap.Model) error {
	var st *mleap.Stage
	var treeStages []string
	for _, s := range m.Stages {
		if !isTreeOp(s.Op) {
			continue
		}
		treeStages = append(treeStages, s.Name)
		if st == nil && (o.Stage == "" || o.Stage == s.Name) {
			st = s
		}
	}
	if st == nil {
		if len(treeStages) == 0 {
			return fmt.Errorf("the pipeline has no tree stage (decision tree or random forest) to draw")
		}
		return cmdutil.FlagErrorf("--stage %q: no such tree stage (the tree stages are %s)", o.Stage, strings.Join(treeStages, ", "))
	}
	node, err := b.ReadNode(st.Dir)
	if err != nil {
		return err
	}
	var tree *bundle.Tree
	total := 1
	weight := ""
	if isEnsembleOp(st.Op) {
		trees := node.Attrs.Strings("trees")
		if w := node.Attrs.Doubles("tree_weights"); strings.HasPrefix(st.Op, "gbt_") && o.Tree < len(w) {
			weight = ", weight " + strconv.FormatFloat(w[o.Tree], 'g', -1, 64)
		}
		total = len(trees)
		if o.Tree >= total {
			return cmdutil.FlagErrorf("--tree %d: %s has %d trees (0 to %d)", o.Tree, st.Name, total, total-1)
		}
		sub, err := node.SubModel(trees[o.Tree])
		if err != nil {
			return err
		}
		if tree, err = sub.ReadTree(); err != nil {
			return err
		}
	} else {
		if o.Tree > 0 {
			return cmdutil.FlagErrorf("--tree %d: %s is a single decision tree (use --tree 0)", o.Tree, st.Name)
		}
		if tree, err = node.ReadTree(); err != nil {
			return err
		}
	}

	features := featureNames(m, st)
	classes := classLabels(m, st)
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	title := fmt.Sprintf("%s: tree %d of %d (%d nodes, depth %d%s)", st.Name, o.Tree, total, len(tree.Nodes), tree.MaxDepth, weight)
	// Leaves of a classifier's trees hold class counts; a gradient-boosted
	// classifier's trees are regression trees.
	classifier := st.Op == "random_forest_classifier" || st.Op == "decision_tree_classifier"
	p("digraph tree {\n")
	p("  graph [label=%s, labelloc=t, fontname=\"Helvetica\"];\n", dotQuote(title))
	p("  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];\n")
	p("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	feat := func(i int) string {
		if i >= 0 && i < len(features) {
			return features[i]
		}
		return fmt.Sprintf("feature %d", i)
	}
	for i, n := range tree.Nodes {
		id := "n" + strconv.Itoa(i)
		switch n.Kind {
		case bundle.Leaf:
			p("  %s [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", label=%s];\n", id, dotQuote(leafLabel(n.Values, classes, classifier)))
			continue
		case bundle.Continuous:
			p("  %s [label=%s];\n", id, dotQuote(feat(n.Feature)+" <= "+strconv.FormatFloat(n.Threshold, 'g', -1, 64)))
		case bundle.Categorical:
			var cats []string
			for _, c := range n.Categories {
				cats = append(cats, strconv.FormatFloat(c, 'g', -1, 64))
			}
			op := " in "
			if !n.IsLeft {
				op = " not in "
			}
			p("  %s [label=%s];\n", id, dotQuote(feat(n.Feature)+op+"{"+strings.Join(cats, ", ")+"}"))
		}
		p("  %s -> n%d [label=\"yes\"];\n", id, n.Left)
		p("  %s -> n%d [label=\"no\"];\n", id, n.Right)
	}
	p("}\n")
	return ew.err
}

// leafLabel shows a leaf: a classifier's class and counts, or a prediction.
func leafLabel(values []float64, classes []string, classifier bool) string {
	var nums []string
	for _, v := range values {
		nums = append(nums, strconv.FormatFloat(v, 'g', -1, 64))
	}
	if !classifier || len(values) < 2 {
		return "prediction " + strings.Join(nums, " ")
	}
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	name := "class " + strconv.Itoa(best)
	if best < len(classes) {
		name = classes[best]
	}
	return name + "\n[" + strings.Join(nums, " ") + "]"
}

// featureNames names the elements of a tree stage's feature vector,
// following vector assemblers back to the columns they read. An element
// that went through an element-wise stage (a scaler, a normalizer, a
// binarizer) is named after it, max_abs_scaler(mean_area), as a split's
// threshold is then in that stage's units. nil when it cannot be told.
func featureNames(m *mleap.Model, st *mleap.Stage) []string {
	if len(st.Inputs) == 0 {
		return nil
	}
	return traceElements(m, st.Inputs[0].Name, 0)
}

// elementWise ops keep each element of a vector in place.
var elementWise = map[string]bool{"standard_scaler": true, "min_max_scaler": true, "max_abs_scaler": true, "normalizer": true, "binarizer": true}

// traceElements names the elements of vector column col.
func traceElements(m *mleap.Model, col string, depth int) []string {
	if depth > 16 {
		return nil
	}
	var prod *mleap.Stage
	for _, s := range m.Stages {
		for _, o := range s.Outputs {
			if o.Name == col {
				prod = s
			}
		}
	}
	switch {
	case prod == nil:
		return nil
	case prod.Op == "vector_assembler":
		var names []string
		for _, in := range prod.Inputs {
			if in.Type != mleap.Vector {
				names = append(names, in.Name)
				continue
			}
			sub := traceElements(m, in.Name, depth+1)
			if len(sub) != in.Size {
				sub = nil
				for k := 0; k < in.Size; k++ {
					sub = append(sub, fmt.Sprintf("%s[%d]", in.Name, k))
				}
			}
			names = append(names, sub...)
		}
		return names
	case elementWise[prod.Op] && len(prod.Inputs) == 1 && prod.Inputs[0].Type == mleap.Vector:
		names := traceElements(m, prod.Inputs[0].Name, depth+1)
		for i, n := range names {
			names[i] = prod.Op + "(" + n + ")"
		}
		return names
	}
	return nil
}

// classLabels are the labels an IndexToString stage gives the tree
// stage's prediction, if there is one.
func classLabels(m *mleap.Model, st *mleap.Stage) []string {
	pred := ""
	for _, c := range st.Outputs {
		if c.Type == mleap.Double {
			pred = c.Name
		}
	}
	for _, s := range m.Stages {
		if s.Op != "reverse_string_indexer" || len(s.Inputs) == 0 || s.Inputs[0].Name != pred {
			continue
		}
		for _, f := range s.Facts {
			if l, ok := f.Value.([]string); ok && f.Key == "labels" {
				return l
			}
		}
	}
	return nil
}
