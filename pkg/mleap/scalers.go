package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["standard_scaler"] = newStandardScaler
	ops["min_max_scaler"] = newMinMaxScaler
	ops["max_abs_scaler"] = newMaxAbsScaler
}

// vectorPorts reads a vector → vector op's input/output ports.
func vectorPorts(n *bundle.Node, size int) (*Stage, error) {
	in, out := port(n.Inputs, "input"), port(n.Outputs, "output")
	if in == "" || out == "" {
		return nil, fmt.Errorf("node %s: needs ports input and output", n.Dir)
	}
	return &Stage{
		Inputs:  []Column{{Name: in, Type: Vector, Size: size}},
		Outputs: []Column{{Name: out, Type: Vector, Size: size}},
		Facts:   []Fact{{"size", size}},
	}, nil
}

// vecStep is the compiled form of the vector → vector ops.
type vecStep struct {
	in, out int
	fn      func(out, in *Vec)
}

func (s *vecStep) run(r *Row) error {
	s.fn(&r.v[s.out], &r.v[s.in])
	return nil
}

// densify writes x's elements into dst (len x.Size).
func densify(dst []float64, x *Vec) {
	if x.Dense {
		copy(dst, x.Values[:x.Size])
		return
	}
	for i := range dst {
		dst[i] = 0
	}
	for k, i := range x.Indices {
		dst[i] = x.Values[k]
	}
}

// --- standard_scaler (Spark's StandardScalerModel) ---

type standardScaler struct {
	size      int
	mean, std []float64 // nil when the model was fitted without them
	inv       []float64 // 1/std_i, or 0 where std_i == 0
}

func newStandardScaler(n *bundle.Node) (*Stage, error) {
	ss := &standardScaler{}
	if n.Attrs.Has("mean") {
		ss.mean = n.Attrs.Doubles("mean")
		ss.size = len(ss.mean)
	}
	if n.Attrs.Has("std") {
		ss.std = n.Attrs.Doubles("std")
		if ss.mean != nil && len(ss.std) != len(ss.mean) {
			return nil, fmt.Errorf("attribute %q: %d values, but %q has %d", "std", len(ss.std), "mean", len(ss.mean))
		}
		ss.size = len(ss.std)
		ss.inv = make([]float64, len(ss.std))
		for i, s := range ss.std {
			if s != 0 {
				ss.inv[i] = 1 / s
			}
		}
	}
	if ss.mean == nil && ss.std == nil {
		return nil, fmt.Errorf("attributes %q and %q: both missing (a scaler needs a mean, a std or both)", "mean", "std")
	}
	if ss.size == 0 || ss.size > maxLinearFeatures {
		name := "mean"
		if ss.std != nil {
			name = "std"
		}
		return nil, fmt.Errorf("attribute %q: %d values", name, ss.size)
	}
	st, err := vectorPorts(n, ss.size)
	if err != nil {
		return nil, err
	}
	st.impl = ss
	st.Facts = append(st.Facts, Fact{"with mean", ss.mean != nil}, Fact{"with std", ss.std != nil})
	return st, nil
}

func (ss *standardScaler) step(in, out []slot, _ *binder) (step, error) {
	return &vecStep{in: in[0].idx, out: out[0].idx, fn: ss.apply}, nil
}

// apply is Spark's StandardScalerModel.transform: with a mean the output is
// dense, (x_i - mean_i) * (1/std_i) (0 where std_i is 0) or x_i - mean_i;
// with the std only, x_i * (1/std_i) keeping the input's representation
// (a sparse input keeps its indices, explicit zeros included).
func (ss *standardScaler) apply(o, x *Vec) {
	n := ss.size
	if ss.mean != nil {
		d := setDense(o, n)
		densify(d, x)
		if ss.std != nil {
			for i, v := range d {
				if ss.std[i] != 0 {
					d[i] = (v - ss.mean[i]) * ss.inv[i]
				} else {
					d[i] = 0
				}
			}
		} else {
			for i := range d {
				d[i] -= ss.mean[i]
			}
		}
		return
	}
	if x.Dense {
		d := setDense(o, n)
		for i, v := range x.Values[:n] {
			d[i] = v * ss.inv[i]
		}
		return
	}
	d := setSparseFrom(o, n, x)
	for k, i := range x.Indices {
		d[k] = x.Values[k] * ss.inv[i]
	}
}

