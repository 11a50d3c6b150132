// Package streamtest holds what the tests of the stream share: brokers
// (in-process kfake, or the real one in IRISCTL_TEST_BROKERS), unique topic
// and group names, producing inputs, reading outputs with read_committed and
// the exactly-once verdict. It is for tests only and does not import the
// stream package.
package streamtest

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Header keys the verdict reads (the stream's own constants, repeated here
// to keep this package free of the stream).
const (
	headerErrorReason  = "irisctl.error.reason"
	headerSourceOffset = "irisctl.source.offset"
)

// Brokers returns IRISCTL_TEST_BROKERS. Without it the test is skipped, or
// fails when CI is set.
func Brokers(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("IRISCTL_TEST_BROKERS")
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("IRISCTL_TEST_BROKERS is not set in CI (scripts/kafka.sh up; eval \"$(scripts/kafka.sh env)\")")
		}
		t.Skip("IRISCTL_TEST_BROKERS is not set; run scripts/kafka.sh up and eval \"$(scripts/kafka.sh env)\"")
	}
	return strings.Split(v, ",")
}

// Fake starts an in-process kfake cluster, closed when the test ends.
func Fake(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100 * time.Millisecond)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// Config is the sarama config of the test's own clients.
func Config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V3_9_0_0
	c.ClientID = "irisctl-test"
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 500 * time.Millisecond
	return c
}

var uniq atomic.Int64

// Names returns topic and group names unique to this test and run.
func Names(t testing.TB) (in, out, dlq, group string) {
	base := fmt.Sprintf("%s-%d-%d", strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()),
		time.Now().UnixNano()%1e9, uniq.Add(1))
	return base + "-in", base + "-out", base + "-dlq", base + "-g"
}

// CreateTopics creates topics with one replica.
func CreateTopics(t testing.TB, brokers []string, partitions int32, config map[string]*string, topics ...string) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(brokers, Config())
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

// DeleteTopics removes topics at the end of a test on a shared broker.
func DeleteTopics(t testing.TB, brokers []string, topics ...string) {
	t.Cleanup(func() {
		admin, err := sarama.NewClusterAdmin(brokers, Config())
		if err != nil {
			return
		}
		defer admin.Close()
		for _, name := range topics {
			_ = admin.DeleteTopic(name)
		}
	})
}

// Input is one record to produce.
type Input struct {
	Partition int32
	Key       []byte
	Value     []byte
}

// Seeds are the article's three seed vectors and their classes.
var Seeds = [][2]string{
	{"5.1,3.5,1.4,0.2", "Iris-setosa"},
	{"6.2,2.2,4.5,1.5", "Iris-versicolor"},
	{"6.1,2.6,5.6,1.4", "Iris-virginica"},
}

// IrisInputs makes n iris records spread round-robin over the partitions,
// keyed "partition:seq" (seq counts per partition from 0), so that the
// verdict can check order. Every badEvery-th record (if > 0) is not a valid
// iris line: its second field is not a number.
func IrisInputs(n int, partitions int32, badEvery int) []Input {
	vals := []string{Seeds[0][0], Seeds[1][0], Seeds[2][0], "4.9,3.0,1.4,0.2", "6.3,3.3,6.0,2.5", "5.7,2.8,4.1,1.3"}
	recs := make([]Input, n)
	seq := make([]int, partitions)
	for i := range recs {
		p := int32(i) % partitions
		v := vals[i%len(vals)]
		if badEvery > 0 && i%badEvery == badEvery-1 {
			v = fmt.Sprintf("5.1,x%d,1.4,0.2", i)
		}
		recs[i] = Input{Partition: p, Key: []byte(fmt.Sprintf("%d:%d", p, seq[p])), Value: []byte(v)}
		seq[p]++
	}
	return recs
}

// Produce writes records with an idempotent producer to their partitions.
func Produce(t testing.TB, brokers []string, topic string, recs []Input) {
	t.Helper()
	c := Config()
	c.Producer.Flush.Frequency = time.Millisecond
	c.Producer.Flush.Bytes = 256 << 10
	if err := Send(brokers, c, topic, recs, 0); err != nil {
		t.Fatalf("producing to %s: %v", topic, err)
	}
}

// Send writes records to their partitions with an idempotent producer
// built from c, spread evenly over pace (0: all at once), and waits for
// every acknowledgement. It returns an error instead of failing a test, so
// a goroutine may call it.
func Send(brokers []string, c *sarama.Config, topic string, recs []Input, pace time.Duration) error {
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Return.Successes = true
	p, err := sarama.NewAsyncProducer(brokers, c)
	if err != nil {
		return err
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
	const chunk = 500
	t0 := time.Now()
	for i := 0; i < len(recs); i += chunk {
		if pace > 0 {
			if due := t0.Add(time.Duration(int64(pace) * int64(i) / int64(len(recs)))); time.Until(due) > 0 {
				time.Sleep(time.Until(due))
			}
		}
		for _, r := range recs[i:min(i+chunk, len(recs))] {
			m := &sarama.ProducerMessage{Topic: topic, Partition: r.Partition, Value: sarama.ByteEncoder(r.Value)}
			if r.Key != nil {
				m.Key = sarama.ByteEncoder(r.Key)
			}
			p.Input() <- m
		}
	}
	p.AsyncClose()
	wg.Wait()
	if errs.Load() > 0 {
		return fmt.Errorf("%d errors, first %v", errs.Load(), firstErr.Load())
	}
	return nil
}

// Output is a record read back.
type Output struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
	Headers   map[string]string
}

