package stream

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
)

// Header keys written by the stream.
const (
	HeaderModelName = "irisctl.model.name"
	HeaderModelUID  = "irisctl.model.uid"

	// Dead-letter records carry the reason, its class and where the input
	// record came from.
	HeaderErrorReason     = "irisctl.error.reason"
	HeaderErrorClass      = "irisctl.error.class"
	HeaderSourceTopic     = "irisctl.source.topic"
	HeaderSourcePartition = "irisctl.source.partition"
	HeaderSourceOffset    = "irisctl.source.offset"
	// HeaderValueTruncated is set, to the original length, when the input
	// value had to be cut to fit the dead-letter topic.
	HeaderValueTruncated = "irisctl.value.truncated"
)

// Error classes of dead-lettered records (header irisctl.error.class and the
// class label of the dead-letter metric).
const (
	ClassRejected    = "rejected"    // the processor returned an error
	ClassPanic       = "panic"       // the processor panicked
	ClassInputSize   = "input-size"  // the input value is larger than MaxRecordBytes
	ClassOutputSize  = "output-size" // the output would not fit the output topic
	ClassNullKey     = "null-key"    // a null key on a compacted output topic
	ClassQuarantined = "quarantined" // the broker refused the output record itself
)

// recordOverhead is what a record batch adds around one record (v2 format:
// 61 bytes of batch header); the size checks keep this much margin.
const recordOverhead = 64

// limits are the size and key rules of the topics written to.
type limits struct {
	maxInput     int  // input values above this are dead-lettered unprocessed
	maxOutput    int  // max.message.bytes of the output topic
	maxDLQ       int  // max.message.bytes of the dead-letter topic
	outCompacted bool // the output topic is compacted: null keys are refused
	dlqCompacted bool
}

// step is the processing of one record, without any Kafka I/O: it is what
// the broker-less tests drive.
type step struct {
	outTopic, dlqTopic string
	lim                limits
	proc               Processor             // the model's processor, this worker's own
	headers            []sarama.RecordHeader // model headers, shared and read-only
}

func newStep(outTopic, dlqTopic string, lim limits, m *Model) *step {
	s := &step{outTopic: outTopic, dlqTopic: dlqTopic, lim: lim, proc: forWorker(m.Processor)}
	if m.Name != "" {
		s.headers = append(s.headers, sarama.RecordHeader{Key: []byte(HeaderModelName), Value: []byte(m.Name)})
	}
	if m.UID != "" {
		s.headers = append(s.headers, sarama.RecordHeader{Key: []byte(HeaderModelUID), Value: []byte(m.UID)})
	}
	return s
}

// result is what apply made of a record.
type result struct {
	msg   *sarama.ProducerMessage
	class string // "" for an output record, else the dead-letter class
}

// apply processes one input record. The output value is appended to arena,
// which must stay untouched until the record has been sent (the caller
// reuses it after each transaction). quarantine, if not empty, is a reason
// the broker gave for refusing this record's output earlier.
func (s *step) apply(arena []byte, in *sarama.ConsumerMessage, quarantine string) (result, []byte) {
	if quarantine != "" {
		return s.deadLetter(in, ClassQuarantined, quarantine), arena
	}
	if s.lim.maxInput > 0 && len(in.Value) > s.lim.maxInput {
		return s.deadLetter(in, ClassInputSize,
			fmt.Sprintf("value is %d bytes, more than the limit of %d", len(in.Value), s.lim.maxInput)), arena
	}
	if in.Key == nil && s.lim.outCompacted {
		return s.deadLetter(in, ClassNullKey,
			fmt.Sprintf("null key: output topic %s is compacted", s.outTopic)), arena
	}
	start := len(arena)
	out, err := process(s.proc, arena, in.Value)
	if err != nil {
		class := ClassRejected
		var pe *panicError
		if errors.As(err, &pe) {
			class = ClassPanic
		}
		return s.deadLetter(in, class, err.Error()), arena[:start]
	}
	if len(out) < start {
		// a processor that dropped what was in dst: keep the arena sane
		return s.deadLetter(in, ClassRejected, "processor returned a shorter buffer than it was given"), arena[:start]
	}
	value := out[start:len(out):len(out)]
	msg := &sarama.ProducerMessage{
		Topic:     s.outTopic,
		Key:       keyEncoder(in.Key),
		Value:     sarama.ByteEncoder(value),
		Headers:   s.headers,
		Timestamp: in.Timestamp,
		Metadata:  in.Offset,
	}
	if s.lim.maxOutput > 0 && msg.ByteSize(2)+recordOverhead > s.lim.maxOutput {
		return s.deadLetter(in, ClassOutputSize,
			fmt.Sprintf("output record is %d bytes, more than max.message.bytes %d of %s",
				msg.ByteSize(2)+recordOverhead, s.lim.maxOutput, s.outTopic)), arena[:start]
	}
	return result{msg: msg}, out
}

