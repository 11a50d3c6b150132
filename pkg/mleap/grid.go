package mleap

import (
	"math"
	"sort"
)

// grid tabulates a small tree classifier. A continuous split only asks
// whether x[f] <= t, so what a row sees of feature f is how many of the
// forest's thresholds on f it exceeds: its bucket. The buckets of all
// features fix every split, hence the leaves, the raw prediction, the
// probability and the prediction. For a forest with few distinct
// thresholds there are few bucket combinations (the iris forests have
// under 4,000), and each cell's answer is computed once, at load, by the
// same code a row would run, so the table holds the very same bits.
// NaN fails every x <= t, lands in the top bucket and goes right
// everywhere, as in the tree walk.
type grid struct {
	thr    [][]float64 // per feature: the distinct thresholds, ascending
	stride []int
	raw    []float64 // per cell: numClasses values
	prob   []float64
	pred   []float64
}

// maxGridCells bounds the table (its raw, prob and pred arrays).
const maxGridCells = 1 << 14

// buildGrid returns nil when the classifier does not fit a small table.
func buildGrid(tc *treeClassifier, numFeatures int) *grid {
	f := tc.f
	if len(f.cats) > 0 || numFeatures <= 0 || numFeatures > 64 {
		return nil
	}
	sets := make([]map[float64]bool, numFeatures)
	for _, n := range f.nodes {
		if n.feature >= 0 {
			if math.IsNaN(n.threshold) || math.IsInf(n.threshold, 0) {
				return nil // the representative rows below assume finite thresholds
			}
			if sets[n.feature] == nil {
				sets[n.feature] = map[float64]bool{}
			}
			sets[n.feature][n.threshold] = true
		}
	}
	g := &grid{thr: make([][]float64, numFeatures), stride: make([]int, numFeatures)}
	cells := 1
	for i := numFeatures - 1; i >= 0; i-- {
		for t := range sets[i] {
			g.thr[i] = append(g.thr[i], t)
		}
		sort.Float64s(g.thr[i])
		g.stride[i] = cells
		cells *= len(g.thr[i]) + 1
		if cells > maxGridCells {
			return nil
		}
	}
	k := tc.numClasses
	g.raw = make([]float64, cells*k)
	g.prob = make([]float64, cells*k)
	g.pred = make([]float64, cells)
	x := &Vec{Size: numFeatures, Dense: true, Values: make([]float64, numFeatures)}
	for c := 0; c < cells; c++ {
		// A representative row of the cell: bucket b of feature i is
		// the threshold just above it (x <= it), or +Inf past the last.
		for i := range x.Values {
			b := c / g.stride[i] % (len(g.thr[i]) + 1)
			if b < len(g.thr[i]) {
				x.Values[i] = g.thr[i][b]
			} else {
				x.Values[i] = math.Inf(1)
			}
		}
		raw := g.raw[c*k:][:k]
		tc.rawFor(x, raw)
		g.pred[c] = tc.predict(raw, g.prob[c*k:][:k])
	}
	return g
}

// cell finds the table cell of dense features vals.
func (g *grid) cell(vals []float64) int {
	c := 0
	for i, thr := range g.thr {
		x := vals[i]
		// Thresholds ascend: count those before the first with x <= t.
		// NaN fails every x <= t, so it counts them all (the top bucket).
		b := 0
		for _, t := range thr {
			if x <= t {
				break
			}
			b++
		}
		c += b * g.stride[i]
	}
	return c
}