// ReadCommitted reads the whole topic with read_committed: until want
// records have come and then a while more (to catch extras), or until
// timeout.
func ReadCommitted(t testing.TB, brokers []string, topic string, want int, timeout time.Duration) []Output {
	t.Helper()
	return Read(t, brokers, topic, sarama.ReadCommitted, want, timeout)
}

// Read reads the whole topic with the given isolation level, like
// ReadCommitted.
func Read(t testing.TB, brokers []string, topic string, isolation sarama.IsolationLevel, want int, timeout time.Duration) []Output {
	t.Helper()
	c := Config()
	c.Consumer.IsolationLevel = isolation
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Fetch.Default = 4 << 20
	c.ChannelBufferSize = 4096
	cons, err := sarama.NewConsumer(brokers, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	parts, err := cons.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Output, 8192)
	var pcs []sarama.PartitionConsumer
	for _, p := range parts {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		pcs = append(pcs, pc)
		go func() {
			for m := range pc.Messages() {
				o := Output{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: string(m.Value),
					Headers: make(map[string]string, len(m.Headers))}
				for _, h := range m.Headers {
					o.Headers[string(h.Key)] = string(h.Value)
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
	var outs []Output
	deadline := time.After(timeout)
	var grace <-chan time.Time
	for {
		select {
		case o := <-ch:
			outs = append(outs, o)
			if len(outs) == want && grace == nil {
				grace = time.After(time.Second)
			}
		case <-grace:
			return sortOutputs(outs)
		case <-deadline:
			return sortOutputs(outs)
		}
	}
}

func sortOutputs(outs []Output) []Output {
	sort.SliceStable(outs, func(i, j int) bool {
		if outs[i].Partition != outs[j].Partition {
			return outs[i].Partition < outs[j].Partition
		}
		return outs[i].Offset < outs[j].Offset
	})
	return outs
}

// Committed returns the sum of the group's committed offsets on topic
// (the number of input records committed, when the input has no
// transaction markers).
func Committed(brokers []string, group, topic string) (int64, error) {
	admin, err := sarama.NewClusterAdmin(brokers, Config())
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	res, err := admin.ListConsumerGroupOffsets(group, nil)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, ps := range res.Blocks[topic] {
		if ps.Offset > 0 {
			sum += ps.Offset
		}
	}
	return sum, nil
}

// WaitCommitted waits until the group has committed at least want input
// offsets on topic, and returns how many it has.
func WaitCommitted(t testing.TB, brokers []string, group, topic string, want int64, timeout time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sum, _ := Committed(brokers, group, topic)
		if sum >= want || time.Now().After(deadline) {
			return sum
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Check is the verdict on a run: what came out compared with what went in.
type Check struct {
	Missing, Duplicates, Extra, WrongValue, OutOfOrder int
	DeadLettered, WithoutReason                        int
}

func (c Check) String() string {
	return fmt.Sprintf("missing=%d duplicates=%d extra=%d wrong_value=%d out_of_order=%d dead_lettered=%d dead_letters_without_reason=%d",
		c.Missing, c.Duplicates, c.Extra, c.WrongValue, c.OutOfOrder, c.DeadLettered, c.WithoutReason)
}

// Verify compares outputs and dead letters with the inputs (keyed
// "partition:seq"): each input must appear exactly once — as an output with
// the processor's value, or as a dead letter naming its reason if the
// processor rejects it — and within each output partition the records of
// one input partition must come in input order. Outputs must be sorted by
// partition and offset (ReadCommitted does that).
func Verify(ins []Input, proc func(dst, value []byte) ([]byte, error), outs, dlqs []Output) Check {
	var c Check
	want := make(map[string]string, len(ins)) // key → expected output value ("" for a dead letter)
	for _, in := range ins {
		v, err := proc(nil, in.Value)
		if err != nil {
			want[string(in.Key)] = ""
		} else {
			want[string(in.Key)] = string(v)
		}
	}
	seen := make(map[string]int, len(ins))
	type lane struct {
		out int32
		in  string
	}
	lastSeq := map[lane]int{}
	for _, o := range outs {
		seen[o.Key]++
		exp, ok := want[o.Key]
		switch {
		case !ok || exp == "":
			c.Extra++
			continue
		case exp != o.Value:
			c.WrongValue++
		}
		if seen[o.Key] > 1 {
			c.Duplicates++
			continue
		}
		p, seqStr, _ := strings.Cut(o.Key, ":")
		seq, _ := strconv.Atoi(seqStr)
		l := lane{o.Partition, p}
		if last, ok := lastSeq[l]; ok && seq <= last {
			c.OutOfOrder++
		}
		lastSeq[l] = seq
	}
	for _, d := range dlqs {
		seen[d.Key]++
		c.DeadLettered++
		if exp, ok := want[d.Key]; !ok || exp != "" {
			c.Extra++
		} else if seen[d.Key] > 1 {
			c.Duplicates++
		}
		if d.Headers[headerErrorReason] == "" || d.Headers[headerSourceOffset] == "" {
			c.WithoutReason++
		}
	}
	for k := range want {
		if seen[k] == 0 {
			c.Missing++
		}
	}
	return c
}
