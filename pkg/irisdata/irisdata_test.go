package irisdata

import (
	"strconv"
	"strings"
	"testing"
)

func TestRows(t *testing.T) {
	rows := Rows()
	if len(rows) != 150 {
		t.Fatalf("%d rows, want 150", len(rows))
	}
	if got := strings.SplitN(CSV, "\n", 2)[0]; got != strings.Join(Header, ",") {
		t.Errorf("header %q", got)
	}
	if rows[0].Features != "5.1,3.5,1.4,0.2" || rows[0].Class != "Iris-setosa" {
		t.Errorf("first row %+v", rows[0])
	}
	if rows[0].Line() != "5.1,3.5,1.4,0.2,Iris-setosa" {
		t.Errorf("line %q", rows[0].Line())
	}
	count := map[string]int{}
	for i, r := range rows {
		f := strings.Split(r.Features, ",")
		if len(f) != 4 {
			t.Fatalf("row %d: %d features", i+1, len(f))
		}
		for _, v := range f {
			if x, err := strconv.ParseFloat(v, 64); err != nil || x <= 0 || x >= 10 {
				t.Errorf("row %d: measurement %q", i+1, v)
			}
		}
		count[r.Class]++
	}
	for _, c := range Classes {
		if count[c] != 50 {
			t.Errorf("%s: %d rows, want 50", c, count[c])
		}
	}
	if len(count) != 3 {
		t.Errorf("classes %v", count)
	}
}
