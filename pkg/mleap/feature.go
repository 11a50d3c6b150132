package mleap

import (
	"fmt"
	"math"
	"strconv"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["string_indexer"] = newStringIndexer
	ops["vector_assembler"] = newVectorAssembler
	ops["reverse_string_indexer"] = newReverseStringIndexer
}

// --- string_indexer ---

type stringIndexer struct {
	stage   string
	inputs  []string
	index   []map[string]float64
	nlabels []int
	invalid string // error | skip | keep
}

// singleOrMulti returns the (input, output) column pairs of a multi in/out
// op: ports input/output for one column, input0../output0.. for several.
func singleOrMulti(n *bundle.Node) (ins, outs []string, err error) {
	if in, out := port(n.Inputs, "input"), port(n.Outputs, "output"); in != "" || out != "" {
		if in == "" || out == "" {
			return nil, nil, fmt.Errorf("node %s: port input/output half bound", n.Dir)
		}
		return []string{in}, []string{out}, nil
	}
	for i := 0; ; i++ {
		in, out := port(n.Inputs, "input"+strconv.Itoa(i)), port(n.Outputs, "output"+strconv.Itoa(i))
		if in == "" && out == "" {
			break
		}
		if in == "" || out == "" {
			return nil, nil, fmt.Errorf("node %s: port input%d/output%d half bound", n.Dir, i, i)
		}
		ins, outs = append(ins, in), append(outs, out)
	}
	if len(ins) == 0 {
		return nil, nil, fmt.Errorf("node %s has no input/output ports", n.Dir)
	}
	return ins, outs, nil
}

func newStringIndexer(n *bundle.Node) (*Stage, error) {
	ins, outs, err := singleOrMulti(n)
	if err != nil {
		return nil, err
	}
	var labelSets [][]string
	if n.Attrs.Has("labels_length") {
		k := int(n.Attrs.Int("labels_length"))
		for i := 0; i < k; i++ {
			labelSets = append(labelSets, n.Attrs.Strings("labels_array_"+strconv.Itoa(i)))
		}
	} else {
		labelSets = [][]string{n.Attrs.Strings("labels")}
	}
	if len(labelSets) != len(ins) {
		return nil, fmt.Errorf("%d label lists for %d input columns", len(labelSets), len(ins))
	}
	si := &stringIndexer{stage: n.Name, inputs: ins, invalid: n.Attrs.String("handle_invalid")}
	switch si.invalid {
	case "":
		si.invalid = "error"
	case "error", "skip", "keep":
	default:
		return nil, fmt.Errorf("handle_invalid %q (want error, skip or keep)", si.invalid)
	}
	st := &Stage{impl: si}
	for i, labels := range labelSets {
		idx := make(map[string]float64, len(labels))
		for k, l := range labels {
			if _, dup := idx[l]; !dup {
				idx[l] = float64(k)
			}
		}
		si.index = append(si.index, idx)
		si.nlabels = append(si.nlabels, len(labels))
		st.Inputs = append(st.Inputs, Column{Name: ins[i], Type: String})
		st.Outputs = append(st.Outputs, Column{Name: outs[i], Type: Double})
		st.Facts = append(st.Facts, Fact{"labels " + ins[i], labels})
	}
	st.Facts = append(st.Facts, Fact{"handle_invalid", si.invalid})
	return st, nil
}

type stringIndexerStep struct {
	*stringIndexer
	in, out []int
}

func (si *stringIndexer) step(in, out []slot, b *binder) (step, error) {
	s := &stringIndexerStep{stringIndexer: si}
	for i := range in {
		s.in, s.out = append(s.in, in[i].idx), append(s.out, out[i].idx)
	}
	return s, nil
}

func (s *stringIndexerStep) run(r *Row) error {
	for i, in := range s.in {
		b := r.s[in]
		v, ok := s.index[i][string(b)]
		if !ok {
			switch s.invalid {
			case "keep":
				v = float64(s.nlabels[i])
			case "skip":
				return ErrRowSkipped
			default:
				return &RecordError{Column: s.inputs[i], Stage: s.stage, Msg: fmt.Sprintf("unseen label %q (handle_invalid=error)", b)}
			}
		}
		r.f[s.out[i]] = v
	}
	return nil
}

// --- vector_assembler ---

type vectorAssembler struct {
	size  int
	sizes []int // per input: 0 for a scalar, else the vector size
}

func newVectorAssembler(n *bundle.Node) (*Stage, error) {
	out := port(n.Outputs, "output")
	if out == "" {
		return nil, fmt.Errorf("node %s: no output port", n.Dir)
	}
	var ins []string
	for i := 0; ; i++ {
		c := port(n.Inputs, "input"+strconv.Itoa(i))
		if c == "" {
			break
		}
		ins = append(ins, c)
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("node %s: no input ports", n.Dir)
	}
	shapes := n.Attrs.DataShapes("input_shapes")
	if len(shapes) != 0 && len(shapes) != len(ins) {
		return nil, fmt.Errorf("input_shapes has %d shapes for %d inputs", len(shapes), len(ins))
	}
	va := &vectorAssembler{}
	st := &Stage{impl: va}
	for i, c := range ins {
		col := Column{Name: c, Type: Double}
		if len(shapes) > 0 && shapes[i].Base != "scalar" {
			if shapes[i].Base != "tensor" || len(shapes[i].Dims) != 1 || shapes[i].Dims[0] <= 0 {
				return nil, fmt.Errorf("input %s: shape %s%v is not supported (want a scalar or a 1-D tensor of known size)", c, shapes[i].Base, shapes[i].Dims)
			}
			col = Column{Name: c, Type: Vector, Size: shapes[i].Dims[0]}
		}
		va.sizes = append(va.sizes, col.Size)
		if col.Type == Double {
			va.size++
		} else {
			va.size += col.Size
		}
		st.Inputs = append(st.Inputs, col)
	}
	st.Outputs = []Column{{Name: out, Type: Vector, Size: va.size}}
	st.Facts = []Fact{{"features", va.size}}
	return st, nil
}

