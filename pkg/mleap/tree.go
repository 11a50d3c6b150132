package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["decision_tree_classifier"] = newTreeClassifier
	ops["random_forest_classifier"] = newTreeClassifier
	ops["decision_tree_regression"] = newTreeRegressor
	ops["random_forest_regression"] = newTreeRegressor
}

// cnode is a compiled tree node. Leaves have feature == -1 and index the
// owning tree's leaf table.
type cnode struct {
	feature   int32
	left      int32
	right     int32
	leaf      int32
	threshold float64
	cats      []float64 // categorical split; nil for continuous
	catsLeft  bool
}

type ctree struct {
	nodes  []cnode
	leaves [][]float64 // per leaf: raw values (class counts or [prediction])
	// contrib[leaf] holds counts/total for a forest's vote, computed once:
	// the same division Spark does per row gives the same double.
	contrib [][]float64
	depth   int
	nleaves int
}

func compileTree(t *bundle.Tree, numFeatures int) (*ctree, error) {
	ct := &ctree{nodes: make([]cnode, len(t.Nodes)), depth: t.MaxDepth}
	for i, n := range t.Nodes {
		if n.Kind == bundle.Leaf {
			ct.nodes[i] = cnode{feature: -1, leaf: int32(len(ct.leaves))}
			ct.leaves = append(ct.leaves, n.Values)
			continue
		}
		if numFeatures > 0 && n.Feature >= numFeatures {
			return nil, fmt.Errorf("node %d splits on feature %d, but the model has %d features", i, n.Feature, numFeatures)
		}
		if n.Feature > math.MaxInt32 {
			return nil, fmt.Errorf("node %d: feature index %d out of range", i, n.Feature)
		}
		c := cnode{feature: int32(n.Feature), left: int32(n.Left), right: int32(n.Right), threshold: n.Threshold}
		if n.Kind == bundle.Categorical {
			c.cats, c.catsLeft = n.Categories, n.IsLeft
			if c.cats == nil {
				c.cats = []float64{}
			}
		}
		ct.nodes[i] = c
	}
	ct.nleaves = len(ct.leaves)
	return ct, nil
}

// leafOf walks the tree for features x: continuous splits go left iff
// x <= threshold (so NaN goes right); categorical ones go left iff the value
// is (isLeft) or is not (!isLeft) among the categories.
func (t *ctree) leafOf(x *Vec) int32 {
	nodes := t.nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.feature < 0 {
			return n.leaf
		}
		var v float64
		if x.Dense {
			v = x.Values[n.feature]
		} else {
			v = x.At(int(n.feature))
		}
		var left bool
		if n.cats == nil {
			left = v <= n.threshold
		} else {
			in := false
			for _, c := range n.cats {
				if c == v {
					in = true
					break
				}
			}
			left = in == n.catsLeft
		}
		if left {
			i = n.left
		} else {
			i = n.right
		}
	}
}

func loadTrees(n *bundle.Node, numFeatures int) ([]*ctree, error) {
	var names []string
	if n.Op == "decision_tree_classifier" || n.Op == "decision_tree_regression" {
		t, err := n.ReadTree()
		if err != nil {
			return nil, err
		}
		ct, err := compileTree(t, numFeatures)
		if err != nil {
			return nil, &bundle.Error{File: n.File("tree"), Err: err}
		}
		return []*ctree{ct}, nil
	}
	names = n.Attrs.Strings("trees")
	if len(names) == 0 {
		return nil, fmt.Errorf("attribute \"trees\" lists no trees")
	}
	var out []*ctree
	for _, name := range names {
		sub, err := n.SubModel(name)
		if err != nil {
			return nil, err
		}
		t, err := sub.ReadTree()
		if err != nil {
			return nil, err
		}
		ct, err := compileTree(t, numFeatures)
		if err != nil {
			return nil, &bundle.Error{File: sub.File("tree"), Err: err}
		}
		out = append(out, ct)
	}
	return out, nil
}

