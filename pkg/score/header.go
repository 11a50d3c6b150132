package score

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
)

// ParseHeader splits a CSV header line into trimmed column names.
func ParseHeader(line []byte) ([]string, error) {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
	r := csv.NewReader(bytes.NewReader(line))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("malformed CSV header: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

// IsHeader tells whether a CSV line is a header for this model: none of
// its fields is a number and at least one names an input column.
func (s *Scorer) IsHeader(line []byte) bool {
	names, err := ParseHeader(line)
	if err != nil {
		return false
	}
	known := map[string]bool{}
	for _, f := range s.InputSchema() {
		known[f.Name] = true
	}
	match := false
	for _, n := range names {
		if _, err := parseNumber([]byte(n)); err == nil {
			return false
		}
		match = match || known[n]
	}
	return match
}

// LooksLikeHeader tells whether a CSV line looks like a header of any
// model: it has fields, none of them empty or a number.
func LooksLikeHeader(line []byte) bool {
	names, err := ParseHeader(line)
	if err != nil || len(names) == 0 {
		return false
	}
	for _, n := range names {
		if n == "" {
			return false
		}
		if _, err := parseNumber([]byte(n)); err == nil {
			return false
		}
	}
	return true
}
