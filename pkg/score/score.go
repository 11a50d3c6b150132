// Package score turns text records into scored records with a model: it
// parses CSV lines (positional or by header) against the model's input
// schema, runs the compiled pipeline and formats results, e.g. the seed's
// "5.1,3.5,1.4,0.2,Iris-setosa". It is shared by `irisctl score` and the
// stream; it knows nothing of Kafka or the CLI.
package score

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/irisctl/irisctl/bundles"
	"github.com/irisctl/irisctl/pkg/bundle"
	"github.com/irisctl/irisctl/pkg/mleap"
)

// RecordError says why one record could not be scored. The stream sends
// such records to its dead-letter topic; `irisctl score` reports them with
// their line number.
type RecordError struct {
	Field  int    // 1-based field number, 0 when the whole record is at fault
	Column string // the input column, when known
	Msg    string
	Err    error // the model's own error, if it raised one
}

func (e *RecordError) Error() string {
	switch {
	case e.Field > 0 && e.Column != "":
		return fmt.Sprintf("field %d (%s): %s", e.Field, e.Column, e.Msg)
	case e.Column != "":
		return fmt.Sprintf("column %s: %s", e.Column, e.Msg)
	}
	return e.Msg
}

func (e *RecordError) Unwrap() error { return e.Err }

// ErrSkipped is returned for a record the model filters out (a stage with
// handle_invalid=skip), as MLeap drops such rows.
var ErrSkipped = mleap.ErrRowSkipped

// LoadModel loads the bundle at path, or the built-in iris bundle when path is "".
func LoadModel(path string) (*mleap.Model, error) {
	if path == "" {
		b, err := bundle.OpenZipBytes(bundles.DefaultName, bundles.DefaultZip)
		if err != nil {
			return nil, err
		}
		return mleap.FromBundle(b)
	}
	return mleap.Load(path)
}

// Scorer scores records with one model. It is not safe for concurrent
// use: give each goroutine its own Clone.
type Scorer struct {
	model  *mleap.Model
	label  string   // the output reported in the seed format
	extra  []string // further outputs callers may read
	layout map[int]*layout
	byHdr  *layout
	cur    *layout

	last *layout  // the positional layout used last
	fbuf [][]byte // ScoreLine's fields, reused
	vals [][]byte // the fields of the last record scored, per s.cur.fields
	js   *jsonState
	// inJSON tells that the last record was a JSON object (vals are then
	// raw JSON tokens, strings decoded).
	inJSON  bool
	outputs []string // Outputs, once worked out
}

// layout is a compiled program for one way of laying out input fields.
type layout struct {
	prog   *mleap.Program
	row    *mleap.Row
	fields []field // per input field, in record order
	label  mleap.Col
	outs   map[string]mleap.Col
}

type field struct {
	col  mleap.Col
	name string
	typ  mleap.Type
	skip bool // a header column no stage reads
}

// Open loads a bundle (path "" = the built-in iris bundle) and makes a Scorer
// that reports the model's default output.
func Open(path string) (*Scorer, error) {
	m, err := LoadModel(path)
	if err != nil {
		return nil, err
	}
	return New(m, nil)
}

// New makes a Scorer for m. extra names output columns beyond the default
// one (e.g. probability) that callers will read through Result.
func New(m *mleap.Model, extra []string) (*Scorer, error) {
	s := &Scorer{model: m, label: m.DefaultOutput(), extra: extra, layout: map[int]*layout{}}
	if s.label == "" {
		return nil, errors.New("the model has no output column")
	}
	// Positional layouts: the required inputs, or all inputs.
	schema := m.InputSchema(s.want()...)
	var req, all []string
	for _, f := range schema {
		if f.Required {
			req = append(req, f.Name)
		}
		all = append(all, f.Name)
	}
	for _, names := range [][]string{req, all} {
		if _, done := s.layout[len(names)]; done {
			continue
		}
		l, err := s.compile(names)
		if err != nil {
			return nil, err
		}
		s.layout[len(names)] = l
	}
	return s, nil
}

func (s *Scorer) want() []string { return append([]string{s.label}, s.extra...) }