type vectorAssemblerStep struct {
	*vectorAssembler
	in      []slot
	out     int
	scalars []int // the double slots, when every input is a scalar
}

func (va *vectorAssembler) step(in, out []slot, b *binder) (step, error) {
	s := &vectorAssemblerStep{vectorAssembler: va, in: in, out: out[0].idx}
	for _, sl := range in {
		if sl.typ != Double {
			s.scalars = nil
			return s, nil
		}
		s.scalars = append(s.scalars, sl.idx)
	}
	return s, nil
}

// run assembles the inputs the way MLeap does: non-zero entries (NaN
// included) collected into a sparse vector, then Spark's `compressed`
// choice: sparse when 1.5*(nnz+1) < size, dense otherwise.
func (s *vectorAssemblerStep) run(r *Row) error {
	o := &r.v[s.out]
	o.Size = s.size
	if s.scalars != nil {
		// All scalars, the usual case: when no input is zero the result is
		// dense (nnz = size fails 1.5*(nnz+1) < size), so copy straight in.
		vals := o.Values[:s.size]
		for i, in := range s.scalars {
			x := r.f[in]
			if x == 0 {
				goto general
			}
			vals[i] = x
		}
		o.Dense, o.Indices, o.Values = true, o.Indices[:0], vals
		return nil
	}
general:
	idx, vals := o.Indices[:0], o.Values[:0]
	cur := 0
	for _, in := range s.in {
		if in.typ == Double {
			if x := r.f[in.idx]; x != 0 || math.IsNaN(x) {
				idx, vals = append(idx, int32(cur)), append(vals, x)
			}
			cur++
			continue
		}
		v := &r.v[in.idx]
		if v.Dense {
			for i, x := range v.Values[:v.Size] {
				if x != 0 || math.IsNaN(x) {
					idx, vals = append(idx, int32(cur+i)), append(vals, x)
				}
			}
		} else {
			for k, i := range v.Indices {
				if x := v.Values[k]; x != 0 || math.IsNaN(x) {
					idx, vals = append(idx, int32(cur)+i), append(vals, x)
				}
			}
		}
		cur += v.Size
	}
	nnz := len(idx)
	if 1.5*(float64(nnz)+1.0) < float64(s.size) {
		o.Dense, o.Indices, o.Values = false, idx, vals
		return nil
	}
	// Dense: spread the collected entries into place from the back; entry k
	// moves to idx[k] >= k, so nothing is overwritten before it is read.
	vals = vals[:s.size]
	k := nnz - 1
	for pos := s.size - 1; pos >= 0; pos-- {
		if k >= 0 && int(idx[k]) == pos {
			vals[pos] = vals[k]
			k--
		} else {
			vals[pos] = 0
		}
	}
	o.Dense, o.Indices, o.Values = true, idx[:0], vals
	return nil
}

// --- reverse_string_indexer (Spark's IndexToString) ---

type reverseStringIndexer struct {
	stage, input string
	labels       [][]byte
}

func newReverseStringIndexer(n *bundle.Node) (*Stage, error) {
	in, out := port(n.Inputs, "input"), port(n.Outputs, "output")
	if in == "" || out == "" {
		return nil, fmt.Errorf("node %s: needs ports input and output", n.Dir)
	}
	if n.Attrs.Has("input_shape") {
		if sh := n.Attrs["input_shape"].Shape; sh != nil && sh.Base != "scalar" {
			return nil, fmt.Errorf("input_shape %s is not supported (only scalar)", sh.Base)
		}
	}
	labels := n.Attrs.Strings("labels")
	rs := &reverseStringIndexer{stage: n.Name, input: in}
	for _, l := range labels {
		rs.labels = append(rs.labels, []byte(l))
	}
	return &Stage{
		impl:    rs,
		Inputs:  []Column{{Name: in, Type: Double}},
		Outputs: []Column{{Name: out, Type: String}},
		Facts:   []Fact{{"labels", labels}},
	}, nil
}

type reverseStringIndexerStep struct {
	*reverseStringIndexer
	in, out int
}

func (rs *reverseStringIndexer) step(in, out []slot, b *binder) (step, error) {
	return &reverseStringIndexerStep{reverseStringIndexer: rs, in: in[0].idx, out: out[0].idx}, nil
}

func (s *reverseStringIndexerStep) run(r *Row) error {
	i := javaToInt(r.f[s.in])
	if i < 0 || i >= int64(len(s.labels)) {
		return &RecordError{Column: s.input, Stage: s.stage, Msg: fmt.Sprintf("index %v has no label (%d labels)", r.f[s.in], len(s.labels))}
	}
	r.s[s.out] = s.labels[i]
	return nil
}

// javaToInt converts like Scala's Double.toInt: truncation toward zero,
// NaN to 0, saturating at the int range.
func javaToInt(x float64) int64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int64(x)
}
