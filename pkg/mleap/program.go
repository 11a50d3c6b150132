package mleap

import (
	"fmt"
	"strings"
)

// InputField is a column a caller supplies.
type InputField struct {
	Column
	// Required is false for columns read only by stages that can be pruned
	// for the requested outputs (e.g. the label of a StringIndexer). When an
	// optional column is supplied its stage runs, as it would in MLeap.
	Required bool
}

// Program is a compiled pipeline: the stages needed for the requested
// outputs, bound to slots of a Row. A Program is immutable and can be shared;
// each goroutine scores with its own Row (NewRow).
type Program struct {
	model   *Model
	steps   []step
	stages  []*Stage // the stages that run, in order
	inputs  []InputField
	inSlots map[string]slot
	slots   map[string]slot
	nF, nS  int
	vecs    []int // sizes of the vector slots
	scratch []int // sizes of the scratch buffers
	want    []string
}

// inputSchema works out, for the requested outputs, which stages are
// required, and which external columns are required or optional.
func (m *Model) inputSchema(want []string) (required []bool, fields []InputField, err error) {
	producer := map[string]int{}
	for i, st := range m.Stages {
		for _, o := range st.Outputs {
			producer[o.Name] = i
		}
	}
	needed := map[string]bool{}
	for _, w := range want {
		needed[w] = true
	}
	required = make([]bool, len(m.Stages))
	for i := len(m.Stages) - 1; i >= 0; i-- {
		st := m.Stages[i]
		for _, o := range st.Outputs {
			if needed[o.Name] {
				required[i] = true
			}
		}
		if required[i] {
			for _, in := range st.Inputs {
				needed[in.Name] = true
			}
		}
	}
	seen := map[string]int{}
	add := func(c Column, req bool) {
		if k, ok := seen[c.Name]; ok {
			fields[k].Required = fields[k].Required || req
			return
		}
		seen[c.Name] = len(fields)
		fields = append(fields, InputField{Column: c, Required: req})
	}
	for i, st := range m.Stages {
		for _, in := range st.Inputs {
			if p, ok := producer[in.Name]; ok && p < i {
				continue
			}
			add(in, required[i])
		}
	}
	// Required columns first, each group in the order stages read them.
	var out []InputField
	for _, f := range fields {
		if f.Required {
			out = append(out, f)
		}
	}
	for _, f := range fields {
		if !f.Required {
			out = append(out, f)
		}
	}
	return required, out, nil
}

// InputSchema lists the columns a caller supplies to get the outputs in
// want: required ones first, then optional ones.
func (m *Model) InputSchema(want ...string) []InputField {
	_, f, _ := m.inputSchema(want)
	return f
}

// OutputColumns lists every column the stages write, in order.
func (m *Model) OutputColumns() []Column {
	var out []Column
	for _, st := range m.Stages {
		out = append(out, st.Outputs...)
	}
	return out
}

// DefaultOutput is the column a scorer reports by default: the last output
// of the last stage (predictedLabel in the seed pipeline).
func (m *Model) DefaultOutput() string {
	for i := len(m.Stages) - 1; i >= 0; i-- {
		if o := m.Stages[i].Outputs; len(o) > 0 {
			return o[len(o)-1].Name
		}
	}
	return ""
}

