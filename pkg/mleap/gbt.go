package mleap

import (
	"fmt"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["gbt_classifier"] = newGBT
	ops["gbt_regression"] = newGBT
}

// gbt is a gradient-boosted tree ensemble: trees (decision_tree_regression
// sub-models tree0, tree1, ...) whose predictions are combined with
// tree_weights. Spark 2.4 and MLeap compute the margin as F2jBLAS.ddot of
// the tree predictions with the weights: a sequential sum in tree order
// (see dotDense).
type gbt struct {
	f           *forest
	weights     []float64
	numFeatures int
	classifier  bool
	*classifierPorts
}

func newGBT(n *bundle.Node) (*Stage, error) {
	numFeatures := int(n.Attrs.Int("num_features"))
	if numFeatures < 0 || numFeatures > 1<<28 {
		return nil, fmt.Errorf("attribute %q: %d out of range", "num_features", numFeatures)
	}
	g := &gbt{numFeatures: numFeatures, classifier: n.Op == "gbt_classifier"}
	if g.classifier && n.Attrs.Has("num_classes") && n.Attrs.Int("num_classes") != 2 {
		return nil, fmt.Errorf("attribute %q: %d classes (gradient-boosted trees are binary: want 2)", "num_classes", n.Attrs.Int("num_classes"))
	}
	if lt := n.Attrs.String("lossType"); g.classifier && lt != "" && lt != "logistic" {
		return nil, fmt.Errorf("attribute %q: %q (only \"logistic\" is supported)", "lossType", lt)
	}
	f, err := loadForest(n, numFeatures)
	if err != nil {
		return nil, err
	}
	for _, l := range f.leaves {
		if len(l) != 1 {
			return nil, fmt.Errorf("attribute %q: a tree has a leaf of %d values; a GBT's trees must be decision_tree_regression trees (one prediction per leaf)", "trees", len(l))
		}
	}
	g.f = f
	if !n.Attrs.Has("tree_weights") {
		return nil, fmt.Errorf("attribute %q: missing", "tree_weights")
	}
	g.weights = n.Attrs.Doubles("tree_weights")
	if len(g.weights) != f.ntrees {
		return nil, fmt.Errorf("attribute %q: %d weights for %d trees", "tree_weights", len(g.weights), f.ntrees)
	}
	if err := checkFinite("tree_weights", g.weights); err != nil {
		return nil, err
	}
	st := &Stage{impl: g}
	if g.classifier {
		cp, err := bindClassifierPorts(n, st, numFeatures, 2)
		if err != nil {
			return nil, err
		}
		if err := cp.readThresholds(n); err != nil {
			return nil, err
		}
		g.classifierPorts = cp
		st.Facts = append(st.Facts, Fact{"classes", 2})
		if cp.thresholds != nil {
			st.Facts = append(st.Facts, Fact{"thresholds", cp.thresholds})
		}
	} else {
		feat, pred := port(n.Inputs, "features"), port(n.Outputs, "prediction")
		if feat == "" || pred == "" {
			return nil, fmt.Errorf("node %s: needs ports features and prediction", n.Dir)
		}
		st.Inputs = []Column{{Name: feat, Type: Vector, Size: numFeatures}}
		st.Outputs = []Column{{Name: pred, Type: Double}}
	}
	treeFacts(st, f, numFeatures)
	return st, nil
}

type gbtStep struct {
	*gbt
	in, out int
	classifierSlots
}

func (g *gbt) step(in, out []slot, b *binder) (step, error) {
	s := &gbtStep{gbt: g, in: in[0].idx}
	if g.classifier {
		s.classifierSlots = g.slots(out, b)
	} else {
		s.out = out[0].idx
	}
	return s, nil
}

// margin is Σ weight_t * prediction_t over the trees in order.
func (s *gbtStep) margin(x *Vec) float64 {
	f := s.f
	m := 0.0
	for t, root := range f.roots {
		var leaf int32
		if x.Dense {
			leaf = f.leafOfDense(root, x.Values[:x.Size])
		} else {
			leaf = f.leafOf(t, x)
		}
		m += float64(f.leaves[leaf][0] * s.weights[t])
	}
	return m
}

// run: regression predicts the margin. Classification (Spark 2.4
// GBTClassificationModel, log loss): raw = [-m, m]; probability[0] =
// 1/(1+exp(-2*raw[0])), probability[1] = 1 - probability[0]; prediction by
// the ports bound (see classifierPorts), predict() being m > 0 without
// thresholds.
func (s *gbtStep) run(r *Row) error {
	m := s.margin(&r.v[s.in])
	if !s.classifier {
		r.f[s.out] = m
		return nil
	}
	if !s.hasRaw && !s.hasProb && s.thresholds == nil {
		r.f[s.pred] = b2f(m > 0)
		return nil
	}
	raw := s.rawBuf(r, 2)
	raw[0], raw[1] = -m, m
	byRaw := s.hasRaw && s.thresholds == nil
	if byRaw {
		r.f[s.pred] = float64(argmax(raw))
		if !s.hasProb {
			return nil
		}
	}
	p := s.probBuf(r, 2)
	p[0] = 1 / (1 + javaExp(-2*raw[0]))
	p[1] = 1 - p[0]
	if !byRaw {
		r.f[s.pred] = s.probabilityToPrediction(p)
	}
	return nil
}
