package consume_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/irisctl/irisctl/pkg/cli/consume"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/root"
	"github.com/irisctl/irisctl/pkg/irisdata"
	"github.com/irisctl/irisctl/pkg/kafka/connect"
	"github.com/irisctl/irisctl/pkg/kafka/connect/connecttest"
)

type result struct {
	code        int
	out, errOut string
}

// run runs irisctl in-process with stdin and a time limit.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return runCtx(ctx, stdin, args...)
}

func runCtx(ctx context.Context, stdin string, args ...string) result {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := root.Run(ctx, ios, args)
	return result{code, out.String(), errOut.String()}
}

func must(t *testing.T, r result, what string) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.code, r.out, r.errOut)
	}
	return r
}

func createTopic(t *testing.T, b connecttest.Broker, topic string, partitions int) {
	t.Helper()
	must(t, run(t, "", append([]string{"topics", "create", topic, "--partitions", strconv.Itoa(partitions)}, b.Args()...)...), "topics create")
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

var producedRE = regexp.MustCompile(`produced (\d+) records to (\S+) in ([0-9.]+)s \((\d+) records/s\)`)

// produced parses the summary line of irisctl produce.
func produced(t *testing.T, stderr string) (n int, secs float64, perSec int) {
	t.Helper()
	m := producedRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in stderr %q", stderr)
	}
	n, _ = strconv.Atoi(m[1])
	secs, _ = strconv.ParseFloat(m[3], 64)
	perSec, _ = strconv.Atoi(m[4])
	return
}

func decode(t *testing.T, out string) []consume.Message {
	t.Helper()
	var ms []consume.Message
	for _, l := range lines(out) {
		var m consume.Message
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		ms = append(ms, m)
	}
	return ms
}

// roundTrip produces the built-in data keyed by row and reads it back.
func roundTrip(t *testing.T, b connecttest.Broker) {
	topic := connecttest.Topic(t, "rt")
	createTopic(t, b, topic, 3)
	r := must(t, run(t, "", append([]string{"produce", "--topic", topic, "--key", "row"}, b.Args()...)...), "produce")
	if n, _, _ := produced(t, r.errOut); n != 150 {
		t.Fatalf("produced %d, want 150", n)
	}
	if r.out != "" {
		t.Errorf("produce wrote to stdout: %q", r.out)
	}
	r = must(t, run(t, "", append([]string{"consume", "--topic", topic, "--from-beginning", "-e", "-o", "json"}, b.Args()...)...), "consume")
	ms := decode(t, r.out)
	if len(ms) != 150 {
		t.Fatalf("consumed %d records, want 150; stderr %q", len(ms), r.errOut)
	}
	want := map[string]int{}
	for _, row := range irisdata.Rows() {
		want[row.Features]++
	}
	keys := map[string]bool{}
	parts := map[int32]bool{}
	for _, m := range ms {
		if m.Topic != topic || m.Key == nil || m.Value == nil || m.Timestamp == "" {
			t.Fatalf("record %+v", m)
		}
		if keys[*m.Key] {
			t.Errorf("key %s twice", *m.Key)
		}
		keys[*m.Key] = true
		parts[m.Partition] = true
		want[*m.Value]--
	}
	for v, n := range want {
		if n != 0 {
			t.Errorf("value %s: %d too few", v, n)
		}
	}
	for i := 1; i <= 150; i++ {
		if !keys[strconv.Itoa(i)] {
			t.Errorf("key %d missing", i)
		}
	}
	if len(parts) != 3 {
		t.Errorf("records on %d partitions, want 3", len(parts))
	}
	if !strings.Contains(r.errOut, "consumed 150 records") {
		t.Errorf("consume stderr %q", r.errOut)
	}
}

func TestRoundTripKfake(t *testing.T) {
	_, b := connecttest.Fake(t)
	roundTrip(t, b)
}

func TestRoundTripRealBroker(t *testing.T) { roundTrip(t, connecttest.Real(t)) }

func TestRoundTripSecureBroker(t *testing.T) { roundTrip(t, connecttest.Secure(t)) }

