package mleap

import (
	"math"
	"math/rand"
	"testing"
)

// TestGridMatchesTreeWalk scores many rows both ways, through the table
// and by walking the trees, and wants the same bits: random values, values
// exactly at thresholds, just beside them, NaN and infinities.
func TestGridMatchesTreeWalk(t *testing.T) {
	for _, path := range []string{seedBundle(t), repoPath("bundles", "iris-rf"), repoPath("bundles", "iris-rf-pb")} {
		m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		var tc *treeClassifier
		for _, st := range m.Stages {
			if c, ok := st.impl.(*treeClassifier); ok {
				tc = c
			}
		}
		if tc == nil || tc.grid == nil {
			t.Fatalf("%s: no tabulated classifier", path)
		}
		var special []float64
		for _, thr := range tc.grid.thr {
			for _, v := range thr {
				special = append(special, v, math.Nextafter(v, math.Inf(1)), math.Nextafter(v, math.Inf(-1)))
			}
		}
		special = append(special, math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.0)
		rng := rand.New(rand.NewSource(1))
		k := tc.numClasses
		x := &Vec{Size: 4, Dense: true, Values: make([]float64, 4)}
		raw, prob := make([]float64, k), make([]float64, k)
		for i := 0; i < 200000; i++ {
			for j := range x.Values {
				if rng.Intn(3) == 0 {
					x.Values[j] = special[rng.Intn(len(special))]
				} else {
					x.Values[j] = rng.Float64() * 8
				}
			}
			tc.rawFor(x, raw)
			pred := tc.predict(raw, prob)
			c := tc.grid.cell(x.Values)
			gotRaw, gotProb := tc.grid.raw[c*k:][:k], tc.grid.prob[c*k:][:k]
			for j := 0; j < k; j++ {
				if !sameBits(raw[j], gotRaw[j]) || !sameBits(prob[j], gotProb[j]) {
					t.Fatalf("%s %v: grid raw %v prob %v, walk raw %v prob %v", path, x.Values, gotRaw, gotProb, raw, prob)
				}
			}
			if !sameBits(pred, tc.grid.pred[c]) {
				t.Fatalf("%s %v: grid predicts %v, walk %v", path, x.Values, tc.grid.pred[c], pred)
			}
		}
	}
}
