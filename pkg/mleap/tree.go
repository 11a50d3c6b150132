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

// cnode is a compiled tree node, 16 bytes so a tree walk stays in cache.
// Trees are stored in pre-order, so an internal node's left child is the
// next node. feature >= 0: continuous split, right child at next; -1: a
// leaf whose number is next; <= -2: categorical split number -2-feature.
type cnode struct {
	threshold float64
	feature   int32
	next      int32
}

type catSplit struct {
	feature int32
	right   int32
	cats    []float64
	left    bool // the categories listed go left
}

// forest holds one or more compiled trees in a single node array.
type forest struct {
	nodes  []cnode
	roots  []int32
	cats   []catSplit
	leaves [][]float64 // per leaf: raw values (class counts or [prediction])
	// contrib holds counts/total of every leaf, numClasses wide, computed
	// once: the division Spark does per row gives the same double here.
	// A leaf whose total is 0 contributes zeros, which add nothing.
	contrib []float64
	depth   int
	ntrees  int
}

func (f *forest) add(t *bundle.Tree, numFeatures int) error {
	base := int32(len(f.nodes))
	if len(f.nodes)+len(t.Nodes) > math.MaxInt32/2 {
		return fmt.Errorf("too many tree nodes")
	}
	f.roots = append(f.roots, base)
	f.ntrees++
	if t.MaxDepth > f.depth {
		f.depth = t.MaxDepth
	}
	for i, n := range t.Nodes {
		if n.Kind == bundle.Leaf {
			f.nodes = append(f.nodes, cnode{feature: -1, next: int32(len(f.leaves))})
			f.leaves = append(f.leaves, n.Values)
			continue
		}
		if n.Left != i+1 {
			return fmt.Errorf("node %d: tree is not in pre-order", i)
		}
		if n.Feature > math.MaxInt32 || (numFeatures > 0 && n.Feature >= numFeatures) {
			return fmt.Errorf("node %d splits on feature %d, but the model has %d features", i, n.Feature, numFeatures)
		}
		right := base + int32(n.Right)
		if n.Kind == bundle.Categorical {
			cats := n.Categories
			if cats == nil {
				cats = []float64{}
			}
			f.nodes = append(f.nodes, cnode{feature: -2 - int32(len(f.cats))})
			f.cats = append(f.cats, catSplit{feature: int32(n.Feature), right: right, cats: cats, left: n.IsLeft})
			continue
		}
		f.nodes = append(f.nodes, cnode{feature: int32(n.Feature), next: right, threshold: n.Threshold})
	}
	return nil
}

// leafOf walks tree t for features x and returns the leaf number.
// Continuous splits go left iff x <= threshold (so NaN goes right);
// categorical ones go left iff the value is (isLeft) or is not (!isLeft)
// among the categories.
func (f *forest) leafOf(t int, x *Vec) int32 {
	if x.Dense {
		return f.leafOfDense(f.roots[t], x.Values[:x.Size])
	}
	nodes := f.nodes
	i := f.roots[t]
	for {
		n := &nodes[i]
		if n.feature >= 0 {
			if x.At(int(n.feature)) <= n.threshold {
				i++
			} else {
				i = n.next
			}
			continue
		}
		if n.feature == -1 {
			return n.next
		}
		i = f.categorical(i, *n, x.At(int(f.cats[-2-n.feature].feature)))
	}
}

// leafOfDense is leafOf for a dense vector's values.
func (f *forest) leafOfDense(i int32, vals []float64) int32 {
	nodes := f.nodes
	for {
		n := &nodes[i]
		if n.feature >= 0 {
			if vals[n.feature] <= n.threshold {
				i++
			} else {
				i = n.next
			}
			continue
		}
		if n.feature == -1 {
			return n.next
		}
		i = f.categorical(i, *n, vals[f.cats[-2-n.feature].feature])
	}
}

