package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/irisdata"
)

// TestDemoRunsWithNoBroker runs `irisctl demo` as a user without Kafka
// would: everything in-process, every iris row scored exactly once.
func TestDemoRunsWithNoBroker(t *testing.T) {
	for _, format := range []string{"table", "csv"} {
		ios, _, out, errOut := iostreams.Test()
		cmd := NewCmdDemo(ios, nil)
		cmd.SetArgs([]string{"--output", format, "--timeout", "90s"})
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("%s: %v\nstderr:\n%s", format, err, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1+len(irisdata.Rows()) {
			t.Fatalf("%s: %d lines on stdout, want header + %d", format, len(lines), len(irisdata.Rows()))
		}
		if !strings.Contains(lines[1], "5.1,3.5,1.4,0.2") || !strings.Contains(lines[1], "Iris-setosa") {
			t.Errorf("%s: first row %q", format, lines[1])
		}
		if !strings.Contains(errOut.String(), "150 scored exactly once") {
			t.Errorf("%s: stderr lacks the summary:\n%s", format, errOut)
		}
		if strings.Contains(out.String(), "demo:") {
			t.Errorf("%s: progress messages leaked to stdout", format)
		}
	}
}

func TestDemoUsage(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdDemo(ios, func(*Options) error { return nil })
	cmd.SetArgs([]string{"--output", "xml"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Errorf("err = %v", err)
	}
}
