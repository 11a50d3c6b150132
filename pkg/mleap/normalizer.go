package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["normalizer"] = newNormalizer
}

// normalizer is Spark's Normalizer: the vector divided by its p-norm.
type normalizer struct {
	p float64
}

func newNormalizer(n *bundle.Node) (*Stage, error) {
	if !n.Attrs.Has("p_norm") {
		return nil, fmt.Errorf("attribute %q: missing", "p_norm")
	}
	p := n.Attrs.Double("p_norm")
	if math.IsNaN(p) {
		// A JSON bundle writes p = +Inf as null (read back as NaN); no other
		// p that reads as NaN is valid, so take it as the max norm. (MLeap's
		// own runtime fails on such a bundle.)
		p = math.Inf(1)
	}
	if !(p >= 1) {
		return nil, fmt.Errorf("attribute %q: %v (want p >= 1)", "p_norm", p)
	}
	size := int(n.Attrs.Int("input_size"))
	if size <= 0 || size > maxLinearFeatures {
		return nil, fmt.Errorf("attribute %q: %d", "input_size", size)
	}
	st, err := vectorPorts(n, size)
	if err != nil {
		return nil, err
	}
	st.impl = &normalizer{p: p}
	st.Facts = append(st.Facts, Fact{"p", p})
	return st, nil
}

func (nz *normalizer) step(in, out []slot, _ *binder) (step, error) {
	return &vecStep{in: in[0].idx, out: out[0].idx, fn: nz.apply}, nil
}

// norm is Spark's Vectors.norm over the stored values (all of a dense
// vector, the active ones of a sparse one), summed in order.
func (nz *normalizer) norm(vals []float64) float64 {
	switch p := nz.p; {
	case p == 1:
		s := 0.0
		for _, v := range vals {
			s += math.Abs(v)
		}
		return s
	case p == 2:
		s := 0.0
		for _, v := range vals {
			s += float64(v * v)
		}
		return math.Sqrt(s)
	case math.IsInf(p, 1):
		m := 0.0
		for _, v := range vals {
			if a := math.Abs(v); a > m {
				m = a
			}
		}
		return m
	default:
		// Math.pow as the JVM computes it, correctly rounded (javaPow).
		s := 0.0
		for _, v := range vals {
			s += javaPow(math.Abs(v), p)
		}
		return javaPow(s, 1/p)
	}
}

// apply: if the norm is not 0 each stored value is divided by it, keeping
// the representation; otherwise the vector is passed on as it is.
func (nz *normalizer) apply(o, x *Vec) {
	vals := x.Values
	if x.Dense {
		vals = vals[:x.Size]
	}
	norm := nz.norm(vals)
	copyVec(o, x)
	if norm != 0 {
		for i := range o.Values {
			o.Values[i] /= norm
		}
	}
}
