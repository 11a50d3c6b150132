package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Result is one contender's run, as written to --result.
type Result struct {
	Name       string `json:"name"`
	Round      int    `json:"round"`
	Command    string `json:"command"`
	Records    int64  `json:"records"`
	Partitions int    `json:"partitions"`
	Error      string `json:"error,omitempty"`

	// Seconds from the process start to the first committed output record
	// (the output's last stable offset leaving 0), and to the moment the
	// N-th output record became readable under read_committed.
	StartToFirstS    float64 `json:"start_to_first_s"`
	StartToCompleteS float64 `json:"start_to_complete_s"`
	// Records / StartToCompleteS, and records / (complete − first output).
	Throughput       float64 `json:"throughput"`
	SteadyThroughput float64 `json:"steady_throughput"`
	// Output records beyond N (duplicates) seen after completion, before and
	// during the latency probe.
	Extra int64 `json:"extra"`
	// Probe outputs whose value was not the expected one (--expect).
	Wrong int `json:"wrong"`

	// The probe: LatRecords records at LatRate/s produced to the input once
	// the backlog is done. Append: output LogAppendTime − input timestamp
	// (the producer's send time). Visible: the moment a read_committed
	// consumer received the output − input timestamp.
	LatRate float64  `json:"lat_rate"`
	Append  LatStats `json:"append_latency"`
	Visible LatStats `json:"visible_latency"`

	PeakRSSKiB      int64   `json:"peak_rss_kib"`      // VmHWM at the end
	CPUAtCompleteS  float64 `json:"cpu_at_complete_s"` // user+system CPU of the process up to completion
	CPUTotalS       float64 `json:"cpu_total_s"`       // ... up to the stop signal
	StopSeconds     float64 `json:"stop_seconds"`      // SIGTERM → exit
	ExitCode        int     `json:"exit_code"`
	Load1Start      float64 `json:"load1_start"`
	Load1End        float64 `json:"load1_end"`
	OutputTimestamp string  `json:"output_timestamp_type"`
}

// LatStats summarises latencies in milliseconds.
type LatStats struct {
	N     int     `json:"n"`
	Lost  int     `json:"lost"`
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

type poll struct {
	at  time.Duration // since start
	lso []int64
	cpu float64
}

const probePrefix = "bench-lat-"

// probeRows are the seed's three vectors with the labels Spark, MLeap and
// irisctl give them (testdata/seed).
var probeRows = [][2]string{
	{"5.1,3.5,1.4,0.2", "Iris-setosa"},
	{"6.2,2.2,4.5,1.5", "Iris-versicolor"},
	{"6.1,2.6,5.6,1.4", "Iris-virginica"},
}

// expectLabel: probe outputs must be input + "," + label (else: the input unchanged).
var expectLabel = true

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:29092", "bootstrap brokers")
	input := fs.String("input", "", "input topic (the probe writes here)")
	output := fs.String("output", "", "output topic (LogAppendTime)")
	count := fs.Int64("count", 0, "records in the input backlog")
	resultFile := fs.String("result", "", "write the JSON result here")
	name := fs.String("name", "", "contender name")
	round := fs.Int("round", 0, "round number")
	logFile := fs.String("log", "", "the command's stdout and stderr go here (default: ours)")
	pollEvery := fs.Duration("poll", 20*time.Millisecond, "how often to poll the output's last stable offsets")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up when the backlog is not done by then")
	latRate := fs.Float64("lat-rate", 1000, "probe records per second (0: no latency probe)")
	latSeconds := fs.Duration("lat-duration", 5*time.Second, "how long the probe produces")
	stopTimeout := fs.Duration("stop-timeout", 30*time.Second, "SIGKILL when SIGTERM has not stopped the command by then")
	expect := fs.String("expect", "label", "probe outputs: label (input + \",\" + the iris label) or copy (input unchanged)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmdArgs := fs.Args()
	if *expect != "label" && *expect != "copy" {
		return errors.New("--expect must be label or copy")
	}
	expectLabel = *expect == "label"
	if *input == "" || *output == "" || *count <= 0 || *resultFile == "" || len(cmdArgs) == 0 {
		return errors.New("--input, --output, --count, --result and a command (after --) are required")
	}

	res := &Result{Name: *name, Round: *round, Command: strings.Join(cmdArgs, " "), Records: *count, LatRate: *latRate}
	res.Load1Start = load1()
	err := measure(res, *brokers, *input, *output, *count, *logFile, *pollEvery, *timeout, *latRate, *latSeconds, *stopTimeout, cmdArgs)
	if err != nil {
		res.Error = err.Error()
	}
	res.Load1End = load1()
	b, _ := json.MarshalIndent(res, "", "  ")
	if werr := os.WriteFile(*resultFile, append(b, '\n'), 0o644); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchkit run: %s round %d: %d records in %.2f s (%.0f rec/s; first output after %.2f s), latency p50 %.1f ms p99 %.1f ms (visible p50 %.1f p99 %.1f), peak RSS %.0f MiB, CPU %.1f s, load %.2f\n",
		res.Name, res.Round, res.Records, res.StartToCompleteS, res.Throughput, res.StartToFirstS,
		res.Append.P50Ms, res.Append.P99Ms, res.Visible.P50Ms, res.Visible.P99Ms,
		float64(res.PeakRSSKiB)/1024, res.CPUTotalS, res.Load1End)
	return nil
}