func TestProduceStdinLoopCountKeyColumn(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "in")
	createTopic(t, b, topic, 2)

	// stdin: lines as values, blank lines skipped, CRLF tolerated.
	r := must(t, run(t, "a,1\r\n\nb,2\nc,3\n", append([]string{"produce", "-t", topic, "-f", "-", "--key", "column:2"}, b.Args()...)...), "produce stdin")
	if n, _, _ := produced(t, r.errOut); n != 3 {
		t.Fatalf("produced %d, want 3", n)
	}
	// a file, looped up to a count.
	f := t.TempDir() + "/in.csv"
	os.WriteFile(f, []byte("x,9\ny,8\n"), 0o600)
	r = must(t, run(t, "", append([]string{"produce", "-t", topic, "-f", f, "--loop", "--count", "7", "--key", "column:1"}, b.Args()...)...), "produce file")
	if n, _, _ := produced(t, r.errOut); n != 7 {
		t.Fatalf("produced %d, want 7", n)
	}
	ms := decode(t, must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e", "-o", "json"}, b.Args()...)...), "consume").out)
	if len(ms) != 10 {
		t.Fatalf("consumed %d, want 10", len(ms))
	}
	got := map[string]int{}
	for _, m := range ms {
		k := *m.Key
		v := *m.Value
		got[v]++
		if !(strings.HasSuffix(v, ","+k) || strings.HasPrefix(v, k+",")) {
			t.Errorf("key %q for value %q", k, v)
		}
	}
	if fmt.Sprint(got) != "map[a,1:1 b,2:1 c,3:1 x,9:4 y,8:3]" {
		t.Errorf("values %v", got)
	}

	// -n stops early; raw output is the value.
	r = must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-n", "4"}, b.Args()...)...), "consume -n")
	if len(lines(r.out)) != 4 {
		t.Errorf("-n 4 gave %q", r.out)
	}
}

func TestProduceRate(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "rate")
	createTopic(t, b, topic, 1)
	start := time.Now()
	r := must(t, run(t, "", append([]string{"produce", "-t", topic, "--rate", "40", "--count", "20"}, b.Args()...)...), "produce")
	took := time.Since(start)
	if n, _, _ := produced(t, r.errOut); n != 20 {
		t.Fatalf("produced %d", n)
	}
	// 20 records at 40/s: the last is due after 19/40 s.
	if took < 450*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %s, want about 0.5s", took)
	}
}

func TestProduceInterruptPrintsSummary(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "int")
	createTopic(t, b, topic, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	r := runCtx(ctx, "", append([]string{"produce", "-t", topic, "--loop", "--rate", "100"}, b.Args()...)...)
	if r.code != 0 || !strings.Contains(r.errOut, "interrupted") {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
	n, _, _ := produced(t, r.errOut)
	if n < 20 || n > 100 {
		t.Errorf("produced %d in 0.7s at 100/s", n)
	}
	ms := lines(must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e"}, b.Args()...)...), "consume").out)
	if len(ms) != n {
		t.Errorf("summary says %d, topic has %d", n, len(ms))
	}
}

func TestProduceErrors(t *testing.T) {
	_, b := connecttest.Fake(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--key", "bogus"}, 2, "--key"},
		{[]string{"--key", "column:0"}, 2, "column"},
		{[]string{"--loop", "-f", "-"}, 2, "stdin"},
		{[]string{"--rate", "-1"}, 2, "--rate"},
		{[]string{"-f", "/nonexistent/file"}, 1, "/nonexistent/file"},
		{[]string{"-t", "no-such-topic"}, 1, "irisctl topics create no-such-topic"},
		{[]string{"-t", "no-such-topic", "--brokers", "127.0.0.1:1", "--connect-timeout", "500ms"}, 1, "cannot reach Kafka at 127.0.0.1:1 after 500ms"},
	} {
		args := append([]string{"produce"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--brokers") {
			args = append(args, b.Args()...)
		}
		r := run(t, "", args...)
		if r.code != tc.code || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, r.code, r.errOut, tc.code, tc.want)
		}
	}
	topic := connecttest.Topic(t, "col")
	createTopic(t, b, topic, 1)
	r := run(t, "", append([]string{"produce", "-t", topic, "--key", "column:5"}, b.Args()...)...)
	if r.code != 1 || !strings.Contains(r.errOut, "built-in iris data, row 1: no column 5") {
		t.Errorf("column:5: exit %d, stderr %q", r.code, r.errOut)
	}
}

func TestConsumeUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--isolation", "serializable"}, {"-o", "yaml"}, {"-n", "-1"}, {"extra"}} {
		r := run(t, "", append([]string{"consume"}, args...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.errOut)
		}
	}
}

func TestConsumeExitAtEndOfEmptyTopic(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "empty")
	createTopic(t, b, topic, 2)
	start := time.Now()
	r := must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e"}, b.Args()...)...), "consume")
	if r.out != "" || time.Since(start) > 5*time.Second {
		t.Errorf("out %q after %s", r.out, time.Since(start))
	}
}

