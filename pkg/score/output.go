package score

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/irisctl/irisctl/pkg/mleap"
)

// InputFormat is how records arrive.
type InputFormat int

const (
	// InputCSV is one comma-separated record per line, positional (in
	// InputSchema order) or by the columns of a header (SetHeader).
	InputCSV InputFormat = iota
	// InputJSONL is one JSON object per line, keyed by column name.
	InputJSONL
)

// OutputFormat is how scored records are written.
type OutputFormat int

const (
	// OutputCSV is the seed's format: a CSV record as it was given, then
	// the outputs (the label first), comma-separated. A JSON record
	// becomes the input schema's columns, then the outputs.
	OutputCSV OutputFormat = iota
	// OutputJSON is one JSON object per record: the input's columns, then
	// the outputs (vectors as arrays).
	OutputJSON
	// OutputCells is for tables: the same columns as OutputCSV with a
	// header, as plain text cells separated by CellSep, one row per line.
	OutputCells
)

// CellSep separates the cells of OutputCells (no cell contains it, nor a
// newline: both become spaces).
const CellSep = '\x1f'

// Outputs lists the columns a scored record reports: the label column,
// then the extra outputs given to New.
func (s *Scorer) Outputs() []string {
	if s.outputs == nil {
		s.outputs = []string{s.label}
		for _, e := range s.extra {
			if e != s.label && !contains(s.outputs, e) {
				s.outputs = append(s.outputs, e)
			}
		}
	}
	return s.outputs
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// appendOutputs writes the output columns of the last record, label
// first, each after sep.
func (s *Scorer) appendOutputs(dst []byte, sep byte, val func([]byte, *mleap.Row, mleap.Col) []byte) []byte {
	l := s.cur
	dst = append(dst, sep)
	dst = val(dst, l.row, l.label)
	for _, o := range s.Outputs()[1:] {
		dst = append(dst, sep)
		dst = val(dst, l.row, l.outs[o])
	}
	return dst
}

// AppendCSV appends the last scored record in OutputCSV form, without a
// newline; rec is the record as it was given to ScoreLine or ScoreJSON.
func (s *Scorer) AppendCSV(dst, rec []byte) []byte {
	if s.inJSON {
		dst = s.appendSchemaCells(dst, ',', appendCSVField)
	} else {
		if n := len(rec); n > 0 && rec[n-1] == '\r' {
			rec = rec[:n-1]
		}
		dst = append(dst, rec...)
	}
	return s.appendOutputs(dst, ',', appendCSVValue)
}

// AppendCells appends the last scored record in OutputCells form, without
// a newline.
func (s *Scorer) AppendCells(dst, rec []byte) []byte {
	switch {
	case s.inJSON:
		dst = s.appendSchemaCells(dst, CellSep, appendCell)
	default:
		n := len(s.vals)
		if s.byHdr == nil {
			n = len(s.jsonState().schema) // positional: pad to the whole schema
		}
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, CellSep)
			}
			if i < len(s.vals) {
				dst = appendCell(dst, bytes.TrimSpace(s.vals[i]))
			}
		}
	}
	return s.appendOutputs(dst, CellSep, appendValueCell)
}

// appendSchemaCells writes the input schema's columns of a JSON record:
// the value given (strings decoded) or nothing.
func (s *Scorer) appendSchemaCells(dst []byte, sep byte, cell func([]byte, []byte) []byte) []byte {
	js := s.jsonState()
	for i, f := range js.schema {
		if i > 0 {
			dst = append(dst, sep)
		}
		for k, lf := range s.cur.fields {
			if lf.name == f.Name {
				dst = cell(dst, s.vals[k])
				break
			}
		}
	}
	return dst
}