func measure(res *Result, brokers, input, output string, n int64, logFile string, pollEvery, timeout time.Duration,
	latRate float64, latDur, stopTimeout time.Duration, cmdArgs []string) error {
	admin, err := newClient(brokers)
	if err != nil {
		return err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	parts, err := partitionCount(ctx, admin, output)
	if err != nil {
		return err
	}
	res.Partitions = parts

	// The contender, in its own process group so that stopping it stops everything it started.
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		t := time.Now()
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			fmt.Fprintf(os.Stderr, "benchkit run: %s did not stop within %v of SIGTERM: SIGKILL\n", res.Name, stopTimeout)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-exited
		}
		res.StopSeconds = time.Since(t).Seconds()
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	defer stop()

	// Phase 1: the backlog. Poll the last stable offsets; once they could
	// hold N records, count the records for real under read_committed.
	var (
		series    []poll
		counting  bool
		cons      *consumer
		lastOffs  []int64
		firstAt   time.Duration = -1
		completed time.Duration = -1
		cpuDone   float64
	)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	deadline := time.After(timeout)
	for completed < 0 {
		select {
		case <-exited:
			return fmt.Errorf("the command exited before its output was complete (%v); see its log", waitErr)
		case <-deadline:
			return fmt.Errorf("not complete after %v (committed so far: %v)", timeout, lastLSO(series))
		case <-tick.C:
		}
		lso, err := endOffsets(ctx, admin, output, parts)
		if err != nil {
			continue // transient; the next poll retries
		}
		p := poll{at: time.Since(start), lso: lso, cpu: cpuSeconds(pid)}
		series = append(series, p)
		if firstAt < 0 && sum(lso) > 0 {
			firstAt = p.at
		}
		if !counting && sum(lso) >= n {
			counting = true
			if cons, err = startConsumer(brokers, output, parts, n); err != nil {
				return err
			}
			defer cons.close()
		}
		if counting && lastOffs == nil {
			select {
			case lastOffs = <-cons.reachedN:
			default:
			}
		}
		if lastOffs != nil {
			// The first poll at which every partition's last stable offset
			// is past its last counted record: the N-th record's commit.
			for _, q := range series {
				if covers(q.lso, lastOffs) {
					completed, cpuDone = q.at, q.cpu
					break
				}
			}
		}
	}
	res.StartToFirstS = firstAt.Seconds()
	res.StartToCompleteS = completed.Seconds()
	res.Throughput = float64(n) / completed.Seconds()
	if completed > firstAt {
		res.SteadyThroughput = float64(n) / (completed - firstAt).Seconds()
	}
	res.CPUAtCompleteS = cpuDone

	// Phase 2: latency under a paced load, with the contender caught up.
	time.Sleep(500 * time.Millisecond)
	if latRate > 0 {
		if err := probe(ctx, res, brokers, input, cons, latRate, latDur, exited); err != nil {
			return err
		}
	} else {
		time.Sleep(time.Second)
	}
	res.Extra = cons.extras()
	res.Wrong = cons.wrongs()
	if res.Wrong > 0 {
		return fmt.Errorf("%d probe outputs had a wrong value", res.Wrong)
	}
	res.OutputTimestamp = cons.tsType()
	res.PeakRSSKiB = procStatusKiB(pid, "VmHWM")
	res.CPUTotalS = cpuSeconds(pid)
	stop()
	if res.Extra > 0 {
		fmt.Fprintf(os.Stderr, "benchkit run: %s: %d output records beyond %d (duplicates)\n", res.Name, res.Extra, n)
	}
	return nil
}

