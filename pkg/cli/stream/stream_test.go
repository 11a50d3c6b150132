package stream

import (
	"strings"
	"testing"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	streaming "github.com/irisctl/irisctl/pkg/stream"
	st "github.com/irisctl/irisctl/pkg/stream/streamtest"
)

// TestSeedsThroughScorer drives the stream's processing step with the real
// scorer and the built-in bundle, without a broker (like Kafka Streams'
// TopologyTestDriver): the three seed vectors come out labelled as in the
// article, keys kept, model in the headers; a bad record becomes a dead
// letter naming its reason.
func TestSeedsThroughScorer(t *testing.T) {
	m, err := LoadModel("")
	if err != nil {
		t.Fatal(err)
	}
	d := streaming.NewTestDriver(streaming.Options{InputTopic: "iris-classifier-input",
		OutputTopic: "iris-classifier-output", DLQTopic: "iris-classifier-dlq", Model: m})
	for i, s := range st.Seeds {
		key := []byte{'k', byte('0' + i)}
		r := d.Pipe(key, []byte(s[0]))
		want := s[0] + "," + s[1]
		if r.DeadLetter || r.Topic != "iris-classifier-output" || string(r.Value) != want || string(r.Key) != string(key) {
			t.Errorf("%s → %s %q key %q dead=%v (%v), want %q", s[0], r.Topic, r.Value, r.Key, r.DeadLetter, r.Headers, want)
		}
		if r.Headers[streaming.HeaderModelName] != m.Name || r.Headers[streaming.HeaderModelUID] != m.UID || m.UID == "" {
			t.Errorf("model headers %v, want %s/%s", r.Headers, m.Name, m.UID)
		}
	}
	// a trailing newline (a line produced with its end) is tolerated
	if r := d.Pipe(nil, []byte("5.1,3.5,1.4,0.2\r\n")); string(r.Value) != "5.1,3.5,1.4,0.2,Iris-setosa" {
		t.Errorf("with CRLF: %q", r.Value)
	}
	for in, reason := range map[string]string{
		"5.1,abc,1.4,0.2": `field 2 (sepal_width_cm): "abc" is not a number`,
		"5.1,3.5,1.4":     "",
		"":                "",
	} {
		r := d.Pipe([]byte("bad"), []byte(in))
		if !r.DeadLetter || r.Topic != "iris-classifier-dlq" || string(r.Value) != in || r.Headers[streaming.HeaderErrorReason] == "" ||
			!strings.Contains(r.Headers[streaming.HeaderErrorReason], reason) || r.Headers[streaming.HeaderErrorClass] != streaming.ClassRejected {
			t.Errorf("%q → dead=%v %s %q headers %v", in, r.DeadLetter, r.Topic, r.Value, r.Headers)
		}
	}
}

// TestScorerClones: the adapter gives each worker its own Scorer.
func TestScorerClones(t *testing.T) {
	m, err := LoadModel("")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := m.Processor.(streaming.Cloner)
	if !ok {
		t.Fatal("the scorer adapter is not a Cloner")
	}
	a, b := c.Clone().(scorer), c.Clone().(scorer)
	if a.s == b.s || a.s == m.Processor.(scorer).s {
		t.Error("clones share a Scorer")
	}
}

func TestFlags(t *testing.T) {
	run := func(args ...string) (*Options, error) {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdStream(ios, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		return got, cmd.Execute()
	}
	o, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if o.InputTopic != "iris-classifier-input" || o.OutputTopic != "iris-classifier-output" || o.DLQTopic != "iris-classifier-dlq" ||
		o.Group != "iris-classifier" || o.guarantee != streaming.ExactlyOnce || o.CommitInterval.String() != "100ms" {
		t.Errorf("defaults: %+v", o)
	}
	o, err = run("--guarantee", "at-least-once", "--commit-records", "10", "--pass-through")
	if err != nil || o.guarantee != streaming.AtLeastOnce || o.CommitRecords != 10 || !o.PassThrough {
		t.Errorf("flags: %+v %v", o, err)
	}
	for _, args := range [][]string{
		{"--guarantee", "at-most-once"},
		{"--input-topic", "x", "--output-topic", "x"},
		{"--pass-through", "--bundle", "m.zip"},
		{"--commit-interval", "0s"},
		{"--commit-records", "0"},
		{"--session-timeout", "100ms"},
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--brokers", "nohostport"},
		{"extra-arg"},
	} {
		if _, err := run(args...); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d (%v), want a usage error", args, cmdutil.ExitCode(err), err)
		}
	}
}

func TestHelp(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdStream(ios, nil)
	cmd.SetArgs([]string{"--help"})
	cmd.SetOut(out)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Exactly once", "--guarantee", "--dlq-topic", "--commit-interval", "--metrics-addr",
		"--pass-through", "--bundle", "--brokers", "Examples:", "irisctl stream --brokers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestJSONRecords: with --format json a JSON measurement object comes out
// as the same object plus the predicted label; a bad one is a dead letter.
func TestJSONRecords(t *testing.T) {
	m, err := LoadModelFormat("", "json")
	if err != nil {
		t.Fatal(err)
	}
	d := streaming.NewTestDriver(streaming.Options{InputTopic: "in", OutputTopic: "out", DLQTopic: "dlq", Model: m})
	for _, s := range st.Seeds {
		f := strings.Split(s[0], ",")
		in := `{"sepal_length_cm":` + f[0] + `,"sepal_width_cm":` + f[1] + `,"petal_length_cm":` + f[2] + `,"petal_width_cm":` + f[3] + `}`
		r := d.Pipe(nil, []byte(in))
		want := strings.TrimSuffix(in, "}") + `,"predictedLabel":"` + s[1] + `"}`
		if r.DeadLetter || string(r.Value) != want {
			t.Errorf("%s → %q (dead=%v %v), want %q", in, r.Value, r.DeadLetter, r.Headers, want)
		}
	}
	r := d.Pipe(nil, []byte(`{"sepal_length_cm":"x"}`))
	if !r.DeadLetter || r.Headers[streaming.HeaderErrorReason] == "" {
		t.Errorf("bad JSON record → dead=%v %v", r.DeadLetter, r.Headers)
	}
	if _, err := LoadModelFormat("", "xml"); err == nil {
		t.Error("format xml accepted")
	}
}
