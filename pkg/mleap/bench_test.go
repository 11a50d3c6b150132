package mleap

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// irisRows reads the four measurements of the 150 iris rows, so benchmarks
// see realistic branch patterns rather than three repeated vectors.
func irisRows(b testing.TB) [][4]float64 {
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "iris", "iris.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var rows [][4]float64
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ",")
		var r [4]float64
		for i := range r {
			if r[i], err = strconv.ParseFloat(parts[i], 64); err != nil {
				b.Fatal(err)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// BenchmarkSeedPipeline scores one row of the seed pipeline, compiled for
// predictedLabel from the four measurements (StringIndexer pruned).
func BenchmarkSeedPipeline(b *testing.B) { benchSeed(b, true) }

// BenchmarkSeedPipelineTreeWalk is the same with the forest's table
// removed, so the trees are walked for every row.
func BenchmarkSeedPipelineTreeWalk(b *testing.B) { benchSeed(b, false) }

func benchSeed(b *testing.B, table bool) {
	m, err := Load(seedBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	if !table {
		for _, st := range m.Stages {
			if tc, ok := st.impl.(*treeClassifier); ok {
				tc.grid = nil
			}
		}
	}
	p, err := m.Compile([]string{"predictedLabel"}, irisFeatures)
	if err != nil {
		b.Fatal(err)
	}
	rows := irisRows(b)
	row := p.NewRow()
	cols := make([]Col, len(irisFeatures))
	for i, n := range irisFeatures {
		cols[i], _ = p.Column(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := &rows[i%len(rows)]
		for k, c := range cols {
			row.SetDouble(c, v[k])
		}
		if err := p.Run(row); err != nil {
			b.Fatal(err)
		}
	}
}