// probe produces rate records/s for dur to the input, keyed bench-lat-<i>,
// and waits for their outputs (read by cons).
func probe(ctx context.Context, res *Result, brokers, input string, cons *consumer, rate float64, dur time.Duration, exited <-chan struct{}) error {
	total := int(rate * dur.Seconds())
	if total < 1 {
		total = 1
	}
	sent := make([]time.Time, total)
	// A tag of this run in every probe key: records of any other run that
	// reach this output cannot pass for this run's probes.
	tag := strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	cons.expectProbes(sent, tag)
	prod, err := newClient(brokers, kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return err
	}
	defer prod.Close()
	var perr error
	var mu sync.Mutex
	t0 := time.Now()
	for i := 0; i < total; i++ {
		due := t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		now := time.Now()
		cons.markSent(i, now)
		prod.Produce(ctx, &kgo.Record{Topic: input, Key: []byte(probePrefix + tag + strconv.Itoa(i)),
			Value: []byte(probeRows[i%len(probeRows)][0]), Timestamp: now},
			func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					perr = err
					mu.Unlock()
				}
			})
	}
	if err := prod.Flush(ctx); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if perr != nil {
		return fmt.Errorf("probe produce: %w", perr)
	}
	// Everything the contender will output should be there well within 10 s.
	wait := time.After(10 * time.Second)
waiting:
	for cons.probesSeen() < total {
		select {
		case <-wait:
			break waiting
		case <-exited:
			return errors.New("the command exited during the latency probe")
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.Append, res.Visible = cons.latencies()
	return nil
}

func covers(lso, last []int64) bool {
	for p := range last {
		if last[p] >= 0 && lso[p] <= last[p] {
			return false
		}
	}
	return true
}

func sum(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

func lastLSO(s []poll) []int64 {
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1].lso
}

func partitionCount(ctx context.Context, cl *kgo.Client, topic string) (int, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	if len(resp.Topics) != 1 {
		return 0, fmt.Errorf("topic %s: no metadata", topic)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return 0, fmt.Errorf("topic %s: %w", topic, err)
	}
	return len(resp.Topics[0].Partitions), nil
}

// endOffsets lists each partition's last stable offset (ListOffsets latest
// under read_committed: the end of the committed, readable records).
func endOffsets(ctx context.Context, cl *kgo.Client, topic string, parts int) ([]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := 0; p < parts; p++ {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1
		rp.CurrentLeaderEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := req.RequestWith(pctx, cl)
	if err != nil {
		return nil, err
	}
	out := make([]int64, parts)
	got := 0
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, err
			}
			if int(p.Partition) < parts {
				out[p.Partition] = p.Offset
				got++
			}
		}
	}
	if got != parts {
		return nil, fmt.Errorf("%d of %d partitions answered", got, parts)
	}
	return out, nil
}

