// Package consume holds `irisctl consume`: a kcat-like reader of every
// partition of one Kafka topic, transaction-aware (read_committed by default).
package consume

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/topics"
	"github.com/irisctl/irisctl/pkg/kafka/connect"
)

// Isolation levels as spelled on the command line.
const (
	ReadCommitted   = "read_committed"
	ReadUncommitted = "read_uncommitted"
)

// Options are the inputs of `irisctl consume`.
type Options struct {
	IO    *iostreams.IOStreams
	Kafka connect.Options

	Topic         string
	FromBeginning bool
	MaxMessages   int64
	Isolation     string
	Output        string // raw or json
	ExitAtEnd     bool
	Quiet         bool

	// idle is how long a partition must be quiet before -e checks whether
	// only transaction markers or aborted records are left before its end.
	idle time.Duration
}

// Message is the --output json form of a record.
type Message struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Value     *string  `json:"value"`
	Headers   []Header `json:"headers"`
	Timestamp string   `json:"timestamp"`
}

// Header is one record header.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NewCmdConsume builds `irisctl consume`; runF replaces the run step in tests.
func NewCmdConsume(ios *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: ios, idle: 300 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Print the records of a Kafka topic (all partitions)",
		Long: `Print the records of every partition of a Kafka topic to stdout, one per
line: the value (--output raw) or a JSON object with topic, partition, offset,
key, value, headers and timestamp (--output json).

By default it reads only records of committed transactions
(--isolation read_committed), the way the classifier's exactly-once output
is meant to be read, starting at the end of each partition; --from-beginning
starts at the oldest record. It stops after -n records, with -e when every
partition has been read up to the end it had when the command started (the
last stable offset under read_committed, the high watermark otherwise), or
on Ctrl-C. A count goes to stderr at the end unless -q.`,
		Example: `  # every classified record so far, then exit
  irisctl consume --from-beginning -e

  # the next 10 records, as JSON
  irisctl consume -n 10 -o json

  # the input topic, including records of aborted transactions
  irisctl consume --topic iris-classifier-input --from-beginning -e --isolation read_uncommitted`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(c.Context())
		},
	}
	fs := cmd.Flags()
	o.Kafka.AddFlags(fs)
	fs.StringVarP(&o.Topic, "topic", "t", topics.OutputTopic, "topic to read")
	fs.BoolVar(&o.FromBeginning, "from-beginning", false, "start at the oldest record instead of the end")
	fs.Int64VarP(&o.MaxMessages, "max-messages", "n", 0, "stop after `N` records (0: no limit)")
	fs.StringVar(&o.Isolation, "isolation", ReadCommitted, "read_committed or read_uncommitted")
	fs.StringVarP(&o.Output, "output", "o", "raw", "output format: raw (the value) or json")
	fs.BoolVarP(&o.ExitAtEnd, "exit-at-end", "e", false, "exit when every partition is read to its end")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "no count on stderr at the end")
	return cmd
}

