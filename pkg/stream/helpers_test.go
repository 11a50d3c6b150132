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
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
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

// realBrokers returns IRISCTL_TEST_BROKERS; without it the test is skipped,
// or fails when CI is set.
func realBrokers(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("IRISCTL_TEST_BROKERS")
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("IRISCTL_TEST_BROKERS is not set (start a broker: scripts/kafka.sh up; eval \"$(scripts/kafka.sh env)\")")
		}
		t.Skip("IRISCTL_TEST_BROKERS is not set; run scripts/kafka.sh up and eval \"$(scripts/kafka.sh env)\"")
	}
	return strings.Split(v, ",")
}

// newFake starts an in-process kfake cluster.
func newFake(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100 * time.Millisecond)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

func testConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V3_9_0_0
	c.ClientID = "irisctl-test"
	return c
}

var uniq atomic.Int64

// names returns topic and group names unique to this test run.
func names(t testing.TB) (in, out, dlq, group string) {
	base := fmt.Sprintf("%s-%d-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()%1e9, uniq.Add(1))
	return base + "-in", base + "-out", base + "-dlq", base + "-g"
}

func createTopics(t testing.TB, brokers []string, partitions int32, config map[string]*string, topics ...string) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(brokers, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, name := range topics {
		err := admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: config}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			t.Fatalf("create topic %s: %v", name, err)
		}
	}
}

// input is one record to produce.
type input struct {
	partition int32
	key       []byte
	value     []byte
}

// produce writes records with an idempotent producer to fixed partitions.
func produce(t testing.TB, brokers []string, topic string, recs []input) {
	t.Helper()
	c := testConfig()
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Return.Successes = true
	c.Producer.Flush.Frequency = time.Millisecond
	c.Producer.Flush.Bytes = 256 << 10
	p, err := sarama.NewAsyncProducer(brokers, c)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var errs atomic.Int64
	var firstErr atomic.Value
	wg.Go(func() {
		for range p.Successes() {
		}
	})
	wg.Go(func() {
		for e := range p.Errors() {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, e.Err)
		}
	})
	for _, r := range recs {
		m := &sarama.ProducerMessage{Topic: topic, Partition: r.partition, Value: sarama.ByteEncoder(r.value)}
		if r.key != nil {
			m.Key = sarama.ByteEncoder(r.key)
		}
		p.Input() <- m
	}
	p.AsyncClose()
	wg.Wait()
	if errs.Load() > 0 {
		t.Fatalf("producing to %s: %d errors, first %v", topic, errs.Load(), firstErr.Load())
	}
}

// output is a record read back.
type output struct {
	partition int32
	offset    int64
	key       string
	value     string
	headers   map[string]string
}