func treeFacts(st *Stage, trees []*ctree, numFeatures int) {
	nodes, depth := 0, 0
	for _, t := range trees {
		nodes += len(t.nodes)
		if t.depth > depth {
			depth = t.depth
		}
	}
	st.Facts = append(st.Facts, Fact{"trees", len(trees)}, Fact{"nodes", nodes}, Fact{"max depth", depth}, Fact{"features", numFeatures})
}

// --- classifiers: decision_tree_classifier, random_forest_classifier ---

type treeClassifier struct {
	forest        bool
	trees         []*ctree
	numClasses    int
	thresholds    []float64
	hasRaw        bool
	hasProb       bool
	featuresInput string
}

func newTreeClassifier(n *bundle.Node) (*Stage, error) {
	feat := port(n.Inputs, "features")
	if feat == "" {
		return nil, fmt.Errorf("node %s: no features port", n.Dir)
	}
	numFeatures := int(n.Attrs.Int("num_features"))
	numClasses := int(n.Attrs.Int("num_classes"))
	if numClasses < 2 || numClasses > 1<<20 {
		return nil, fmt.Errorf("num_classes %d out of range", numClasses)
	}
	if numFeatures < 0 || numFeatures > 1<<28 {
		return nil, fmt.Errorf("num_features %d out of range", numFeatures)
	}
	trees, err := loadTrees(n, numFeatures)
	if err != nil {
		return nil, err
	}
	tc := &treeClassifier{forest: n.Op == "random_forest_classifier", trees: trees, numClasses: numClasses, featuresInput: feat}
	for _, t := range trees {
		t.contrib = make([][]float64, len(t.leaves))
		for i, c := range t.leaves {
			if len(c) != numClasses {
				return nil, fmt.Errorf("a leaf has %d class counts, want %d", len(c), numClasses)
			}
			total := 0.0
			for _, x := range c {
				total += x
			}
			if total != 0 {
				t.contrib[i] = make([]float64, numClasses)
				for k, x := range c {
					t.contrib[i][k] = x / total
				}
			}
		}
	}
	if n.Attrs.Has("thresholds") {
		tc.thresholds = n.Attrs.Doubles("thresholds")
		if len(tc.thresholds) != numClasses {
			return nil, fmt.Errorf("%d thresholds for %d classes", len(tc.thresholds), numClasses)
		}
	}
	st := &Stage{impl: tc, Inputs: []Column{{Name: feat, Type: Vector, Size: numFeatures}}}
	if c := port(n.Outputs, "raw_prediction"); c != "" {
		tc.hasRaw = true
		st.Outputs = append(st.Outputs, Column{Name: c, Type: Vector, Size: numClasses})
	}
	if c := port(n.Outputs, "probability"); c != "" {
		tc.hasProb = true
		st.Outputs = append(st.Outputs, Column{Name: c, Type: Vector, Size: numClasses})
	}
	if c := port(n.Outputs, "prediction"); c != "" {
		st.Outputs = append(st.Outputs, Column{Name: c, Type: Double})
	} else {
		return nil, fmt.Errorf("node %s: no prediction port", n.Dir)
	}
	st.Facts = append(st.Facts, Fact{"classes", numClasses})
	treeFacts(st, trees, numFeatures)
	if tc.thresholds != nil {
		st.Facts = append(st.Facts, Fact{"thresholds", tc.thresholds})
	}
	return st, nil
}

type treeClassifierStep struct {
	*treeClassifier
	in         int
	raw, prob  int // vector slots, -1 when the port is absent
	pred       int
	scratchRaw int // row scratch buffers used when a port is absent
	scratchPrb int
}

