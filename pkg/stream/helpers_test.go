package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIris is a stand-in for the real scorer in tests of the stream: it
// parses four numbers and labels them by petal length, which is enough to
// tell the three seed vectors apart.
var fakeIris = ProcessorFunc(func(dst, v []byte) ([]byte, error) {
	line := bytes.TrimRight(v, "\r\n")
	fs := strings.Split(string(line), ",")
	if len(fs) != 4 {
		return dst, fmt.Errorf("want 4 fields, got %d", len(fs))
	}
	var x [4]float64
	for i, f := range fs {
		n, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return dst, fmt.Errorf("field %d: %q is not a number", i+1, f)
		}
		x[i] = n
	}
	label := "Iris-virginica"
	switch {
	case x[2] < 2.5:
		label = "Iris-setosa"
	case x[2] < 4.9:
		label = "Iris-versicolor"
	}
	dst = append(dst, line...)
	dst = append(dst, ',')
	return append(dst, label...), nil
})

// testLogger logs to stderr when IRISCTL_TEST_LOG is set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("IRISCTL_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runStream runs a stream in the background; the returned stop cancels it
// and returns Run's error.
func runStream(t testing.TB, o Options) (stop func() error) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(o.ShutdownTimeout + 30*time.Second):
				runErr = errors.New("Run did not return")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
