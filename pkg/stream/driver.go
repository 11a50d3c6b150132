package stream

import (
	"time"

	"github.com/IBM/sarama"
)

// TestDriver runs records through the processing step of a stream — the
// model, the size and key checks, the dead-letter records with their
// headers — without a broker, as Kafka Streams' TopologyTestDriver does.
// It uses the topics, Model and MaxRecordBytes of the options; output
// topics are taken as not compacted and limited to sarama's default
// maximum message size.
type TestDriver struct {
	step      *step
	input     string
	partition int32
	offset    int64
}

// Record is what the driver produced for one input: an output record, or a
// dead letter (DeadLetter true, Topic the dead-letter topic).
type Record struct {
	Topic      string
	Key        []byte
	Value      []byte
	Headers    map[string]string
	DeadLetter bool
}

// NewTestDriver makes a driver for o.
func NewTestDriver(o Options) *TestDriver {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	max := sarama.NewConfig().Producer.MaxMessageBytes
	lim := limits{maxInput: o.MaxRecordBytes, maxOutput: max, maxDLQ: max}
	m := o.Model
	return &TestDriver{step: newStep(o.OutputTopic, o.DLQTopic, lim, &m), input: o.InputTopic}
}

// Pipe processes one record as if read from partition 0 of the input topic
// at the next offset.
func (d *TestDriver) Pipe(key, value []byte) Record {
	in := &sarama.ConsumerMessage{Topic: d.input, Partition: d.partition, Offset: d.offset,
		Key: key, Value: value, Timestamp: time.Now()}
	d.offset++
	res, _ := d.step.apply(nil, in, "")
	r := Record{Topic: res.msg.Topic, DeadLetter: res.class != "", Headers: map[string]string{}}
	if res.msg.Key != nil {
		r.Key, _ = res.msg.Key.Encode()
	}
	r.Value, _ = res.msg.Value.Encode()
	for _, h := range res.msg.Headers {
		r.Headers[string(h.Key)] = string(h.Value)
	}
	return r
}