// transactional writes batches in transactions: commit, abort, commit.
func transactional(t *testing.T, b connecttest.Broker, topic string, batches []int, commit []bool) {
	t.Helper()
	o := connect.Options{Brokers: strings.Split(b.Brokers, ","), TLSCA: b.TLSCA, SASLMechanism: b.SASLMechanism, SASLUser: b.SASLUser, SASLPasswordFile: b.SASLPasswordFile}
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Return.Successes = true
	cfg.Producer.Transaction.ID = topic + "-txn"
	cfg.Producer.Transaction.Retry.Backoff = 20 * time.Millisecond
	p, err := sarama.NewSyncProducer(o.Brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n := 0
	for i, size := range batches {
		if err := p.BeginTxn(); err != nil {
			t.Fatal(err)
		}
		for range size {
			n++
			tag := "committed"
			if !commit[i] {
				tag = "aborted"
			}
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", tag, n)),
				Headers: []sarama.RecordHeader{{Key: []byte("txn"), Value: []byte(strconv.Itoa(i))}}}); err != nil {
				t.Fatal(err)
			}
		}
		if commit[i] {
			err = p.CommitTxn()
		} else {
			err = p.AbortTxn()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkIsolation: -e ends even though the log ends with markers, and
// read_committed hides the aborted records.
func checkIsolation(t *testing.T, b connecttest.Broker) {
	topic := connecttest.Topic(t, "txn")
	createTopic(t, b, topic, 2)
	transactional(t, b, topic, []int{5, 3, 2, 4}, []bool{true, false, true, false})

	start := time.Now()
	r := must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e"}, b.Args()...)...), "read_committed")
	got := lines(r.out)
	sort.Strings(got)
	if len(got) != 7 || strings.Contains(r.out, "aborted") {
		t.Errorf("read_committed: %d records %v, want the 7 committed ones", len(got), got)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("read_committed -e took %s", took)
	}
	ms := decode(t, must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e", "-o", "json", "--isolation", "read_uncommitted"}, b.Args()...)...), "read_uncommitted").out)
	if len(ms) != 14 {
		t.Errorf("read_uncommitted: %d records, want 14", len(ms))
	}
	for _, m := range ms {
		if len(m.Headers) != 1 || m.Headers[0].Key != "txn" || m.Key != nil {
			t.Errorf("record %+v", m)
		}
	}
}

func TestConsumeIsolationKfake(t *testing.T) {
	_, b := connecttest.Fake(t)
	checkIsolation(t, b)
}

func TestConsumeIsolationRealBroker(t *testing.T) { checkIsolation(t, connecttest.Real(t)) }

// kcat interop.

func kcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat not found (apt-get install kcat); CI is set, so this fails")
		}
		t.Skip("kcat not found (apt-get install kcat)")
	}
	return p
}

// kcatArgs are kcat's -b and -X/-F flags for b. The SASL password goes in a
// private config file, never on a command line or in a test message.
func kcatArgs(t *testing.T, b connecttest.Broker) []string {
	args := []string{"-b", b.Brokers}
	if b.SASLMechanism != "" {
		pw, err := os.ReadFile(b.SASLPasswordFile)
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(t.TempDir(), "kcat.conf")
		text := fmt.Sprintf("security.protocol=SASL_SSL\nsasl.mechanisms=%s\nsasl.username=%s\nsasl.password=%s\nssl.ca.location=%s\n",
			strings.ToUpper(b.SASLMechanism), b.SASLUser, strings.TrimRight(string(pw), "\r\n"), b.TLSCA)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-F", conf)
	}
	return args
}

// librdkafkaVersion is the librdkafka version kcat -V reports.
var librdkafkaRE = regexp.MustCompile(`librdkafka (\d+)\.(\d+)\.(\d+)`)

func librdkafkaAtLeast(t *testing.T, bin string, major, minor, patch int) bool {
	out, _ := exec.Command(bin, "-V").CombinedOutput()
	m := librdkafkaRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no librdkafka version in kcat -V: %s", out)
	}
	v := [3]int{}
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	want := [3]int{major, minor, patch}
	for i := range v {
		if v[i] != want[i] {
			return v[i] > want[i]
		}
	}
	return true
}

func runKcat(t *testing.T, bin string, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

func kcatInterop(t *testing.T, b connecttest.Broker) {
	bin := kcat(t)
	topic := connecttest.Topic(t, "kcat")
	createTopic(t, b, topic, 3)

	// kcat writes 100 keyed records in one transaction; irisctl reads them.
	var in strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&in, "k%d|%d.0,3.5,1.4,0.2\n", i, i)
	}
	runKcat(t, bin, in.String(), append(kcatArgs(t, b), "-P", "-t", topic, "-K", "|", "-X", "transactional.id="+topic)...)
	ms := decode(t, must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e", "-o", "json"}, b.Args()...)...), "consume").out)
	if len(ms) != 100 {
		t.Fatalf("irisctl read %d of kcat's 100 records", len(ms))
	}
	for _, m := range ms {
		n := strings.TrimPrefix(*m.Key, "k")
		if *m.Value != n+".0,3.5,1.4,0.2" {
			t.Errorf("key %s value %s", *m.Key, *m.Value)
		}
	}

	// irisctl writes the iris data; kcat reads it under read_committed.
	topic2 := connecttest.Topic(t, "kcat2")
	createTopic(t, b, topic2, 3)
	must(t, run(t, "", append([]string{"produce", "-t", topic2, "--key", "row"}, b.Args()...)...), "produce")
	out := runKcat(t, bin, "", append(kcatArgs(t, b), "-C", "-t", topic2, "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed", "-f", "%k %s\n")...)
	got := lines(out)
	if len(got) != 150 {
		t.Fatalf("kcat read %d of irisctl's 150 records", len(got))
	}
	rows := irisdata.Rows()
	seen := map[int]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > 150 || seen[i] || rows[i-1].Features != v {
			t.Errorf("kcat line %q", sc.Text())
		}
		seen[i] = true
	}
}

