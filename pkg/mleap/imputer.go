package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["imputer"] = newImputer
}

// imputer is MLeap's ImputerModel (one column). Spark 2.4's own
// org.apache.spark.ml.feature.ImputerModel cannot be saved by mleap-spark
// (no op is registered for it), so no Spark-trained bundle has this op; it
// comes from mleap-spark-extension's Imputer or from scikit-learn.
type imputer struct {
	surrogate, missing float64
}

func newImputer(n *bundle.Node) (*Stage, error) {
	in, out := port(n.Inputs, "input"), port(n.Outputs, "output")
	if in == "" || out == "" {
		return nil, fmt.Errorf("node %s: needs ports input and output", n.Dir)
	}
	if !n.Attrs.Has("surrogate_value") {
		return nil, fmt.Errorf("attribute %q: missing", "surrogate_value")
	}
	im := &imputer{surrogate: n.Attrs.Double("surrogate_value"), missing: math.NaN()}
	if n.Attrs.Has("missing_value") {
		im.missing = n.Attrs.Double("missing_value")
	}
	return &Stage{
		impl:    im,
		Inputs:  []Column{{Name: in, Type: Double}},
		Outputs: []Column{{Name: out, Type: Double}},
		Facts: []Fact{{"surrogate", im.surrogate}, {"missing value", im.missing},
			{"strategy", n.Attrs.String("strategy")}},
	}, nil
}

type imputerStep struct {
	*imputer
	in, out int
}

func (im *imputer) step(in, out []slot, _ *binder) (step, error) {
	return &imputerStep{imputer: im, in: in[0].idx, out: out[0].idx}, nil
}

// run: a NaN (which also stands for a missing value) or a value equal to
// missing_value becomes the surrogate.
func (s *imputerStep) run(r *Row) error {
	x := r.f[s.in]
	if math.IsNaN(x) || x == s.missing {
		x = s.surrogate
	}
	r.f[s.out] = x
	return nil
}
