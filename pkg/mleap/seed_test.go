package mleap

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

// seedBundle is the article's own bundle, read in place from ../shared.
func seedBundle(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "reference", "seed-iris-bundle")
}

var seedVectors = []struct {
	x     [4]float64
	label string
}{
	{[4]float64{5.1, 3.5, 1.4, 0.2}, "Iris-setosa"},
	{[4]float64{6.2, 2.2, 4.5, 1.5}, "Iris-versicolor"},
	{[4]float64{6.1, 2.6, 5.6, 1.4}, "Iris-virginica"},
}

var irisFeatures = []string{"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"}

func TestSeedBundleThreeVectors(t *testing.T) {
	m, err := Load(seedBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Stages) != 4 {
		t.Fatalf("stages = %d, want 4", len(m.Stages))
	}
	if len(m.Orphans) != 4 {
		t.Errorf("orphans = %v, want the 4 unreferenced node folders", m.Orphans)
	}
	for _, withClass := range []bool{false, true} {
		supplied := append([]string(nil), irisFeatures...)
		if withClass {
			supplied = append(supplied, "class")
		}
		p, err := m.Compile([]string{"predictedLabel"}, supplied)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Stages()); withClass && got != 4 || !withClass && got != 3 {
			t.Errorf("withClass=%v: %d stages run", withClass, got)
		}
		row := p.NewRow()
		out, _ := p.Column("predictedLabel")
		for _, v := range seedVectors {
			for i, name := range irisFeatures {
				c, _ := p.Column(name)
				row.SetDouble(c, v.x[i])
			}
			if withClass {
				c, _ := p.Column("class")
				row.SetBytes(c, []byte(v.label))
			}
			if err := p.Run(row); err != nil {
				t.Fatal(err)
			}
			if got := string(row.Bytes(out)); got != v.label {
				t.Errorf("withClass=%v %v → %q, want %q", withClass, v.x, got, v.label)
			}
		}
		if withClass {
			c, _ := p.Column("class")
			row.SetBytes(c, []byte("Iris-unknown"))
			err := p.Run(row)
			var re *RecordError
			if !errors.As(err, &re) {
				t.Errorf("unseen label: err = %v, want a RecordError", err)
			}
		}
	}
}