func (f *forest) categorical(i int32, n cnode, v float64) int32 {
	c := &f.cats[-2-n.feature]
	in := false
	for _, x := range c.cats {
		if x == v {
			in = true
			break
		}
	}
	if in == c.left {
		return i + 1
	}
	return c.right
}

func loadForest(n *bundle.Node, numFeatures int) (*forest, error) {
	f := &forest{}
	if n.Op == "decision_tree_classifier" || n.Op == "decision_tree_regression" {
		t, err := n.ReadTree()
		if err != nil {
			return nil, err
		}
		if err := f.add(t, numFeatures); err != nil {
			return nil, &bundle.Error{File: n.File("tree"), Err: err}
		}
		return f, nil
	}
	names := n.Attrs.Strings("trees")
	if len(names) == 0 {
		return nil, fmt.Errorf("attribute \"trees\" lists no trees")
	}
	for _, name := range names {
		sub, err := n.SubModel(name)
		if err != nil {
			return nil, err
		}
		t, err := sub.ReadTree()
		if err != nil {
			return nil, err
		}
		if err := f.add(t, numFeatures); err != nil {
			return nil, &bundle.Error{File: sub.File("tree"), Err: err}
		}
	}
	return f, nil
}

func treeFacts(st *Stage, f *forest, numFeatures int) {
	st.Facts = append(st.Facts, Fact{"trees", f.ntrees}, Fact{"nodes", len(f.nodes)}, Fact{"max depth", f.depth}, Fact{"features", numFeatures})
}

// --- classifiers: decision_tree_classifier, random_forest_classifier ---

type treeClassifier struct {
	*classifierPorts
	isForest bool
	f        *forest
	grid     *grid // every answer tabulated, for small forests
}

func newTreeClassifier(n *bundle.Node) (*Stage, error) {
	numFeatures := int(n.Attrs.Int("num_features"))
	numClasses := int(n.Attrs.Int("num_classes"))
	if numClasses < 2 || numClasses > 1<<20 {
		return nil, fmt.Errorf("num_classes %d out of range", numClasses)
	}
	if numFeatures < 0 || numFeatures > 1<<28 {
		return nil, fmt.Errorf("num_features %d out of range", numFeatures)
	}
	st := &Stage{}
	cp, err := bindClassifierPorts(n, st, numFeatures, numClasses)
	if err != nil {
		return nil, err
	}
	if err := cp.readThresholds(n); err != nil {
		return nil, err
	}
	f, err := loadForest(n, numFeatures)
	if err != nil {
		return nil, err
	}
	tc := &treeClassifier{classifierPorts: cp, isForest: n.Op == "random_forest_classifier", f: f}
	st.impl = tc
	f.contrib = make([]float64, len(f.leaves)*numClasses)
	for i, c := range f.leaves {
		if len(c) != numClasses {
			return nil, fmt.Errorf("a leaf has %d class counts, want %d", len(c), numClasses)
		}
		total := 0.0
		for _, x := range c {
			total += x
		}
		if total != 0 {
			for k, x := range c {
				f.contrib[i*numClasses+k] = x / total
			}
		}
	}
	tc.grid = buildGrid(tc, numFeatures)
	st.Facts = append(st.Facts, Fact{"classes", numClasses})
	treeFacts(st, f, numFeatures)
	if tc.thresholds != nil {
		st.Facts = append(st.Facts, Fact{"thresholds", tc.thresholds})
	}
	return st, nil
}

type treeClassifierStep struct {
	*treeClassifier
	classifierSlots
	in int
}

func (tc *treeClassifier) step(in, out []slot, b *binder) (step, error) {
	return &treeClassifierStep{treeClassifier: tc, classifierSlots: tc.slots(out, b), in: in[0].idx}, nil
}

