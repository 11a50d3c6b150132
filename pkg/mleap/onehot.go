package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["one_hot_encoder"] = newOneHotEncoder
}

// oneHotEncoder is Spark's OneHotEncoderModel (OneHotEncoderEstimator,
// Spark >= 2.3): one or more index columns, each to a sparse vector.
type oneHotEncoder struct {
	stage    string
	inputs   []string
	sizes    []int // categories per column, as fitted
	outSizes []int // vector length per column (after drop_last / keep)
	keep     bool
	dropLast bool
}

func newOneHotEncoder(n *bundle.Node) (*Stage, error) {
	ins, outs, err := singleOrMulti(n)
	if err != nil {
		return nil, err
	}
	o := &oneHotEncoder{stage: n.Name, inputs: ins, dropLast: n.Attrs.Bool("drop_last")}
	handle := n.Attrs.String("handle_invalid")
	if n.Attrs.Has("size") {
		// The legacy form (Spark's OneHotEncoder transformer, before 2.3):
		// one column; without handle_invalid, "keep" if drop_last else
		// "error", as MLeap reads it.
		if len(ins) != 1 {
			return nil, fmt.Errorf("attribute %q: the legacy one-column form, but the node has %d inputs", "size", len(ins))
		}
		sz := n.Attrs.Int("size")
		if sz < 0 || sz > maxLinearFeatures {
			return nil, fmt.Errorf("attribute %q: %d categories", "size", sz)
		}
		o.sizes = []int{int(sz)}
		if !n.Attrs.Has("handle_invalid") {
			handle = "error"
			if o.dropLast {
				handle = "keep"
			}
		}
	} else {
		if !n.Attrs.Has("category_sizes") {
			return nil, fmt.Errorf("attribute %q: missing", "category_sizes")
		}
		for _, s := range n.Attrs.Ints("category_sizes") {
			if s < 0 || s > maxLinearFeatures {
				return nil, fmt.Errorf("attribute %q: %d categories", "category_sizes", s)
			}
			o.sizes = append(o.sizes, int(s))
		}
		if len(o.sizes) != len(ins) {
			return nil, fmt.Errorf("attribute %q: %d sizes for %d input columns", "category_sizes", len(o.sizes), len(ins))
		}
	}
	switch handle {
	case "", "error":
		handle = "error"
	case "keep":
		o.keep = true
	default:
		return nil, fmt.Errorf("attribute %q: %q (want error or keep)", "handle_invalid", handle)
	}
	st := &Stage{impl: o}
	for i, s := range o.sizes {
		out := s
		switch {
		case o.keep && !o.dropLast:
			out = s + 1 // an extra slot for invalid values
		case o.dropLast && !o.keep:
			out = s - 1
		}
		if out < 0 {
			out = 0
		}
		o.outSizes = append(o.outSizes, out)
		st.Inputs = append(st.Inputs, Column{Name: ins[i], Type: Double})
		st.Outputs = append(st.Outputs, Column{Name: outs[i], Type: Vector, Size: out})
	}
	st.Facts = []Fact{{"category sizes", o.sizes}, {"drop_last", o.dropLast}, {"handle_invalid", handle}}
	return st, nil
}

type oneHotStep struct {
	*oneHotEncoder
	in, out []int
}

func (o *oneHotEncoder) step(in, out []slot, _ *binder) (step, error) {
	s := &oneHotStep{oneHotEncoder: o}
	for i := range in {
		s.in, s.out = append(s.in, in[i].idx), append(s.out, out[i].idx)
	}
	return s, nil
}

// run is Spark 2.4's encoder: a value x in [0, size) is its own index (Spark
// truncates a fractional x; MLeap would reject it); otherwise, with keep,
// the index is size, else the record is invalid. The output has a single
// 1.0 at the index, or nothing if the index falls past the vector's end
// (the dropped last category, or an invalid value with drop_last).
func (s *oneHotStep) run(r *Row) error {
	for c, in := range s.in {
		x := r.f[in]
		size := s.sizes[c]
		var idx float64
		switch {
		case x >= 0 && x < float64(size):
			idx = x
		case s.keep:
			idx = float64(size)
		case x < 0:
			return &RecordError{Column: s.inputs[c], Stage: s.stage, Msg: fmt.Sprintf("negative category index %v (handle_invalid=error)", x)}
		default:
			return &RecordError{Column: s.inputs[c], Stage: s.stage, Msg: fmt.Sprintf("unseen category index %v, %d categories (handle_invalid=error)", x, size)}
		}
		o := &r.v[s.out[c]]
		n := s.outSizes[c]
		o.Dense, o.Size = false, n
		o.Indices, o.Values = o.Indices[:0], o.Values[:0]
		if idx < float64(n) {
			o.Indices = append(o.Indices, int32(math.Trunc(idx)))
			o.Values = append(o.Values, 1)
		}
	}
	return nil
}