// deadLetter builds the dead-letter record for in: same key and value (cut
// if it does not fit), the reason and the source in headers.
func (s *step) deadLetter(in *sarama.ConsumerMessage, class, reason string) result {
	hs := make([]sarama.RecordHeader, 0, len(in.Headers)+len(s.headers)+6)
	for _, h := range in.Headers {
		if h != nil {
			hs = append(hs, *h)
		}
	}
	hs = append(hs,
		sarama.RecordHeader{Key: []byte(HeaderErrorReason), Value: []byte(reason)},
		sarama.RecordHeader{Key: []byte(HeaderErrorClass), Value: []byte(class)},
		sarama.RecordHeader{Key: []byte(HeaderSourceTopic), Value: []byte(in.Topic)},
		sarama.RecordHeader{Key: []byte(HeaderSourcePartition), Value: strconv.AppendInt(nil, int64(in.Partition), 10)},
		sarama.RecordHeader{Key: []byte(HeaderSourceOffset), Value: strconv.AppendInt(nil, in.Offset, 10)},
	)
	hs = append(hs, s.headers...)
	key := keyEncoder(in.Key)
	if key == nil && s.lim.dlqCompacted {
		// a compacted dead-letter topic needs a key: name the source record
		key = sarama.StringEncoder(fmt.Sprintf("%s/%d/%d", in.Topic, in.Partition, in.Offset))
	}
	msg := &sarama.ProducerMessage{
		Topic:     s.dlqTopic,
		Key:       key,
		Value:     sarama.ByteEncoder(in.Value),
		Headers:   hs,
		Timestamp: in.Timestamp,
		Metadata:  in.Offset,
	}
	if s.lim.maxDLQ > 0 && msg.ByteSize(2)+recordOverhead > s.lim.maxDLQ {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{
			Key: []byte(HeaderValueTruncated), Value: strconv.AppendInt(nil, int64(len(in.Value)), 10)})
		over := msg.ByteSize(2) + recordOverhead - s.lim.maxDLQ
		msg.Value = sarama.ByteEncoder(in.Value[:max(len(in.Value)-over, 0)])
	}
	return result{msg: msg, class: class}
}

// keyEncoder keeps a null key null (a typed nil inside the interface would
// be sent as an empty key).
func keyEncoder(k []byte) sarama.Encoder {
	if k == nil {
		return nil
	}
	return sarama.ByteEncoder(k)
}

// partitioner places keyed records like the Java client (murmur2, so that
// Kafka Streams and irisctl agree) and null-key records on the partition
// with the number of their input partition (modulo the output's partition
// count), so that the order of one input partition is kept in the output.
// Each producer serves one input partition, hence the fixed src.
type partitioner struct {
	keyed sarama.Partitioner
	src   int32
}

func newPartitioner(topic string, src int32) sarama.Partitioner {
	return &partitioner{keyed: sarama.NewMurmur2Partitioner(topic), src: src}
}

func (p *partitioner) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	if msg.Key == nil {
		return p.src % n, nil
	}
	return p.keyed.Partition(msg, n)
}

func (p *partitioner) RequiresConsistency() bool { return true }