func (s *Scorer) compile(names []string) (*layout, error) {
	var supplied []string
	for _, n := range names {
		if n != "" {
			supplied = append(supplied, n)
		}
	}
	p, err := s.model.Compile(s.want(), supplied)
	if err != nil {
		return nil, err
	}
	l := &layout{prog: p, row: p.NewRow(), outs: map[string]mleap.Col{}}
	reads := map[string]bool{}
	for _, in := range p.Inputs() {
		reads[in.Name] = true
	}
	for _, n := range names {
		f := field{name: n, skip: !reads[n]}
		if !f.skip {
			if f.col, err = p.Column(n); err != nil {
				return nil, err
			}
			f.typ = f.col.Type()
		}
		l.fields = append(l.fields, f)
	}
	if l.label, err = p.Column(s.label); err != nil {
		return nil, err
	}
	for _, o := range s.want() {
		if l.outs[o], err = p.Column(o); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Clone returns a Scorer sharing the model and compiled programs, with its
// own rows, for use on another goroutine.
func (s *Scorer) Clone() *Scorer {
	c := &Scorer{model: s.model, label: s.label, extra: s.extra, layout: map[int]*layout{}}
	cl := func(l *layout) *layout {
		if l == nil {
			return nil
		}
		n := *l
		n.row = l.prog.NewRow()
		return &n
	}
	for k, l := range s.layout {
		c.layout[k] = cl(l)
	}
	c.byHdr = cl(s.byHdr)
	return c
}

// Model returns the scorer's model.
func (s *Scorer) Model() *mleap.Model { return s.model }

// ModelName and ModelUID identify the bundle (for stream headers).
func (s *Scorer) ModelName() string { return s.model.Name }
func (s *Scorer) ModelUID() string  { return s.model.UID }

// LabelColumn is the output reported in the seed format.
func (s *Scorer) LabelColumn() string { return s.label }

// InputSchema lists the input columns in positional order: required first.
func (s *Scorer) InputSchema() []mleap.InputField { return s.model.InputSchema(s.want()...) }

// SetHeader switches to by-name input: record fields follow the header's
// columns. Columns no stage reads are ignored; a missing required column is
// an error naming it.
func (s *Scorer) SetHeader(names []string) error {
	have := map[string]bool{}
	for i, n := range names {
		n = strings.TrimSpace(n)
		names[i] = n
		if have[n] {
			return fmt.Errorf("header names column %q twice", n)
		}
		have[n] = true
	}
	var missing []string
	for _, f := range s.InputSchema() {
		if f.Required && !have[f.Name] {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("header lacks required column(s) %s (the model reads %s)", strings.Join(missing, ", "), schemaNames(s.InputSchema()))
	}
	l, err := s.compile(names)
	if err != nil {
		return err
	}
	s.byHdr = l
	return nil
}

func schemaNames(fs []mleap.InputField) string {
	var out []string
	for _, f := range fs {
		n := f.Name
		if !f.Required {
			n += " (optional)"
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// maxFields bounds the fields of one record; a record far wider than any
// model's input is rejected before it is split.
const maxFields = 1 << 16

// ScoreLine parses and scores one CSV record (without its newline). After
// a nil error, Result reads the outputs.
func (s *Scorer) ScoreLine(line []byte) error {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	// One pass splits at commas; a quote anywhere hands the record to the
	// full CSV reader instead.
	fields := s.fbuf[:0]
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ',':
			if len(fields) >= maxFields {
				return &RecordError{Msg: fmt.Sprintf("more than %d fields", maxFields)}
			}
			fields = append(fields, line[start:i])
			start = i + 1
		case '"':
			return s.scoreQuoted(line)
		}
	}
	if len(fields) == 0 && len(bytes.TrimSpace(line)) == 0 {
		return &RecordError{Msg: "empty record"}
	}
	fields = append(fields, line[start:])
	s.fbuf = fields
	return s.ScoreFields(fields)
}

// scoreQuoted scores a record that has quoted fields.
func (s *Scorer) scoreQuoted(line []byte) error {
	r := csv.NewReader(bytes.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = false
	rec, err := r.Read()
	if err != nil {
		return &RecordError{Msg: "malformed CSV: " + err.Error()}
	}
	if len(rec) > maxFields+1 {
		return &RecordError{Msg: fmt.Sprintf("more than %d fields", maxFields)}
	}
	fields := s.fbuf[:0]
	for _, f := range rec {
		fields = append(fields, []byte(f))
	}
	s.fbuf = fields
	return s.ScoreFields(fields)
}

// ScoreFields scores a record already split into fields (positional, or in
// header order after SetHeader).
func (s *Scorer) ScoreFields(fields [][]byte) error {
	l := s.byHdr
	if l == nil {
		if l = s.last; l == nil || len(l.fields) != len(fields) {
			l = s.layout[len(fields)]
			if l != nil {
				s.last = l
			}
		}
	}
	if l == nil || len(fields) != len(l.fields) {
		return &RecordError{Msg: s.countMsg(len(fields))}
	}
	s.cur = l
	s.vals = fields
	s.inJSON = false
	for i, f := range l.fields {
		if f.skip {
			continue
		}
		raw := fields[i]
		switch f.typ {
		case mleap.Double:
			v, err := parseNumber(raw)
			if err != nil {
				return &RecordError{Field: i + 1, Column: f.name, Msg: err.Error()}
			}
			l.row.SetDouble(f.col, v)
		case mleap.String:
			l.row.SetBytes(f.col, raw)
		default:
			return &RecordError{Field: i + 1, Column: f.name, Msg: "vector inputs are not supported in CSV"}
		}
	}
	return s.run(l)
}

// run runs l's program on the values set in its row.
func (s *Scorer) run(l *layout) error {
	if err := l.prog.Run(l.row); err != nil {
		if errors.Is(err, mleap.ErrRowSkipped) {
			return err
		}
		var re *mleap.RecordError
		if errors.As(err, &re) {
			return &RecordError{Column: re.Column, Msg: re.Msg, Err: err}
		}
		return err
	}
	return nil
}

func (s *Scorer) countMsg(n int) string {
	if s.byHdr != nil {
		return fmt.Sprintf("%d fields, the header has %d", n, len(s.byHdr.fields))
	}
	schema := s.InputSchema()
	var req []string
	for _, f := range schema {
		if f.Required {
			req = append(req, f.Name)
		}
	}
	msg := fmt.Sprintf("%d fields, want %d (%s)", n, len(req), strings.Join(req, ","))
	if len(schema) > len(req) {
		msg += fmt.Sprintf(" or %d (%s)", len(schema), schemaNames(schema))
	}
	return msg
}

// parseNumber reads a decimal number as Java's Double.parseDouble would
// for ordinary input, refusing NaN and infinities, which Spark's
// VectorAssembler rejects.
func parseNumber(b []byte) (float64, error) {
	if v, ok := parseSimple(b); ok {
		return v, nil
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, errors.New("empty, want a number")
	}
	// The string shares b's memory only for the parse; errors copy it.
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is out of range", string(b))
		}
		return 0, fmt.Errorf("%q is not a number", string(b))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", string(b))
	}
	return v, nil
}

// AppendScored scores one CSV record and appends the seed's output format
// to dst: the record as given, a comma, the predicted label.
func (s *Scorer) AppendScored(dst, line []byte) ([]byte, error) {
	if err := s.ScoreLine(line); err != nil {
		return dst, err
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	dst = append(dst, line...)
	dst = append(dst, ',')
	return s.AppendLabel(dst), nil
}

// AppendLabel appends the last scored record's label output.
func (s *Scorer) AppendLabel(dst []byte) []byte {
	return appendValue(dst, s.cur.row, s.cur.label)
}

// Result reads an output column of the last scored record: a float64, a
// string or a []float64 (a new slice).
func (s *Scorer) Result(name string) (any, error) {
	c, ok := s.cur.outs[name]
	if !ok {
		return nil, fmt.Errorf("column %q was not requested", name)
	}
	r := s.cur.row
	switch c.Type() {
	case mleap.Double:
		return r.Double(c), nil
	case mleap.String:
		return string(r.Bytes(c)), nil
	default:
		return r.Vector(c).ToDense(), nil
	}
}

// appendValue formats a column's value for CSV output.
func appendValue(dst []byte, r *mleap.Row, c mleap.Col) []byte {
	switch c.Type() {
	case mleap.String:
		return append(dst, r.Bytes(c)...)
	case mleap.Double:
		return strconv.AppendFloat(dst, r.Double(c), 'g', -1, 64)
	default:
		v := r.Vector(c).ToDense()
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
		}
		return append(dst, ']')
	}
}