// Compile builds a Program producing the columns in want from the columns
// in supplied. Stages needed for want must have all their inputs; other
// stages run only when every input they read is available.
func (m *Model) Compile(want, supplied []string) (*Program, error) {
	if len(want) == 0 {
		return nil, fmt.Errorf("compile: no output column requested")
	}
	produced := map[string]bool{}
	for _, c := range m.OutputColumns() {
		produced[c.Name] = true
	}
	for _, w := range want {
		if !produced[w] && !contains(supplied, w) {
			return nil, fmt.Errorf("compile: no stage writes column %q (the model writes: %s)", w, columnNames(m.OutputColumns()))
		}
	}
	required, fields, _ := m.inputSchema(want)
	p := &Program{model: m, inSlots: map[string]slot{}, slots: map[string]slot{}, want: want}
	alloc := func(c Column) slot {
		switch c.Type {
		case Double:
			p.nF++
			return slot{Double, p.nF - 1}
		case String:
			p.nS++
			return slot{String, p.nS - 1}
		default:
			p.vecs = append(p.vecs, c.Size)
			return slot{Vector, len(p.vecs) - 1}
		}
	}
	types := map[string]Column{}
	for _, f := range fields {
		types[f.Name] = f.Column
	}
	for _, name := range supplied {
		c, ok := types[name]
		if !ok {
			continue // a column no stage reads: ignored, as MLeap keeps it untouched
		}
		s := alloc(c)
		p.slots[name], p.inSlots[name] = s, s
	}
	var missing []string
	for i, st := range m.Stages {
		ready := true
		var absent []string
		for _, in := range st.Inputs {
			if _, ok := p.slots[in.Name]; !ok {
				ready = false
				absent = append(absent, in.Name)
			}
		}
		if !ready {
			if required[i] {
				missing = append(missing, absent...)
			}
			continue
		}
		in := make([]slot, len(st.Inputs))
		for k, c := range st.Inputs {
			in[k] = p.slots[c.Name]
		}
		out := make([]slot, len(st.Outputs))
		for k, c := range st.Outputs {
			if _, dup := p.slots[c.Name]; dup {
				return nil, fmt.Errorf("compile: stage %s writes column %q, which is already supplied", st.Name, c.Name)
			}
			out[k] = alloc(c)
			p.slots[c.Name] = out[k]
		}
		s, err := st.impl.step(in, out, &binder{p})
		if err != nil {
			return nil, fmt.Errorf("compile stage %s (%s): %w", st.Name, st.Op, err)
		}
		p.steps = append(p.steps, s)
		p.stages = append(p.stages, st)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("compile: missing input column(s) %s", strings.Join(dedupe(missing), ", "))
	}
	for _, f := range fields {
		if _, ok := p.inSlots[f.Name]; ok {
			p.inputs = append(p.inputs, f)
		}
	}
	return p, nil
}

// Inputs lists the columns the program reads, in input-schema order.
func (p *Program) Inputs() []InputField { return p.inputs }

// Stages lists the stages that run.
func (p *Program) Stages() []*Stage { return p.stages }

// Model returns the model the program was compiled from.
func (p *Program) Model() *Model { return p.model }

// NewRow allocates a Row for this program, with vector storage sized once.
func (p *Program) NewRow() *Row {
	r := &Row{f: make([]float64, p.nF), s: make([][]byte, p.nS), v: make([]Vec, len(p.vecs))}
	for _, n := range p.scratch {
		r.x = append(r.x, make([]float64, n))
	}
	for i, n := range p.vecs {
		r.v[i] = Vec{Size: n, Dense: true, Indices: make([]int32, 0, n), Values: make([]float64, n)}
	}
	return r
}

// Run scores the row whose inputs were set. It returns a *RecordError for a
// record the model cannot score, or ErrRowSkipped.
func (p *Program) Run(r *Row) error {
	for _, s := range p.steps {
		if err := s.run(r); err != nil {
			return err
		}
	}
	return nil
}

// Col is a handle on a column of a program's rows.
type Col struct {
	Name string
	s    slot
}

// Type is the column's type.
func (c Col) Type() Type { return c.s.typ }

// Column returns a handle for the named input or output column.
func (p *Program) Column(name string) (Col, error) {
	s, ok := p.slots[name]
	if !ok {
		return Col{}, fmt.Errorf("column %q is not computed by this program", name)
	}
	return Col{Name: name, s: s}, nil
}

// SetDouble sets a double input.
func (r *Row) SetDouble(c Col, v float64) { r.f[c.s.idx] = v }

// SetBytes sets a string input; the row keeps b until the next set.
func (r *Row) SetBytes(c Col, b []byte) { r.s[c.s.idx] = b }

// SetVector sets a vector input from dense values (copied).
func (r *Row) SetVector(c Col, vals []float64) error {
	v := &r.v[c.s.idx]
	if v.Size != 0 && len(vals) != v.Size {
		return &RecordError{Column: c.Name, Msg: fmt.Sprintf("vector has %d elements, want %d", len(vals), v.Size)}
	}
	v.Dense, v.Size = true, len(vals)
	v.Values = append(v.Values[:0], vals...)
	v.Indices = v.Indices[:0]
	return nil
}

// Double reads a double column.
func (r *Row) Double(c Col) float64 { return r.f[c.s.idx] }

// Bytes reads a string column without copying.
func (r *Row) Bytes(c Col) []byte { return r.s[c.s.idx] }

// Vector reads a vector column; the value is reused by the next Run.
func (r *Row) Vector(c Col) *Vec { return &r.v[c.s.idx] }

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func columnNames(cs []Column) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// binder hands steps per-row scratch buffers while a program compiles.
type binder struct{ p *Program }

// scratch reserves a buffer of n doubles in every Row and returns its index.
func (b *binder) scratch(n int) int {
	b.p.scratch = append(b.p.scratch, n)
	return len(b.p.scratch) - 1
}