func TestKcatInteropKfake(t *testing.T) {
	_, b := connecttest.Fake(t)
	kcatInterop(t, b)
}

func TestKcatInteropRealBroker(t *testing.T) { kcatInterop(t, connecttest.Real(t)) }

func TestKcatInteropSecureBroker(t *testing.T) {
	b := connecttest.Secure(t)
	// Kafka 4 brokers refuse the SCRAM exchange of librdkafka before 2.6.1
	// (Debian 12's kcat has 2.0.2); scripts/kafka.sh notes the same. This is
	// a known client/broker incompatibility, not a missing broker.
	if v := os.Getenv("IRISCTL_TEST_KAFKA_VERSION"); !strings.HasPrefix(v, "3.") && !librdkafkaAtLeast(t, kcat(t), 2, 6, 1) {
		t.Skipf("kcat's librdkafka < 2.6.1 cannot do SCRAM with Kafka %s", v)
	}
	kcatInterop(t, b)
}

// The connection flags come from IRISCTL_* variables too, and the SASL
// password from IRISCTL_SASL_PASSWORD, which is never printed.
func TestConnectionFromEnvironment(t *testing.T) {
	_, b := connecttest.Fake(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", "alice", "env-secret-pw"))
	t.Setenv("IRISCTL_BROKERS", b.Brokers)
	t.Setenv("IRISCTL_SASL_MECHANISM", "plain")
	t.Setenv("IRISCTL_SASL_USER", "alice")
	t.Setenv("IRISCTL_SASL_PASSWORD", "env-secret-pw")
	topic := connecttest.Topic(t, "env")
	must(t, run(t, "", "topics", "create", topic, "--partitions", "1"), "topics create")
	must(t, run(t, "", "produce", "-t", topic, "--count", "5"), "produce")
	if got := lines(must(t, run(t, "", "consume", "-t", topic, "--from-beginning", "-e"), "consume").out); len(got) != 5 {
		t.Errorf("consumed %d, want 5", len(got))
	}
	t.Setenv("IRISCTL_SASL_PASSWORD", "wrong-env-pw")
	r := run(t, "", "consume", "-t", topic, "-e")
	if r.code != 1 || !strings.Contains(r.errOut, "SASL PLAIN authentication as user \"alice\" failed at "+b.Brokers) || strings.Contains(r.errOut, "wrong-env-pw") {
		t.Errorf("wrong password: exit %d, stderr %q", r.code, r.errOut)
	}
}

// Progress goes to stderr only when it is a terminal.
func TestProduceProgressOnlyOnTTY(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "tty")
	createTopic(t, b, topic, 1)
	for _, tty := range []bool{false, true} {
		ios, _, out, errOut := iostreams.Test()
		ios.StderrTTY = tty
		args := append([]string{"produce", "-t", topic, "--rate", "25", "--count", "18"}, b.Args()...)
		if code := root.Run(context.Background(), ios, args); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if out.Len() != 0 {
			t.Errorf("stdout %q", out)
		}
		if got := strings.Contains(errOut.String(), "\r\033[K"); got != tty {
			t.Errorf("tty=%v: progress shown=%v; stderr %q", tty, got, errOut)
		}
		if n, _, _ := produced(t, errOut.String()); n != 18 {
			t.Errorf("produced %d", n)
		}
	}
}

// -e stops at the end each partition had at the start, even while a
// producer keeps writing.
func TestConsumeExitAtEndWhileProducing(t *testing.T) {
	_, b := connecttest.Fake(t)
	topic := connecttest.Topic(t, "live")
	createTopic(t, b, topic, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result)
	go func() {
		done <- runCtx(ctx, "", append([]string{"produce", "-t", topic, "--loop", "--rate", "500"}, b.Args()...)...)
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(400 * time.Millisecond)
	start := time.Now()
	r := must(t, run(t, "", append([]string{"consume", "-t", topic, "--from-beginning", "-e"}, b.Args()...)...), "consume")
	if n := len(lines(r.out)); n < 50 || time.Since(start) > 10*time.Second {
		t.Errorf("consumed %d records in %s", n, time.Since(start))
	}
}
