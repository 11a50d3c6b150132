package score_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/root"
)

// BenchmarkScoreCommand runs `irisctl score` end to end (flags, bundle
// loading, header detection, batch scoring, writing) on 300,000 iris rows
// with their class column, into io.Discard.
func BenchmarkScoreCommand(b *testing.B) {
	iris := strings.Split(strings.TrimSpace(readFile(b, "testdata", "iris", "iris.csv")), "\n")
	var in bytes.Buffer
	in.WriteString(iris[0] + "\n")
	const rows = 300000
	for i := 0; i < rows; i++ {
		in.WriteString(iris[1+i%(len(iris)-1)])
		in.WriteByte('\n')
	}
	for _, p := range []string{"1", "2"} {
		b.Run("parallel="+p, func(b *testing.B) {
			b.SetBytes(int64(in.Len()))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ios := &iostreams.IOStreams{In: bytes.NewReader(in.Bytes()), Out: io.Discard, ErrOut: io.Discard}
				if code := root.Run(context.Background(), ios, []string{"score", "--parallel", p}); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
