package score

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/irisctl/irisctl/pkg/mleap"
)

// jsonState is what a Scorer keeps for JSON-lines records: the input
// schema by name, a compiled layout per set of columns present, and
// buffers reused record after record.
type jsonState struct {
	schema  []mleap.InputField
	index   map[string]int // schema column → position
	layouts map[string]*layout
	key     []byte   // which schema columns are present, one byte each
	vals    [][]byte // per schema column: the raw value, nil when absent
	members []member // the record's members, in order
	vec     []float64
}

// member is one "key": value pair of a JSON object, as raw bytes.
type member struct {
	key []byte // the key's raw token, quotes included
	val []byte // the value's raw token
	col int    // the schema column it names, or -1
}

func (s *Scorer) jsonState() *jsonState {
	if s.js == nil {
		js := &jsonState{schema: s.InputSchema(), index: map[string]int{}, layouts: map[string]*layout{}}
		for i, f := range js.schema {
			js.index[f.Name] = i
		}
		js.key = make([]byte, len(js.schema))
		js.vals = make([][]byte, len(js.schema))
		s.js = js
	}
	return s.js
}

// ScoreJSON parses and scores one JSON-lines record: an object whose keys
// name input columns ("sepal_length_cm": 5.1). Numbers feed double
// columns, strings string columns, arrays of numbers vector columns; a
// null or absent key leaves an optional column out, and keys the model
// does not read are ignored. After a nil error, Result reads the outputs.
func (s *Scorer) ScoreJSON(line []byte) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return &RecordError{Msg: "empty record"}
	}
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v)
		if err == nil {
			err = errors.New("invalid")
		}
		return &RecordError{Msg: "malformed JSON: " + err.Error()}
	}
	if line[0] != '{' {
		return &RecordError{Msg: "want a JSON object, one per line"}
	}
	js := s.jsonState()
	if err := js.split(line); err != nil {
		return err
	}
	for i := range js.key {
		js.key[i], js.vals[i] = '0', nil
	}
	for k := range js.members {
		m := &js.members[k]
		m.col = -1
		name := m.key[1 : len(m.key)-1]
		var c int
		var ok bool
		if bytes.IndexByte(name, '\\') >= 0 {
			var str string
			if json.Unmarshal(m.key, &str) != nil {
				return &RecordError{Msg: fmt.Sprintf("bad key %s", m.key)}
			}
			c, ok = js.index[str]
		} else {
			c, ok = js.index[string(name)]
		}
		if !ok {
			continue
		}
		if js.vals[c] != nil {
			return &RecordError{Column: js.schema[c].Name, Msg: "given twice"}
		}
		m.col = c
		js.vals[c] = m.val
		if !isNull(m.val) {
			js.key[c] = '1'
		}
	}
	var missing []string
	for i, f := range js.schema {
		if f.Required && js.key[i] == '0' {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return &RecordError{Msg: fmt.Sprintf("missing required column(s) %s (the model reads %s)", strings.Join(missing, ", "), schemaNames(js.schema))}
	}
	l := js.layouts[string(js.key)]
	if l == nil {
		var names []string
		for i, f := range js.schema {
			if js.key[i] == '1' {
				names = append(names, f.Name)
			}
		}
		var err error
		if l, err = s.compile(names); err != nil {
			return err
		}
		js.layouts[string(js.key)] = l
	}
	s.cur = l
	vals := s.fbuf[:0]
	for _, f := range l.fields {
		raw := js.vals[js.index[f.name]]
		switch f.typ {
		case mleap.Double:
			if raw[0] == '"' || raw[0] == '[' || raw[0] == '{' || raw[0] == 't' || raw[0] == 'f' {
				return &RecordError{Column: f.name, Msg: fmt.Sprintf("%s is %s, want a number", clip(raw), jsonKind(raw))}
			}
			v, err := parseNumber(raw)
			if err != nil {
				return &RecordError{Column: f.name, Msg: err.Error()}
			}
			l.row.SetDouble(f.col, v)
		case mleap.String:
			if raw[0] != '"' {
				return &RecordError{Column: f.name, Msg: fmt.Sprintf("%s is %s, want a string", clip(raw), jsonKind(raw))}
			}
			str := raw[1 : len(raw)-1]
			if bytes.IndexByte(str, '\\') >= 0 {
				var dec string
				if err := json.Unmarshal(raw, &dec); err != nil {
					return &RecordError{Column: f.name, Msg: "bad string: " + err.Error()}
				}
				str = []byte(dec)
			}
			raw = str
			l.row.SetBytes(f.col, str)
		case mleap.Vector:
			if raw[0] != '[' {
				return &RecordError{Column: f.name, Msg: fmt.Sprintf("%s is %s, want an array of numbers", clip(raw), jsonKind(raw))}
			}
			var err error
			if js.vec, err = parseArray(js.vec[:0], raw); err != nil {
				return &RecordError{Column: f.name, Msg: err.Error()}
			}
			if err := l.row.SetVector(f.col, js.vec); err != nil {
				return &RecordError{Column: f.name, Msg: err.Error()}
			}
		}
		vals = append(vals, raw)
	}
	s.fbuf = vals
	s.vals = vals
	s.inJSON = true
	return s.run(l)
}

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

func jsonKind(v []byte) string {
	switch v[0] {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// clip shortens a raw value for a message.
func clip(v []byte) string {
	if len(v) > 40 {
		return string(v[:37]) + "..."
	}
	return string(v)
}

// parseArray reads a JSON array of numbers (already known to be valid JSON).
func parseArray(dst []float64, raw []byte) ([]float64, error) {
	in := bytes.TrimSpace(raw[1 : len(raw)-1])
	if len(in) == 0 {
		return dst, nil
	}
	for k := 1; ; k++ {
		var tok []byte
		i := bytes.IndexByte(in, ',')
		if i < 0 {
			tok, in = in, nil
		} else {
			tok, in = in[:i], in[i+1:]
		}
		tok = bytes.TrimSpace(tok)
		if len(tok) == 0 || tok[0] == '"' || tok[0] == '[' || tok[0] == '{' || tok[0] == 't' || tok[0] == 'f' || tok[0] == 'n' {
			return nil, fmt.Errorf("element %d is not a number", k)
		}
		v, err := parseNumber(tok)
		if err != nil {
			return nil, fmt.Errorf("element %d: %v", k, err)
		}
		dst = append(dst, v)
		if in == nil {
			return dst, nil
		}
	}
}

// split records the members of a JSON object known to be valid.
func (js *jsonState) split(obj []byte) error {
	js.members = js.members[:0]
	i := skipWS(obj, 1)
	if obj[i] == '}' {
		return nil
	}
	for {
		// key
		end := skipString(obj, i)
		key := obj[i:end]
		i = skipWS(obj, end)
		i = skipWS(obj, i+1) // ':'
		vend := skipValue(obj, i)
		js.members = append(js.members, member{key: key, val: obj[i:vend]})
		i = skipWS(obj, vend)
		if obj[i] == '}' {
			return nil
		}
		i = skipWS(obj, i+1) // ','
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
