package stream

// Tests against a real Kafka broker (IRISCTL_TEST_BROKERS, started by
// scripts/kafka.sh up). Without it they are skipped, or fail when CI is set.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	streaming "github.com/irisctl/irisctl/pkg/stream"
	st "github.com/irisctl/irisctl/pkg/stream/streamtest"
)

// irisctlBin is the irisctl binary built by TestMain for the crash tests.
var irisctlBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if os.Getenv("IRISCTL_TEST_BROKERS") != "" || os.Getenv("CI") != "" {
			dir, err := os.MkdirTemp("", "irisctl-stream-test")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			irisctlBin = filepath.Join(dir, "irisctl")
			build := exec.Command("go", "build", "-o", irisctlBin, "github.com/irisctl/irisctl/cmd/irisctl")
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building irisctl:", err)
				return 1
			}
		}
		return m.Run()
	}())
}

// scorerFunc is the built-in model as the verdict's processor.
func scorerFunc(t *testing.T) func(dst, v []byte) ([]byte, error) {
	t.Helper()
	m, err := LoadModel("")
	if err != nil {
		t.Fatal(err)
	}
	return m.Processor.Process
}

// runCommand runs `irisctl stream args...` in-process until the returned
// stop is called; stop returns the command's error.
func runCommand(t *testing.T, args ...string) (stop func() error, logs func() string) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	var mu sync.Mutex
	ios.ErrOut = lockedWriter{&mu, errOut}
	cmd := NewCmdStream(ios, nil)
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				err = errors.New("the stream did not stop within 60s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	logs = func() string {
		mu.Lock()
		defer mu.Unlock()
		return errOut.String()
	}
	return stop, logs
}

type lockedWriter struct {
	mu *sync.Mutex
	w  interface{ Write([]byte) (int, error) }
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func streamArgs(brokers []string, in, out, dlq, group string, extra ...string) []string {
	return append([]string{"--brokers", strings.Join(brokers, ","), "--input-topic", in, "--output-topic", out,
		"--dlq-topic", dlq, "--group", group, "--session-timeout", "3s", "--log-format", "json"}, extra...)
}

// TestHundredThousand: 100,000 records through one instance with the real
// model: exactly 100,000 outputs under read_committed, each the scorer's
// output for its input, in order.
func TestHundredThousand(t *testing.T) {
	brokers := st.Brokers(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 3, nil, in, out)
	st.CreateTopics(t, brokers, 1, nil, dlq)
	st.DeleteTopics(t, brokers, in, out, dlq)
	const n = 100_000
	ins := st.IrisInputs(n, 3, 0)
	st.Produce(t, brokers, in, ins)

	t0 := time.Now()
	stop, logs := runCommand(t, streamArgs(brokers, in, out, dlq, group)...)
	got := st.WaitCommitted(t, brokers, group, in, n, 120*time.Second)
	elapsed := time.Since(t0)
	if err := stop(); err != nil {
		t.Errorf("stream: %v\n%s", err, logs())
	}
	if got != n {
		t.Fatalf("committed %d input offsets, want %d\n%s", got, n, logs())
	}
	outs := st.ReadCommitted(t, brokers, out, n, 60*time.Second)
	res := st.Verify(ins, scorerFunc(t), outs, nil)
	t.Logf("%d records in %.1fs (%.0f records/s, including the group join): %d outputs, %s",
		n, elapsed.Seconds(), n/elapsed.Seconds(), len(outs), res)
	if len(outs) != n || res != (st.Check{}) {
		t.Fatalf("want exactly %d outputs, each the scorer's: got %d, %s", n, len(outs), res)
	}
}

// TestPoisonRecords: valid and invalid records mixed; outputs + dead
// letters = inputs, and every dead letter names its reason and source.
func TestPoisonRecords(t *testing.T) {
	brokers := st.Brokers(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 2, nil, in, out, dlq)
	st.DeleteTopics(t, brokers, in, out, dlq)
	type poison struct{ value, class, reason string }
	poisons := []poison{
		{"5.1,abc,1.4,0.2", streaming.ClassRejected, `"abc" is not a number`},
		{"5.1,3.5,1.4", streaming.ClassRejected, ""},
		{"", streaming.ClassRejected, ""},
		{"5.1,3.5,1.4,0.2,9,9,9", streaming.ClassRejected, ""},
		{"NaN,3.5,1.4,0.2", streaming.ClassRejected, "finite"},
		{"5.1;3.5;1.4;0.2", streaming.ClassRejected, ""},
		{strings.Repeat("1.0,", 600), streaming.ClassInputSize, "more than the limit of 1024"},
	}
	var ins []st.Input
	valid := 0
	for i := range 3000 {
		p := int32(i % 2)
		key := []byte(fmt.Sprintf("%d:%d", p, i/2))
		if i%10 == 9 {
			ins = append(ins, st.Input{Partition: p, Key: key, Value: []byte(poisons[(i/10)%len(poisons)].value)})
			continue
		}
		ins = append(ins, st.Input{Partition: p, Key: key, Value: []byte(st.Seeds[i%3][0])})
		valid++
	}
	st.Produce(t, brokers, in, ins)
	stop, logs := runCommand(t, streamArgs(brokers, in, out, dlq, group, "--max-record-bytes", "1024")...)
	if got := st.WaitCommitted(t, brokers, group, in, int64(len(ins)), 60*time.Second); got != int64(len(ins)) {
		t.Fatalf("committed %d of %d\n%s", got, len(ins), logs())
	}
	if err := stop(); err != nil {
		t.Errorf("stream: %v", err)
	}
	outs := st.ReadCommitted(t, brokers, out, valid, 30*time.Second)
	dlqs := st.ReadCommitted(t, brokers, dlq, len(ins)-valid, 30*time.Second)
	res := st.Verify(ins, scorerFunc(t), outs, dlqs)
	t.Logf("inputs=%d outputs=%d dead-lettered=%d: %s", len(ins), len(outs), len(dlqs), res)
	if len(outs)+len(dlqs) != len(ins) || res != (st.Check{DeadLettered: len(ins) - valid}) {
		t.Fatalf("outputs + dead letters != inputs: %s", res)
	}
	byValue := map[string]poison{}
	for _, p := range poisons {
		byValue[p.value] = p
	}
	for _, d := range dlqs {
		p := byValue[d.Value]
		h := d.Headers
		if h[streaming.HeaderErrorClass] != p.class || !strings.Contains(h[streaming.HeaderErrorReason], p.reason) ||
			h[streaming.HeaderSourceTopic] != in || h[streaming.HeaderSourcePartition] == "" || h[streaming.HeaderSourceOffset] == "" {
			t.Errorf("dead letter %q: headers %v, want class %s reason ~%q", d.Value, h, p.class, p.reason)
		}
	}
}

// repoRoot finds the directory holding scripts/kafka.sh above the test's.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "kafka.sh")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("scripts/kafka.sh not found above the test directory")
		}
		dir = parent
	}
}

