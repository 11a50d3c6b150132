package stream

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func headerMap(hs []sarama.RecordHeader) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		m[string(h.Key)] = string(h.Value)
	}
	return m
}

func value(t *testing.T, m *sarama.ProducerMessage) string {
	t.Helper()
	b, err := m.Value.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStepSeeds drives the processing step without a broker, like Kafka
// Streams' TopologyTestDriver: the article's three seed vectors in, the
// labelled records out, keys, timestamps and model headers kept.
func TestStepSeeds(t *testing.T) {
	model := &Model{Processor: fakeIris, Name: "iris-fake", UID: "uid-1"}
	st := newStep("out", "dlq", limits{maxInput: 1024, maxOutput: 1 << 20, maxDLQ: 1 << 20}, model)
	ts := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cases := []struct{ in, want string }{
		{"5.1,3.5,1.4,0.2", "5.1,3.5,1.4,0.2,Iris-setosa"},
		{"6.2,2.2,4.5,1.5", "6.2,2.2,4.5,1.5,Iris-versicolor"},
		{"6.1,2.6,5.6,1.4", "6.1,2.6,5.6,1.4,Iris-virginica"},
	}
	var arena []byte
	var outs []*sarama.ProducerMessage
	for i, c := range cases {
		in := &sarama.ConsumerMessage{Topic: "in", Partition: 2, Offset: int64(10 + i), Key: []byte{'k', byte('0' + i)},
			Value: []byte(c.in), Timestamp: ts}
		var res result
		res, arena = st.apply(arena, in, "")
		if res.class != "" {
			t.Fatalf("%s: dead-lettered (%s): %s", c.in, res.class, headerMap(res.msg.Headers)[HeaderErrorReason])
		}
		outs = append(outs, res.msg)
	}
	// all outputs share one arena: check them only at the end, as the
	// producer would read them
	for i, m := range outs {
		if got := value(t, m); got != cases[i].want {
			t.Errorf("output %d = %q, want %q", i, got, cases[i].want)
		}
		if m.Topic != "out" {
			t.Errorf("topic %q", m.Topic)
		}
		if k, _ := m.Key.Encode(); string(k) != string([]byte{'k', byte('0' + i)}) {
			t.Errorf("key %q", k)
		}
		if !m.Timestamp.Equal(ts) {
			t.Errorf("timestamp %v", m.Timestamp)
		}
		h := headerMap(m.Headers)
		if h[HeaderModelName] != "iris-fake" || h[HeaderModelUID] != "uid-1" {
			t.Errorf("headers %v", h)
		}
		if m.Metadata.(int64) != int64(10+i) {
			t.Errorf("metadata %v", m.Metadata)
		}
	}
}

func TestStepDeadLetters(t *testing.T) {
	panicky := ProcessorFunc(func(dst, v []byte) ([]byte, error) {
		if string(v) == "boom" {
			panic("kaboom")
		}
		if string(v) == "big" {
			return append(dst, strings.Repeat("x", 5000)...), nil
		}
		return fakeIris(dst, v)
	})
	lim := limits{maxInput: 100, maxOutput: 1000, maxDLQ: 400, outCompacted: true}
	st := newStep("out", "dlq", lim, &Model{Processor: panicky})
	cases := []struct {
		key     []byte
		value   string
		class   string
		reason  string
		trunc   bool
		wantKey bool
	}{
		{[]byte("a"), "5.1,abc,1.4,0.2", ClassRejected, `field 2: "abc" is not a number`, false, true},
		{[]byte("b"), "1,2,3", ClassRejected, "want 4 fields, got 3", false, true},
		{[]byte("c"), "boom", ClassPanic, "processor panic: kaboom", false, true},
		{[]byte("d"), strings.Repeat("9", 300), ClassInputSize, "value is 300 bytes, more than the limit of 100", true, true},
		{[]byte("e"), "big", ClassOutputSize, "max.message.bytes 1000 of out", false, true},
		{nil, "5.1,3.5,1.4,0.2", ClassNullKey, "null key: output topic out is compacted", false, false},
	}
	var arena []byte
	for _, c := range cases {
		in := &sarama.ConsumerMessage{Topic: "in", Partition: 3, Offset: 42, Key: c.key, Value: []byte(c.value),
			Headers: []*sarama.RecordHeader{{Key: []byte("trace"), Value: []byte("t1")}}}
		before := len(arena)
		var res result
		res, arena = st.apply(arena, in, "")
		if len(arena) != before {
			t.Errorf("%q: arena grew on a dead letter", c.value)
		}
		if res.class != c.class {
			t.Fatalf("%q: class %q, want %q", c.value, res.class, c.class)
		}
		m := res.msg
		h := headerMap(m.Headers)
		if m.Topic != "dlq" || h[HeaderErrorClass] != c.class || !strings.Contains(h[HeaderErrorReason], c.reason) {
			t.Errorf("%q: topic %s headers %v", c.value, m.Topic, h)
		}
		if h[HeaderSourceTopic] != "in" || h[HeaderSourcePartition] != "3" || h[HeaderSourceOffset] != "42" || h["trace"] != "t1" {
			t.Errorf("%q: source headers %v", c.value, h)
		}
		if (m.Key != nil) != c.wantKey {
			t.Errorf("%q: key %v", c.value, m.Key)
		}
		v := value(t, m)
		if c.trunc {
			if h[HeaderValueTruncated] != "300" || len(v) >= 300 || m.ByteSize(2)+recordOverhead > lim.maxDLQ {
				t.Errorf("%q: not truncated to fit: %d bytes, headers %v", c.value, m.ByteSize(2), h)
			}
		} else if v != c.value {
			t.Errorf("dead letter value %q, want %q", v, c.value)
		}
	}
	// a quarantined offset is dead-lettered without being processed
	res, _ := st.apply(nil, &sarama.ConsumerMessage{Topic: "in", Key: []byte("k"), Value: []byte("boom")}, "refused")
	if res.class != ClassQuarantined || headerMap(res.msg.Headers)[HeaderErrorReason] != "refused" {
		t.Errorf("quarantine: %s %v", res.class, headerMap(res.msg.Headers))
	}
}

func TestPartitioner(t *testing.T) {
	p := newPartitioner("out", 5)
	// null key: the input partition's number, modulo
	if n, _ := p.Partition(&sarama.ProducerMessage{}, 3); n != 2 {
		t.Errorf("null key → %d, want 2", n)
	}
	// keyed: the Java client's (murmur2(key) & 0x7fffffff) % n, with
	// murmur2("foo") = 597841616 and murmur2("kafka") = 3496464228
	for key, want := range map[string]int32{"foo": 597841616 % 3, "kafka": (3496464228 & 0x7fffffff) % 3} {
		n, _ := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(key)}, 3)
		if n != want {
			t.Errorf("key %q → %d, want %d", key, n, want)
		}
	}
}

func TestParseGuarantee(t *testing.T) {
	for in, want := range map[string]Guarantee{"exactly-once": ExactlyOnce, "EOS": ExactlyOnce, "at-least-once": AtLeastOnce} {
		if g, err := ParseGuarantee(in); err != nil || g != want {
			t.Errorf("%q → %q, %v", in, g, err)
		}
	}
	if _, err := ParseGuarantee("at-most-once"); err == nil {
		t.Error("at-most-once accepted")
	}
}

// BenchmarkStep is the per-record cost of the processing step around the
// processor (the processor itself is pass-through here).
func BenchmarkStep(b *testing.B) {
	st := newStep("out", "dlq", limits{maxInput: 1 << 20, maxOutput: 1 << 20, maxDLQ: 1 << 20},
		&Model{Processor: PassThrough, Name: "m", UID: "u"})
	in := &sarama.ConsumerMessage{Topic: "in", Key: []byte("k1"), Value: []byte("5.1,3.5,1.4,0.2")}
	arena := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%1000 == 0 {
			arena = arena[:0]
		}
		_, arena = st.apply(arena, in, "")
	}
}
