package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

// Shared plumbing of the probabilistic classifiers added for issue 7
// (logistic_regression, gbt_classifier): which of the raw_prediction,
// probability and prediction ports a node binds, and how the prediction is
// chosen from them. The choice follows Spark 2.4's
// ProbabilisticClassificationModel.transform:
//   - raw_prediction bound and no thresholds: raw2prediction(raw);
//   - else probability bound: probability2prediction(probability);
//   - else predict(features).
// MLeap's runtime differs only where that gives a different answer for a
// value exactly at a threshold (it takes the probability whenever both
// ports are bound).

type classifierPorts struct {
	numClasses int
	hasRaw     bool
	hasProb    bool
	thresholds []float64 // nil when the model has none
}

// bindClassifierPorts reads the features input and the three output ports.
func bindClassifierPorts(n *bundle.Node, st *Stage, numFeatures, numClasses int) (*classifierPorts, error) {
	feat := port(n.Inputs, "features")
	if feat == "" {
		return nil, fmt.Errorf("node %s: no features port", n.Dir)
	}
	cp := &classifierPorts{numClasses: numClasses}
	st.Inputs = []Column{{Name: feat, Type: Vector, Size: numFeatures}}
	if c := port(n.Outputs, "raw_prediction"); c != "" {
		cp.hasRaw = true
		st.Outputs = append(st.Outputs, Column{Name: c, Type: Vector, Size: numClasses})
	}
	if c := port(n.Outputs, "probability"); c != "" {
		cp.hasProb = true
		st.Outputs = append(st.Outputs, Column{Name: c, Type: Vector, Size: numClasses})
	}
	c := port(n.Outputs, "prediction")
	if c == "" {
		return nil, fmt.Errorf("node %s: no prediction port", n.Dir)
	}
	st.Outputs = append(st.Outputs, Column{Name: c, Type: Double})
	return cp, nil
}

// readThresholds reads the optional "thresholds" attribute.
func (cp *classifierPorts) readThresholds(n *bundle.Node) error {
	if !n.Attrs.Has("thresholds") {
		return nil
	}
	t := n.Attrs.Doubles("thresholds")
	if len(t) != cp.numClasses {
		return fmt.Errorf("attribute %q: %d values for %d classes", "thresholds", len(t), cp.numClasses)
	}
	zeros := 0
	for _, x := range t {
		if !(x >= 0) {
			return fmt.Errorf("attribute %q: %v is not a threshold (want values >= 0)", "thresholds", x)
		}
		if x == 0 {
			zeros++
		}
	}
	if zeros > 1 {
		return fmt.Errorf("attribute %q: more than one threshold is 0", "thresholds")
	}
	cp.thresholds = t
	return nil
}

// classifierSlots locates a compiled classifier's outputs in a Row; raw and
// prob fall back to per-row scratch buffers when their port is not bound.
type classifierSlots struct {
	raw, prob   int // vector slots, -1 when absent
	pred        int
	scratchRaw  int
	scratchProb int
}

func (cp *classifierPorts) slots(out []slot, b *binder) classifierSlots {
	s := classifierSlots{raw: -1, prob: -1, scratchRaw: b.scratch(cp.numClasses), scratchProb: b.scratch(cp.numClasses)}
	k := 0
	if cp.hasRaw {
		s.raw = out[k].idx
		k++
	}
	if cp.hasProb {
		s.prob = out[k].idx
		k++
	}
	s.pred = out[k].idx
	return s
}

// rawBuf returns where to write the raw prediction: the output vector, made
// dense, or the scratch buffer.
func (s *classifierSlots) rawBuf(r *Row, k int) []float64 {
	if s.raw >= 0 {
		return setDense(&r.v[s.raw], k)
	}
	return r.x[s.scratchRaw][:k]
}

func (s *classifierSlots) probBuf(r *Row, k int) []float64 {
	if s.prob >= 0 {
		return setDense(&r.v[s.prob], k)
	}
	return r.x[s.scratchProb][:k]
}

// probabilityToPrediction is Spark 2.4's probability2prediction: the first
// largest probability, or with thresholds the first largest p/t (p/0 is
// +Inf, or NaN when p is 0, which never wins).
func (cp *classifierPorts) probabilityToPrediction(p []float64) float64 {
	if cp.thresholds == nil {
		return float64(argmax(p))
	}
	best, max := 0, math.Inf(-1)
	for i, x := range p {
		if v := x / cp.thresholds[i]; v > max {
			best, max = i, v
		}
	}
	return float64(best)
}