// readCommitted reads topic with read_committed until want records have
// come (then a short while more, to catch extras) or timeout passes.
func readCommitted(t testing.TB, brokers []string, topic string, want int, timeout time.Duration) []output {
	t.Helper()
	c := testConfig()
	c.Consumer.IsolationLevel = sarama.ReadCommitted
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	cons, err := sarama.NewConsumer(brokers, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	parts, err := cons.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan output, 4096)
	var pcs []sarama.PartitionConsumer
	for _, p := range parts {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		pcs = append(pcs, pc)
		go func() {
			for m := range pc.Messages() {
				o := output{partition: m.Partition, offset: m.Offset, key: string(m.Key), value: string(m.Value),
					headers: map[string]string{}}
				for _, h := range m.Headers {
					o.headers[string(h.Key)] = string(h.Value)
				}
				ch <- o
			}
		}()
	}
	defer func() {
		for _, pc := range pcs {
			pc.AsyncClose()
		}
	}()
	var outs []output
	deadline := time.After(timeout)
	var grace <-chan time.Time
	for {
		select {
		case o := <-ch:
			outs = append(outs, o)
			if len(outs) == want && grace == nil {
				grace = time.After(500 * time.Millisecond)
			}
		case <-grace:
			return outs
		case <-deadline:
			return outs
		}
	}
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

// waitCommitted waits until the group has committed want offsets in total
// on topic.
func waitCommitted(t testing.TB, brokers []string, group, topic string, want int64, timeout time.Duration) int64 {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(brokers, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(timeout)
	var sum int64
	for {
		sum = 0
		res, err := admin.ListConsumerGroupOffsets(group, nil)
		if err == nil {
			for _, ps := range res.Blocks[topic] {
				if ps.Offset > 0 {
					sum += ps.Offset
				}
			}
		}
		if sum >= want || time.Now().After(deadline) {
			return sum
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// irisInputs makes n input records over the given partitions, keyed
// "partition:seq" (seq counts per partition from 0). Every badEvery-th
// record (if > 0) is not a valid iris line.
func irisInputs(n int, partitions int32, badEvery int) []input {
	seeds := []string{"5.1,3.5,1.4,0.2", "6.2,2.2,4.5,1.5", "6.1,2.6,5.6,1.4", "4.9,3.0,1.4,0.2", "6.3,3.3,6.0,2.5"}
	recs := make([]input, n)
	seq := make([]int, partitions)
	for i := range recs {
		p := int32(i) % partitions
		v := seeds[i%len(seeds)]
		if badEvery > 0 && i%badEvery == badEvery-1 {
			v = fmt.Sprintf("5.1,x%d,1.4,0.2", i)
		}
		recs[i] = input{partition: p, key: []byte(fmt.Sprintf("%d:%d", p, seq[p])), value: []byte(v)}
		seq[p]++
	}
	return recs
}

// check is the verdict on a run: what came out compared with what went in.
type check struct {
	missing, duplicates, extra, wrongValue, outOfOrder int
	deadLettered, withoutReason                        int
}

func (c check) String() string {
	return fmt.Sprintf("missing=%d duplicates=%d extra=%d wrong_value=%d out_of_order=%d dead_lettered=%d dead_letters_without_reason=%d",
		c.missing, c.duplicates, c.extra, c.wrongValue, c.outOfOrder, c.deadLettered, c.withoutReason)
}

// verify compares outputs and dead letters with the inputs: each input must
// appear once (outputs: with the processor's value), and within each output
// partition the records of one input partition must come in input order.
func verify(ins []input, proc Processor, outs, dlqs []output) check {
	var c check
	want := map[string]string{} // key → expected output value ("" for a dead letter)
	for _, in := range ins {
		v, err := proc.Process(nil, in.value)
		if err != nil {
			want[string(in.key)] = ""
		} else {
			want[string(in.key)] = string(v)
		}
	}
	seen := map[string]int{}
	type lane struct {
		out int32
		in  string
	}
	lastSeq := map[lane]int{}
	for _, o := range outs {
		seen[o.key]++
		exp, ok := want[o.key]
		switch {
		case !ok || exp == "":
			c.extra++
			continue
		case exp != o.value:
			c.wrongValue++
		}
		if seen[o.key] > 1 {
			c.duplicates++
			continue
		}
		p, seqStr, _ := strings.Cut(o.key, ":")
		seq, _ := strconv.Atoi(seqStr)
		l := lane{o.partition, p}
		if last, ok := lastSeq[l]; ok && seq <= last {
			c.outOfOrder++
		}
		lastSeq[l] = seq
	}
	for _, d := range dlqs {
		seen[d.key]++
		c.deadLettered++
		if exp, ok := want[d.key]; !ok || exp != "" {
			c.extra++
		} else if seen[d.key] > 1 {
			c.duplicates++
		}
		if d.headers[HeaderErrorReason] == "" || d.headers[HeaderSourceOffset] == "" {
			c.withoutReason++
		}
	}
	for k := range want {
		if seen[k] == 0 {
			c.missing++
		}
	}
	return c
}
