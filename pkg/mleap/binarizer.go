package mleap

import (
	"fmt"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["binarizer"] = newBinarizer
	// The MLeap runtime (0.16 at least) re-saves every binarizer under this
	// name, with input_shapes as a list of one shape.
	ops["sklearn_binarizer"] = newBinarizer
}

// binarizer is Spark's Binarizer (one column, a double or a vector).
type binarizer struct {
	threshold float64
	size      int // 0 for a scalar column
}

func newBinarizer(n *bundle.Node) (*Stage, error) {
	in, out := port(n.Inputs, "input"), port(n.Outputs, "output")
	if in == "" || out == "" {
		return nil, fmt.Errorf("node %s: needs ports input and output (a multi-column binarizer is not supported)", n.Dir)
	}
	b := &binarizer{threshold: n.Attrs.Double("threshold")}
	col := Column{Name: in, Type: Double}
	// input_shapes: one data shape (op binarizer) or a list of one
	// (sklearn_binarizer).
	v := n.Attrs["input_shapes"]
	var sh *bundle.DataShape
	switch {
	case v == nil:
		return nil, fmt.Errorf("attribute %q: missing", "input_shapes")
	case v.Shape != nil:
		sh = v.Shape
	case len(v.DataShapes) == 1:
		sh = &v.DataShapes[0]
	default:
		return nil, fmt.Errorf("attribute %q: %d data shapes (want one: a multi-column binarizer is not supported)", "input_shapes", len(v.DataShapes))
	}
	switch {
	case sh.Base == "scalar":
	case sh.Base == "tensor" && len(sh.Dims) == 1 && sh.Dims[0] > 0 && sh.Dims[0] <= maxLinearFeatures:
		b.size = sh.Dims[0]
		col = Column{Name: in, Type: Vector, Size: b.size}
	default:
		return nil, fmt.Errorf("attribute %q: shape %s%v is not supported (want a scalar or a 1-D tensor of known size)", "input_shapes", sh.Base, sh.Dims)
	}
	outCol := col
	outCol.Name = out
	st := &Stage{impl: b, Inputs: []Column{col}, Outputs: []Column{outCol}, Facts: []Fact{{"threshold", b.threshold}}}
	if b.size > 0 {
		st.Facts = append(st.Facts, Fact{"size", b.size})
	}
	return st, nil
}

type binarizerStep struct {
	*binarizer
	in, out int
	idx     []int32
	ones    []float64
}

func (b *binarizer) step(in, out []slot, _ *binder) (step, error) {
	s := &binarizerStep{binarizer: b, in: in[0].idx, out: out[0].idx}
	if b.size > 0 {
		s.ones = make([]float64, b.size)
		for i := range s.ones {
			s.ones[i] = 1
		}
	}
	return s, nil
}

// run: a double becomes 1.0 if it is > threshold, else 0.0 (NaN gives 0).
// A vector becomes 1.0 at each stored entry > threshold (every entry of a
// dense vector, the active ones of a sparse one: implicit zeros stay 0 even
// for a negative threshold, as in Spark 2.4), in Spark's `compressed`
// representation.
func (s *binarizerStep) run(r *Row) error {
	if s.size == 0 {
		r.f[s.out] = b2f(r.f[s.in] > s.threshold)
		return nil
	}
	x := &r.v[s.in]
	o := &r.v[s.out]
	idx := o.Indices[:0]
	if x.Dense {
		for i, v := range x.Values[:x.Size] {
			if v > s.threshold {
				idx = append(idx, int32(i))
			}
		}
	} else {
		for k, i := range x.Indices {
			if x.Values[k] > s.threshold {
				idx = append(idx, i)
			}
		}
	}
	// compressFrom copies idx into o.Indices (the same array: harmless).
	compressFrom(o, s.size, idx, s.ones[:len(idx)])
	return nil
}