// AppendJSON appends the last scored record in OutputJSON form, without a
// newline: a JSON record keeps its members (except those an output
// replaces), a CSV record's fields are keyed by column name.
func (s *Scorer) AppendJSON(dst, rec []byte) []byte {
	outs := s.Outputs()
	dst = append(dst, '{')
	n := 0
	if s.inJSON {
	members:
		for _, m := range s.js.members {
			for _, o := range outs {
				if string(m.key[1:len(m.key)-1]) == o {
					continue members
				}
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, m.key...)
			dst = append(dst, ':')
			dst = append(dst, m.val...)
		}
	} else {
		l := s.cur
	fields:
		for i, f := range l.fields {
			for _, o := range outs {
				if f.name == o {
					continue fields
				}
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendJSONString(dst, f.name)
			dst = append(dst, ':')
			if !f.skip && f.typ == mleap.Double {
				dst = appendJSONFloat(dst, l.row.Double(f.col))
			} else {
				dst = appendJSONString(dst, s.vals[i])
			}
		}
	}
	l := s.cur
	for i, o := range outs {
		if n > 0 || i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, o)
		dst = append(dst, ':')
		c := l.label
		if i > 0 {
			c = l.outs[o]
		}
		dst = appendJSONValue(dst, l.row, c)
	}
	return append(dst, '}')
}

// OutputHeader returns the header line (with its newline) that goes before
// the records of a run, or nil when there is none. inHeader is the CSV
// input's header line as read (nil when the input has none).
func (s *Scorer) OutputHeader(in InputFormat, out OutputFormat, inHeader []byte) []byte {
	var names []string
	switch {
	case out == OutputJSON:
		return nil
	case in == InputCSV && inHeader != nil && out == OutputCSV:
		h := bytes.TrimSuffix(bytes.TrimSuffix(inHeader, []byte{'\n'}), []byte{'\r'})
		dst := append([]byte(nil), h...)
		for _, o := range s.Outputs() {
			dst = append(dst, ',')
			dst = appendCSVField(dst, []byte(o))
		}
		return append(dst, '\n')
	case in == InputCSV && out == OutputCSV:
		return nil // the seed's format has no header
	case in == InputCSV && inHeader != nil:
		for _, f := range s.byHdr.fields {
			names = append(names, f.name)
		}
	default:
		for _, f := range s.jsonState().schema {
			names = append(names, f.Name)
		}
	}
	names = append(names, s.Outputs()...)
	var dst []byte
	for i, n := range names {
		if i > 0 {
			if out == OutputCells {
				dst = append(dst, CellSep)
			} else {
				dst = append(dst, ',')
			}
		}
		if out == OutputCells {
			dst = appendCell(dst, []byte(n))
		} else {
			dst = appendCSVField(dst, []byte(n))
		}
	}
	return append(dst, '\n')
}

// appendCSVField writes b as one CSV field, quoted when it must be.
func appendCSVField(dst, b []byte) []byte {
	plain := len(b) == 0 || (b[0] != ' ' && b[0] != '\t')
	for _, c := range b {
		if c == ',' || c == '"' || c == '\r' || c == '\n' {
			plain = false
			break
		}
	}
	if plain {
		return append(dst, b...)
	}
	dst = append(dst, '"')
	for _, c := range b {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func appendCSVValue(dst []byte, r *mleap.Row, c mleap.Col) []byte {
	if c.Type() == mleap.String {
		return appendCSVField(dst, r.Bytes(c))
	}
	return appendValue(dst, r, c)
}

// appendCell writes b as a table cell: newlines and CellSep become spaces.
func appendCell(dst, b []byte) []byte {
	for _, c := range b {
		if c == '\n' || c == '\r' || c == CellSep {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

func appendValueCell(dst []byte, r *mleap.Row, c mleap.Col) []byte {
	if c.Type() == mleap.String {
		return appendCell(dst, r.Bytes(c))
	}
	return appendValue(dst, r, c)
}

func appendJSONValue(dst []byte, r *mleap.Row, c mleap.Col) []byte {
	switch c.Type() {
	case mleap.String:
		return appendJSONString(dst, r.Bytes(c))
	case mleap.Double:
		return appendJSONFloat(dst, r.Double(c))
	}
	v := r.Vector(c)
	dst = append(dst, '[')
	for i := 0; i < v.Size; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONFloat(dst, v.At(i))
	}
	return append(dst, ']')
}

// appendJSONFloat writes the shortest decimal that reads back as x
// exactly; NaN and the infinities, which JSON has no numbers for, are
// written as strings (as the MLeap oracle does).
func appendJSONFloat(dst []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return append(dst, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(x, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, x, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes b as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString[T string | []byte](dst []byte, b T) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune([]byte(b[i:min(i+utf8.UTFMax, len(b))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