// run computes what Spark's probabilistic classifiers do, choosing the
// prediction formula by the ports present, as MLeap does.
func (s *treeClassifierStep) run(r *Row) error {
	x := &r.v[s.in]
	k := s.numClasses
	raw := s.rawBuf(r, k)
	if g := s.grid; g != nil && x.Dense && x.Size == len(g.thr) {
		// Every answer of this forest is tabulated: copy it.
		c := g.cell(x.Values[:x.Size])
		copy(raw, g.raw[c*k:][:k])
		if s.prob >= 0 {
			copy(s.probBuf(r, k), g.prob[c*k:][:k])
		}
		r.f[s.pred] = g.pred[c]
		return nil
	}
	s.rawFor(x, raw)
	r.f[s.pred] = s.predict(raw, s.probBuf(r, k))
	return nil
}

// rawFor computes the raw prediction for features x into raw.
func (tc *treeClassifier) rawFor(x *Vec, raw []float64) {
	f, k := tc.f, tc.numClasses
	if !tc.isForest {
		// A single tree reports its leaf's counts as they are.
		copy(raw, f.leaves[f.leafOf(0, x)])
		return
	}
	// A forest adds counts/total of each tree's leaf, tree by tree.
	if k == 3 && x.Dense {
		// The common small case: sums kept in registers rather than in
		// raw, which would chain every add through memory. Same adds in
		// the same order, so the same bits.
		vals := x.Values[:x.Size]
		var a0, a1, a2 float64
		for _, root := range f.roots {
			c := f.contrib[int(f.leafOfDense(root, vals))*3:][:3]
			a0 += c[0]
			a1 += c[1]
			a2 += c[2]
		}
		raw[0], raw[1], raw[2] = a0, a1, a2
		return
	}
	for i := range raw {
		raw[i] = 0
	}
	for t := range f.roots {
		c := f.contrib[int(f.leafOf(t, x))*k:][:k]
		raw := raw[:len(c)]
		for j, v := range c {
			raw[j] += v
		}
	}
}

// predict fills p from raw and returns the prediction, choosing the
// formula by the ports present, as MLeap does.
func (tc *treeClassifier) predict(raw, p []float64) float64 {
	if tc.hasRaw && !tc.hasProb && tc.thresholds == nil {
		return float64(argmax(raw))
	}
	copy(p, raw)
	normalize(p)
	return float64(tc.treeProbabilityToPrediction(p))
}

// treeProbabilityToPrediction is MLeap's choice for the tree classifiers:
// with thresholds, the first largest p/t where t = 0 counts as +Inf.
func (tc *treeClassifier) treeProbabilityToPrediction(p []float64) int {
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
	isForest bool
	f        *forest
}

func newTreeRegressor(n *bundle.Node) (*Stage, error) {
	feat, pred := port(n.Inputs, "features"), port(n.Outputs, "prediction")
	if feat == "" || pred == "" {
		return nil, fmt.Errorf("node %s: needs ports features and prediction", n.Dir)
	}
	numFeatures := int(n.Attrs.Int("num_features"))
	f, err := loadForest(n, numFeatures)
	if err != nil {
		return nil, err
	}
	tr := &treeRegressor{isForest: n.Op == "random_forest_regression", f: f}
	st := &Stage{impl: tr, Inputs: []Column{{Name: feat, Type: Vector, Size: numFeatures}}, Outputs: []Column{{Name: pred, Type: Double}}}
	treeFacts(st, f, numFeatures)
	return st, nil
}

type treeRegressorStep struct {
	*treeRegressor
	in, out int
}

func (tr *treeRegressor) step(in, out []slot, _ *binder) (step, error) {
	return &treeRegressorStep{treeRegressor: tr, in: in[0].idx, out: out[0].idx}, nil
}

// run averages (forest) or reports (single tree) the leaf predictions;
// Spark sums the trees in order, then divides by their number.
func (s *treeRegressorStep) run(r *Row) error {
	x := &r.v[s.in]
	sum := 0.0
	for t := range s.f.roots {
		sum += s.f.leaves[s.f.leafOf(t, x)][0]
	}
	if s.isForest {
		sum /= float64(len(s.f.roots))
	}
	r.f[s.out] = sum
	return nil
}