// consumer reads the output topic from the beginning under read_committed:
// it counts the backlog's records up to N, then counts extras and receives
// the probe's records.
type consumer struct {
	cl       *kgo.Client
	cancel   context.CancelFunc
	done     chan struct{}
	reachedN chan []int64

	mu       sync.Mutex
	extra    int64
	sent     []time.Time
	sentSet  []bool
	appendMs []float64
	visibMs  []float64
	seen     int
	ts       string
	tag      string
	wrong    int
}

func startConsumer(brokers, topic string, parts int, n int64) (*consumer, error) {
	offs := map[int32]kgo.Offset{}
	for p := 0; p < parts; p++ {
		offs[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := newClient(brokers,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &consumer{cl: cl, cancel: cancel, done: make(chan struct{}), reachedN: make(chan []int64, 1)}
	go func() {
		defer close(c.done)
		var count int64
		last := make([]int64, parts)
		for i := range last {
			last[i] = -1
		}
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			now := time.Now()
			fetches.EachRecord(func(r *kgo.Record) {
				if count < n {
					count++
					last[r.Partition] = r.Offset
					if count == n {
						c.reachedN <- append([]int64(nil), last...)
					}
					return
				}
				c.record(r, now)
			})
		}
	}()
	return c, nil
}

func (c *consumer) record(r *kgo.Record, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(r.Key)
	if c.tag == "" || !strings.HasPrefix(k, c.tag) {
		c.extra++
		return
	}
	i, err := strconv.Atoi(k[len(c.tag):])
	if err != nil || i < 0 || i >= len(c.sent) || !c.sentSet[i] {
		c.extra++
		return
	}
	if r.Attrs.TimestampType() == 1 {
		c.ts = "LogAppendTime"
	} else {
		c.ts = "CreateTime"
	}
	c.seen++
	want := probeRows[i%len(probeRows)][0]
	if expectLabel {
		want += "," + probeRows[i%len(probeRows)][1]
	}
	if string(r.Value) != want {
		c.wrong++
		if c.wrong <= 3 {
			fmt.Fprintf(os.Stderr, "benchkit run: probe %d: output %q, want %q\n", i, r.Value, want)
		}
	}
	c.appendMs = append(c.appendMs, float64(r.Timestamp.Sub(c.sent[i]))/1e6)
	c.visibMs = append(c.visibMs, float64(now.Sub(c.sent[i]))/1e6)
}

func (c *consumer) expectProbes(sent []time.Time, tag string) {
	c.mu.Lock()
	c.sent, c.sentSet, c.tag = sent, make([]bool, len(sent)), probePrefix+tag
	c.mu.Unlock()
}

func (c *consumer) markSent(i int, t time.Time) {
	c.mu.Lock()
	c.sent[i], c.sentSet[i] = t, true
	c.mu.Unlock()
}

func (c *consumer) probesSeen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

func (c *consumer) extras() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.extra
}

func (c *consumer) wrongs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrong
}

func (c *consumer) tsType() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ts
}

func (c *consumer) latencies() (LatStats, LatStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lost := len(c.sent) - c.seen
	return stats(c.appendMs, lost), stats(c.visibMs, lost)
}

func (c *consumer) close() {
	c.cancel()
	c.cl.Close()
	<-c.done
}

func stats(ms []float64, lost int) LatStats {
	s := LatStats{N: len(ms), Lost: lost}
	if len(ms) == 0 {
		return s
	}
	v := append([]float64(nil), ms...)
	sort.Float64s(v)
	s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs = quantile(v, 0.50), quantile(v, 0.90), quantile(v, 0.99), v[len(v)-1]
	return s
}

// quantile of sorted v, nearest rank.
func quantile(v []float64, q float64) float64 {
	i := int(q*float64(len(v))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(v) {
		i = len(v) - 1
	}
	return v[i]
}

// cpuSeconds is the user+system CPU time of pid (0 once it is gone).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// after the command: state(0) ppid ... utime is field 14 overall → index 11 here, stime 12
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / clockTicks
}

// clockTicks is USER_HZ; 100 on every Linux architecture Go runs on.
const clockTicks = 100

func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line[len(field)+1:])
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