// TestCrashExactlyOnce and TestCrashAtLeastOnce: three stream instances as
// processes, a six-partition input of 200,000 records produced while
// instances are killed with SIGKILL and restarted (at least ten times) and
// the broker is restarted once. Exactly-once: every input once, nothing
// extra, order kept per input partition. At-least-once: nothing lost,
// duplicates allowed (and counted).
func TestCrashExactlyOnce(t *testing.T) { crashTest(t, streaming.ExactlyOnce) }

func TestCrashAtLeastOnce(t *testing.T) { crashTest(t, streaming.AtLeastOnce) }

func crashTest(t *testing.T, g streaming.Guarantee) {
	if testing.Short() {
		t.Skip("the crash test takes about a minute; not with -short")
	}
	brokers := st.Brokers(t)
	if irisctlBin == "" {
		t.Fatal("irisctl was not built by TestMain")
	}
	const (
		n          = 200_000
		partitions = 6
		instances  = 3
		produceFor = 40 * time.Second
		minKills   = 10
	)
	restartBroker := os.Getenv("IRISCTL_TEST_NO_BROKER_RESTART") == ""
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, partitions, nil, in, out)
	st.CreateTopics(t, brokers, 1, nil, dlq)
	st.DeleteTopics(t, brokers, in, out, dlq)
	ins := st.IrisInputs(n, partitions, 1000)
	bad := n / 1000
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("guarantee %s, seed %d, topics %s → %s", g, seed, in, out)

	logDir := t.TempDir()
	procs := make([]*exec.Cmd, instances)
	exited := make([]chan struct{}, instances)
	starts := 0
	var lastStart time.Time
	start := func(i int) {
		starts++
		lastStart = time.Now()
		logf, err := os.Create(filepath.Join(logDir, fmt.Sprintf("instance-%d-%d.log", i, starts)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(irisctlBin, append([]string{"stream"},
			streamArgs(brokers, in, out, dlq, group, "--guarantee", string(g), "--shutdown-timeout", "20s")...)...)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
		procs[i], exited[i] = cmd, done
	}
	t.Cleanup(func() {
		for i, p := range procs {
			if p != nil {
				_ = p.Process.Kill()
				<-exited[i]
			}
		}
	})
	for i := range instances {
		start(i)
	}

	// produce while the chaos goes on
	prodErr := make(chan error, 1)
	go func() { prodErr <- producePaced(brokers, in, ins, produceFor) }()

	kills := 0
	brokerRestarted := false
	chaosEnd := time.Now().Add(produceFor)
	brokerAt := time.Now().Add(produceFor / 2)
	for time.Now().Before(chaosEnd) || kills < minKills {
		time.Sleep(time.Duration(2000+rng.IntN(1500)) * time.Millisecond)
		if restartBroker && !brokerRestarted && time.Now().After(brokerAt) {
			t0 := time.Now()
			cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "kafka.sh"), "restart")
			outb, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("scripts/kafka.sh restart: %v\n%s", err, outb)
			}
			brokerRestarted = true
			t.Logf("broker restarted in %.1fs", time.Since(t0).Seconds())
			continue
		}
		i := rng.IntN(instances)
		select {
		case <-exited[i]:
			t.Fatalf("instance %d exited by itself:\n%s", i, lastLog(logDir, i))
		default:
		}
		if err := procs[i].Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		<-exited[i]
		kills++
		time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond)
		start(i)
	}
	if err := <-prodErr; err != nil {
		t.Fatalf("producing the input: %v", err)
	}
	t.Logf("%d kills, broker restarted: %v; waiting for the group to catch up", kills, brokerRestarted)
	// an instance that exited by itself (it should not) is reported
	for i := range instances {
		select {
		case <-exited[i]:
			t.Errorf("instance %d exited by itself:\n%s", i, lastLog(logDir, i))
			start(i)
		default:
		}
	}
	got := st.WaitCommitted(t, brokers, group, in, n, 120*time.Second)
	// a just-restarted instance needs a moment before it handles SIGINT
	if wait := time.Until(lastStart.Add(2 * time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	for i, p := range procs { // graceful stop
		_ = p.Process.Signal(os.Interrupt)
		select {
		case <-exited[i]:
		case <-time.After(30 * time.Second):
			t.Errorf("instance %d did not stop on SIGINT", i)
		}
		if p.ProcessState != nil && !p.ProcessState.Success() {
			t.Errorf("instance %d exited with %v after SIGINT", i, p.ProcessState)
		}
	}
	if got < n {
		t.Fatalf("only %d of %d input offsets committed; logs in %s", got, n, logDir)
	}

	outs := st.ReadCommitted(t, brokers, out, n-bad, 60*time.Second)
	dlqs := st.ReadCommitted(t, brokers, dlq, bad, 30*time.Second)
	res := st.Verify(ins, scorerFunc(t), outs, dlqs)
	t.Logf("%s: inputs=%d outputs=%d dead-lettered=%d, kills=%d: %s", g, n, len(outs), len(dlqs), kills, res)
	if kills < minKills || (restartBroker && !brokerRestarted) {
		t.Errorf("only %d kills (broker restarted: %v)", kills, brokerRestarted)
	}
	switch g {
	case streaming.ExactlyOnce:
		if res != (st.Check{DeadLettered: bad}) || len(outs) != n-bad {
			t.Fatalf("not exactly once: %s (logs in %s)", res, logDir)
		}
		// what the crashes left behind in aborted transactions, visible
		// only to read_uncommitted readers
		raw := st.Read(t, brokers, out, sarama.ReadUncommitted, len(outs), 30*time.Second)
		t.Logf("read_uncommitted sees %d records (%d more: outputs of aborted transactions)", len(raw), len(raw)-len(outs))
	case streaming.AtLeastOnce:
		if res.Missing != 0 || res.Extra != 0 || res.WrongValue != 0 || res.WithoutReason != 0 {
			t.Fatalf("at-least-once lost or garbled records: %s (logs in %s)", res, logDir)
		}
		t.Logf("at-least-once: %d duplicates after %d kills (allowed)", res.Duplicates, kills)
	}
}

// producePaced writes the records over about d, with an idempotent producer
// that rides out a broker restart.
func producePaced(brokers []string, topic string, recs []st.Input, d time.Duration) error {
	c := st.Config()
	c.Producer.Retry.Max = 1000
	c.Producer.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Flush.Frequency = 2 * time.Millisecond
	c.Metadata.Retry.Max = 1000
	return st.Send(brokers, c, topic, recs, d)
}

// lastLog returns the tail of the newest log of instance i.
func lastLog(dir string, i int) string {
	files, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("instance-%d-*.log", i)))
	var newest string
	var newestMod time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(newestMod) {
			newest, newestMod = f, fi.ModTime()
		}
	}
	b, _ := os.ReadFile(newest)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
