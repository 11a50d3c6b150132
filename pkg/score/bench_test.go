package score

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// repoPath resolves a path from the repository root.
func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// irisLines returns the data lines of testdata/iris/iris.csv (with the
// class column) and its header.
func irisLines(tb testing.TB) (header []byte, lines [][]byte) {
	tb.Helper()
	raw, err := os.ReadFile(repoPath("testdata", "iris", "iris.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	all := bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	return all[0], all[1:]
}

func benchAppendScored(b *testing.B, withHeader bool) {
	s, err := Open("")
	if err != nil {
		b.Fatal(err)
	}
	hdr, lines := irisLines(b)
	if withHeader {
		names, _ := ParseHeader(hdr)
		if err := s.SetHeader(names); err != nil {
			b.Fatal(err)
		}
	} else {
		for i, l := range lines {
			lines[i] = l[:bytes.LastIndexByte(l, ',')]
		}
	}
	var dst []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, err = s.AppendScored(dst[:0], lines[i%len(lines)])
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendScored: one iris row (four measurements) in, the seed's
// output format out, with the built-in bundle.
func BenchmarkAppendScored(b *testing.B) { benchAppendScored(b, false) }

// BenchmarkAppendScoredHeader: the same with a header and the class column
// (so the StringIndexer runs too, as in MLeap).
func BenchmarkAppendScoredHeader(b *testing.B) { benchAppendScored(b, true) }