func (tc *treeClassifier) step(in, out []slot, b *binder) (step, error) {
	s := &treeClassifierStep{treeClassifier: tc, in: in[0].idx, raw: -1, prob: -1,
		scratchRaw: b.scratch(tc.numClasses), scratchPrb: b.scratch(tc.numClasses)}
	k := 0
	if tc.hasRaw {
		s.raw = out[k].idx
		k++
	}
	if tc.hasProb {
		s.prob = out[k].idx
		k++
	}
	s.pred = out[k].idx
	return s, nil
}

func (s *treeClassifierStep) run(r *Row) error {
	x := &r.v[s.in]
	k := s.numClasses
	var raw, prob []float64
	if s.raw >= 0 {
		raw = r.v[s.raw].Values[:k]
	} else {
		raw = r.x[s.scratchRaw]
	}
	if s.prob >= 0 {
		prob = r.v[s.prob].Values[:k]
	}
	// Raw prediction: a forest sums counts/total per tree; a single tree
	// reports its leaf's counts as they are.
	if s.forest {
		for i := range raw {
			raw[i] = 0
		}
		for _, t := range s.trees {
			if c := t.contrib[t.leafOf(x)]; c != nil {
				for i, v := range c {
					raw[i] += v
				}
			}
		}
	} else {
		t := s.trees[0]
		copy(raw, t.leaves[t.leafOf(x)])
	}
	var p []float64
	switch {
	case s.hasRaw && !s.hasProb && s.thresholds == nil:
		r.f[s.pred] = float64(argmax(raw))
		return nil
	case prob != nil:
		p = prob
	default:
		p = r.x[s.scratchPrb]
	}
	copy(p, raw)
	normalize(p)
	r.f[s.pred] = float64(s.probabilityToPrediction(p))
	return nil
}

func (tc *treeClassifier) probabilityToPrediction(p []float64) int {
	if tc.thresholds == nil {
		return argmax(p)
	}
	best, bestV := 0, math.Inf(-1)
	for i, x := range p {
		t := tc.thresholds[i]
		v := math.Inf(1)
		if t != 0 {
			v = x / t
		}
		if i == 0 || v > bestV {
			best, bestV = i, v
		}
	}
	return best
}

// normalize divides by the sequential sum, unless it is 0 (Spark's
// normalizeToProbabilitiesInPlace).
func normalize(v []float64) {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	if sum != 0 {
		for i := range v {
			v[i] /= sum
		}
	}
}

// argmax returns the index of the first largest value.
func argmax(v []float64) int {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// --- regressors: decision_tree_regression, random_forest_regression ---

type treeRegressor struct {
	forest bool
	trees  []*ctree
}

func newTreeRegressor(n *bundle.Node) (*Stage, error) {
	feat, pred := port(n.Inputs, "features"), port(n.Outputs, "prediction")
	if feat == "" || pred == "" {
		return nil, fmt.Errorf("node %s: needs ports features and prediction", n.Dir)
	}
	numFeatures := int(n.Attrs.Int("num_features"))
	trees, err := loadTrees(n, numFeatures)
	if err != nil {
		return nil, err
	}
	tr := &treeRegressor{forest: n.Op == "random_forest_regression", trees: trees}
	st := &Stage{impl: tr, Inputs: []Column{{Name: feat, Type: Vector, Size: numFeatures}}, Outputs: []Column{{Name: pred, Type: Double}}}
	treeFacts(st, trees, numFeatures)
	return st, nil
}

type treeRegressorStep struct {
	*treeRegressor
	in, out int
}

func (tr *treeRegressor) step(in, out []slot, b *binder) (step, error) {
	return &treeRegressorStep{treeRegressor: tr, in: in[0].idx, out: out[0].idx}, nil
}

func (s *treeRegressorStep) run(r *Row) error {
	x := &r.v[s.in]
	sum := 0.0
	for _, t := range s.trees {
		sum += t.leaves[t.leafOf(x)][0]
	}
	if s.forest {
		sum /= float64(len(s.trees))
	}
	r.f[s.out] = sum
	return nil
}