// --- min_max_scaler ---

type minMaxScaler struct {
	min, rng           []float64
	minValue, maxValue float64
}

func newMinMaxScaler(n *bundle.Node) (*Stage, error) {
	lo, err := tensorAttr(n, "min")
	if err != nil {
		return nil, err
	}
	hi, err := tensorAttr(n, "max")
	if err != nil {
		return nil, err
	}
	if len(hi) != len(lo) {
		return nil, fmt.Errorf("attribute %q: %d values, but %q has %d", "max", len(hi), "min", len(lo))
	}
	// minValue/maxValue (MLeap >= 0.16); mleap-spark 0.14 only accepts
	// Spark's default range [0, 1] and does not write them.
	m := &minMaxScaler{min: lo, rng: make([]float64, len(lo)), minValue: 0, maxValue: 1}
	if n.Attrs.Has("minValue") {
		m.minValue = n.Attrs.Double("minValue")
	}
	if n.Attrs.Has("maxValue") {
		m.maxValue = n.Attrs.Double("maxValue")
	}
	for i := range lo {
		m.rng[i] = hi[i] - lo[i]
	}
	st, err := vectorPorts(n, len(lo))
	if err != nil {
		return nil, err
	}
	st.impl = m
	st.Facts = append(st.Facts, Fact{"range", [2]float64{m.minValue, m.maxValue}})
	return st, nil
}

func (m *minMaxScaler) step(in, out []slot, _ *binder) (step, error) {
	return &vecStep{in: in[0].idx, out: out[0].idx, fn: m.apply}, nil
}

// apply is Spark's MinMaxScalerModel: dense output; for each element that
// is not NaN, raw = (x - min)/(max - min), or 0.5 where max == min, then
// raw*(maxValue - minValue) + minValue.
func (m *minMaxScaler) apply(o, x *Vec) {
	scale := m.maxValue - m.minValue
	d := setDense(o, len(m.min))
	densify(d, x)
	for i, v := range d {
		if math.IsNaN(v) {
			continue
		}
		raw := 0.5
		if m.rng[i] != 0 {
			raw = (v - m.min[i]) / m.rng[i]
		}
		d[i] = float64(raw*scale) + m.minValue
	}
}

// --- max_abs_scaler ---

type maxAbsScaler struct {
	div []float64 // maxAbs_i, or 1 where it is 0
}

func newMaxAbsScaler(n *bundle.Node) (*Stage, error) {
	ma, err := tensorAttr(n, "maxAbs")
	if err != nil {
		return nil, err
	}
	m := &maxAbsScaler{div: make([]float64, len(ma))}
	for i, v := range ma {
		m.div[i] = v
		if v == 0 {
			m.div[i] = 1
		}
	}
	st, err := vectorPorts(n, len(ma))
	if err != nil {
		return nil, err
	}
	st.impl = m
	return st, nil
}

func (m *maxAbsScaler) step(in, out []slot, _ *binder) (step, error) {
	return &vecStep{in: in[0].idx, out: out[0].idx, fn: m.apply}, nil
}

// apply is Spark 2.4's MaxAbsScalerModel: x_i / maxAbs_i (maxAbs_i = 0
// taken as 1), keeping the representation (breeze divides a sparse vector
// by a dense one at its active entries). MLeap's runtime also clamps the
// result to [-1, 1], which matters only for inputs beyond the fitted range;
// Spark does not, and this follows Spark.
func (m *maxAbsScaler) apply(o, x *Vec) {
	n := len(m.div)
	if x.Dense {
		d := setDense(o, n)
		for i, v := range x.Values[:n] {
			d[i] = v / m.div[i]
		}
		return
	}
	d := setSparseFrom(o, n, x)
	for k, i := range x.Indices {
		d[k] = x.Values[k] / m.div[i]
	}
}
