package mleap

import (
	"errors"
	"fmt"
	"strings"
)

// Type is the type of a column flowing between stages.
type Type uint8

const (
	Double Type = iota + 1 // a scalar double
	String                 // a scalar string
	Vector                 // a double tensor of one dimension, dense or sparse
)

func (t Type) String() string {
	switch t {
	case Double:
		return "double"
	case String:
		return "string"
	case Vector:
		return "vector"
	}
	return "unknown"
}

// Vec is a vector column value. Dense vectors use Values[0:Size]; sparse
// ones keep the active Indices (ascending) and their Values. The storage
// is reused row after row, so a scorer allocates nothing per row.
type Vec struct {
	Size    int
	Dense   bool
	Indices []int32
	Values  []float64
}

// At returns element i (0 for an inactive element of a sparse vector).
func (v *Vec) At(i int) float64 {
	if v.Dense {
		return v.Values[i]
	}
	lo, hi := 0, len(v.Indices)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(v.Indices[m]) < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(v.Indices) && int(v.Indices[lo]) == i {
		return v.Values[lo]
	}
	return 0
}

// ToDense returns the vector's elements as a new dense slice.
func (v *Vec) ToDense() []float64 {
	if v.Dense {
		return append([]float64(nil), v.Values[:v.Size]...)
	}
	out := make([]float64, v.Size)
	for k, i := range v.Indices {
		out[i] = v.Values[k]
	}
	return out
}

// slot locates a column's value in a Row.
type slot struct {
	typ Type
	idx int
}

// Row holds the values of every column of one record while it is scored.
// A Row belongs to one Program and one goroutine at a time.
type Row struct {
	f []float64
	s [][]byte
	v []Vec
	x [][]float64 // scratch space of steps
}

// RecordError is a problem with one record's values (an unseen label, an
// index out of range): the record cannot be scored, the model is fine.
type RecordError struct {
	Column string
	Stage  string
	Msg    string
}

func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	if e.Column != "" {
		fmt.Fprintf(&b, " (column %s", e.Column)
		if e.Stage != "" {
			fmt.Fprintf(&b, ", stage %s", e.Stage)
		}
		b.WriteString(")")
	}
	return b.String()
}

// ErrRowSkipped is returned for a record that a stage with
// handle_invalid="skip" filters out, as MLeap drops such rows.
var ErrRowSkipped = errors.New("row skipped by handle_invalid=skip")