func (o *Options) validate() error {
	if o.Topic == "" {
		return cmdutil.FlagErrorf("--topic must not be empty")
	}
	if o.MaxMessages < 0 {
		return cmdutil.FlagErrorf("--max-messages %d: must not be negative", o.MaxMessages)
	}
	if o.Isolation != ReadCommitted && o.Isolation != ReadUncommitted {
		return cmdutil.FlagErrorf("--isolation %q: want read_committed or read_uncommitted", o.Isolation)
	}
	if o.Output != "raw" && o.Output != "json" {
		return cmdutil.FlagErrorf("--output %q: want raw or json", o.Output)
	}
	var ue *connect.UsageError
	if err := o.Kafka.Validate(); errors.As(err, &ue) {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

func (o *Options) isolation() sarama.IsolationLevel {
	if o.Isolation == ReadUncommitted {
		return sarama.ReadUncommitted
	}
	return sarama.ReadCommitted
}

// partState tracks one partition for -e.
type partState struct {
	end     int64 // the end to reach (LSO or high watermark at start)
	next    int64 // offset after the last record printed (or the start)
	last    time.Time
	checked int64 // the tail [checked, end) holds no visible record
	done    bool
}

// Run reads the topic until a stop condition, printing records to stdout.
func (o *Options) Run(ctx context.Context) error {
	cfg, err := o.Kafka.Config()
	if err != nil {
		return err
	}
	cfg.Consumer.IsolationLevel = o.isolation()
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 250 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetNewest

	client, err := o.Kafka.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer client.Close()
	parts, err := client.Partitions(o.Topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return fmt.Errorf("topic %s does not exist", o.Topic)
	}
	if err != nil {
		return fmt.Errorf("topic %s: %w", o.Topic, err)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })

	state := make(map[int32]*partState, len(parts))
	now := time.Now()
	for _, p := range parts {
		st := &partState{last: now}
		start := sarama.OffsetNewest
		if o.FromBeginning {
			start = sarama.OffsetOldest
		}
		if st.next, err = client.GetOffset(o.Topic, p, start); err != nil {
			return fmt.Errorf("start offset of %s/%d: %w", o.Topic, p, err)
		}
		if o.ExitAtEnd {
			if st.end, err = endOffset(client, o.Topic, p, o.isolation()); err != nil {
				return fmt.Errorf("end offset of %s/%d: %w", o.Topic, p, err)
			}
			st.checked = st.next
			st.done = st.next >= st.end
		}
		state[p] = st
	}

	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("starting the consumer: %w", err)
	}
	defer consumer.Close()

	msgs := make(chan *sarama.ConsumerMessage, 256)
	errs := make(chan error, 16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for _, p := range parts {
		if state[p].done {
			continue
		}
		pc, err := consumer.ConsumePartition(o.Topic, p, state[p].next)
		if err != nil {
			return fmt.Errorf("reading %s/%d from offset %d: %w", o.Topic, p, state[p].next, err)
		}
		defer pc.AsyncClose()
		wg.Add(2)
		go func() {
			defer wg.Done()
			for m := range pc.Messages() {
				select {
				case msgs <- m:
				case <-stop:
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for e := range pc.Errors() {
				select {
				case errs <- e:
				case <-stop:
					return
				}
			}
		}()
	}

	w := bufio.NewWriterSize(o.IO.Out, 64*1024)
	defer w.Flush()
	var count int64
	allDone := func() bool {
		if !o.ExitAtEnd {
			return false
		}
		for _, st := range state {
			if !st.done {
				return false
			}
		}
		return true
	}
	summary := func(why string) {
		w.Flush()
		if !o.Quiet {
			fmt.Fprintf(o.IO.ErrOut, "consumed %d records from %s (%d partitions)%s\n", count, o.Topic, len(parts), why)
		}
	}
	if o.MaxMessages > 0 && count >= o.MaxMessages || allDone() {
		summary("")
		return nil
	}

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			summary("; interrupted")
			return nil
		case e := <-errs:
			w.Flush()
			fmt.Fprintf(o.IO.ErrOut, "irisctl: warning: %v\n", e)
		case m := <-msgs:
			st := state[m.Partition]
			if o.ExitAtEnd && m.Offset >= st.end {
				// Written after we started: past the end -e stops at.
				st.done = true
				if allDone() {
					summary("")
					return nil
				}
				continue
			}
			if err := o.print(w, m); err != nil {
				return fmt.Errorf("writing to stdout: %w", err)
			}
			count++
			st.next, st.last = m.Offset+1, time.Now()
			if o.MaxMessages > 0 && count >= o.MaxMessages {
				summary("")
				return nil
			}
			if o.ExitAtEnd && !st.done && st.next >= st.end {
				st.done = true
				if allDone() {
					summary("")
					return nil
				}
			}
			if len(msgs) == 0 {
				w.Flush()
			}
		case <-tick.C:
			if !o.ExitAtEnd {
				continue
			}
			w.Flush()
			for p, st := range state {
				if st.done || time.Since(st.last) < o.idle {
					continue
				}
				// Quiet and short of its end: the rest may be only
				// transaction markers or aborted records.
				from := max(st.next, st.checked)
				visible, upTo, err := visibleBefore(client, o.Topic, p, from, st.end, o.isolation())
				if err != nil {
					fmt.Fprintf(o.IO.ErrOut, "irisctl: warning: checking the end of %s/%d: %v\n", o.Topic, p, err)
					st.last = time.Now()
					continue
				}
				if !visible {
					st.checked = upTo
					st.done = upTo >= st.end
				}
				st.last = time.Now()
			}
			if allDone() {
				summary("")
				return nil
			}
		}
	}
}

func (o *Options) print(w *bufio.Writer, m *sarama.ConsumerMessage) error {
	if o.Output == "raw" {
		w.Write(m.Value)
		return w.WriteByte('\n')
	}
	j := Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Headers: []Header{}}
	if m.Key != nil {
		k := string(m.Key)
		j.Key = &k
	}
	if m.Value != nil {
		v := string(m.Value)
		j.Value = &v
	}
	for _, h := range m.Headers {
		if h != nil {
			j.Headers = append(j.Headers, Header{Key: string(h.Key), Value: string(h.Value)})
		}
	}
	if !m.Timestamp.IsZero() {
		j.Timestamp = m.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// endOffset asks the partition leader for the end of the partition as the
// isolation level sees it: the last stable offset for read_committed, the
// high watermark otherwise.
func endOffset(client sarama.Client, topic string, p int32, iso sarama.IsolationLevel) (int64, error) {
	leader, err := client.Leader(topic, p)
	if err != nil {
		return 0, err
	}
	req := sarama.NewOffsetRequest(client.Config().Version)
	req.IsolationLevel = iso
	req.AddBlock(topic, p, sarama.OffsetNewest, 1)
	resp, err := leader.GetAvailableOffsets(req)
	if err != nil {
		return 0, err
	}
	b := resp.GetBlock(topic, p)
	if b == nil {
		return 0, sarama.ErrIncompleteResponse
	}
	if !errors.Is(b.Err, sarama.ErrNoError) {
		return 0, b.Err
	}
	if req.Version == 0 && len(b.Offsets) > 0 {
		return b.Offsets[0], nil
	}
	return b.Offset, nil
}

// visibleBefore fetches [from, end) from the partition leader and reports
// whether it holds a record the consumer would deliver (not a transaction
// marker, nor, under read_committed, a record of an aborted transaction).
// When it does not, upTo says how far that is known.
func visibleBefore(client sarama.Client, topic string, p int32, from, end int64, iso sarama.IsolationLevel) (visible bool, upTo int64, err error) {
	leader, err := client.Leader(topic, p)
	if err != nil {
		return false, from, err
	}
	aborted := map[int64]bool{} // producer ids in an aborted transaction
	offset := from
	for range 64 {
		if offset >= end {
			return false, offset, nil
		}
		req := &sarama.FetchRequest{Version: 4, MaxWaitTime: 0, MinBytes: 1, MaxBytes: 4 << 20, Isolation: iso}
		req.AddBlock(topic, p, offset, 1<<20, -1)
		resp, err := leader.Fetch(req)
		if err != nil {
			return false, offset, err
		}
		b := resp.GetBlock(topic, p)
		if b == nil {
			return false, offset, sarama.ErrIncompleteResponse
		}
		if !errors.Is(b.Err, sarama.ErrNoError) {
			return false, offset, b.Err
		}
		txns := append([]*sarama.AbortedTransaction(nil), b.AbortedTransactions...)
		sort.Slice(txns, func(i, j int) bool { return txns[i].FirstOffset < txns[j].FirstOffset })
		progressed := false
		for _, rs := range b.RecordsSet {
			batch := rs.RecordBatch
			if batch == nil || batch.PartialTrailingRecord {
				if rs.MsgSet != nil {
					return true, offset, nil // legacy message format: assume data
				}
				break
			}
			last := batch.FirstOffset + int64(batch.LastOffsetDelta)
			for len(txns) > 0 && txns[0].FirstOffset <= last {
				aborted[txns[0].ProducerID] = true
				txns = txns[1:]
			}
			switch {
			case batch.Control:
				delete(aborted, batch.ProducerID) // the marker ends its transaction
			case iso == sarama.ReadCommitted && batch.IsTransactional && aborted[batch.ProducerID]:
			default:
				for _, r := range batch.Records {
					if o := batch.FirstOffset + r.OffsetDelta; o >= offset && o < end {
						return true, offset, nil
					}
				}
			}
			if last+1 > offset {
				offset, progressed = last+1, true
			}
		}
		if !progressed {
			return false, offset, nil // nothing more came back; try later
		}
	}
	return false, offset, nil
}

// noArgs rejects positional arguments as a usage error.
