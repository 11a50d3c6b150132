// Package stream is irisctl's consume → process → produce loop on Kafka: it
// reads records from an input topic in a consumer group, turns each value
// into an output value with a Processor and writes the result to an output
// topic, exactly once (Kafka transactions) or at least once.
//
// Exactly-once follows the design of Kafka Streams' EOS: one transactional
// producer per owned input partition, with a transactional id stable across
// restarts (prefix-group-topic-partition) so that a new owner fences the old
// one, and the consumer offsets committed inside the transaction with the
// group's generation (KIP-447). On any transaction error the open transaction
// is aborted, the session ends and the group resumes from the committed
// offsets; records are never skipped.
//
// A record the processor rejects (or that cannot be written) goes to a
// dead-letter topic in the same transaction, with the reason in its headers;
// the stream never stops for a record.
//
// The package knows nothing of MLeap: the CLI hands it a Processor.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

// Guarantee is the delivery guarantee of the stream.
type Guarantee string

const (
	// ExactlyOnce: outputs and input offsets are committed in one Kafka
	// transaction; read_committed readers see every output once.
	ExactlyOnce Guarantee = "exactly-once"
	// AtLeastOnce: an idempotent (non-transactional) producer; input offsets
	// are committed after the outputs are acknowledged, so a crash can
	// duplicate outputs but never lose one.
	AtLeastOnce Guarantee = "at-least-once"
)

// ParseGuarantee reads a guarantee as spelled on the command line.
func ParseGuarantee(s string) (Guarantee, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "exactly-once", "exactly_once", "eos":
		return ExactlyOnce, nil
	case "at-least-once", "at_least_once", "alo":
		return AtLeastOnce, nil
	}
	return "", fmt.Errorf("unknown guarantee %q: want exactly-once or at-least-once", s)
}

// Defaults of Options.
const (
	DefaultCommitInterval  = 100 * time.Millisecond
	DefaultCommitRecords   = 10000
	DefaultMaxRecordBytes  = 1 << 20
	DefaultSessionTimeout  = 10 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultTxnIDPrefix     = "irisctl"
)

// Options configure a Stream.
type Options struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Config carries the connection settings (TLS, SASL, client id, version);
	// the stream copies it and sets the consumer and producer settings it
	// needs. Nil means sarama's defaults with Kafka 3.9.
	Config *sarama.Config

	InputTopic  string
	OutputTopic string
	// DLQTopic receives rejected records.
	DLQTopic string
	// Group is the consumer group id.
	Group string
	// TxnIDPrefix starts every transactional id: prefix-group-topic-partition.
	TxnIDPrefix string

	Guarantee Guarantee
	// A transaction (at-least-once: an offset commit) is made every
	// CommitInterval after its first record, or after CommitRecords records.
	CommitInterval time.Duration
	CommitRecords  int
	// MaxRecordBytes: longer input values go to the dead-letter topic
	// without being processed.
	MaxRecordBytes int
	// SessionTimeout is the consumer-group session timeout; the transaction
	// timeout is kept below it.
	SessionTimeout time.Duration
	// ShutdownTimeout bounds Run's return after its context is cancelled.
	ShutdownTimeout time.Duration

	// Model is what the stream runs; SetModel replaces it at run time.
	Model Model
	// Challenger, if set, is run on every record as well, its output going
	// to ChallengerTopic in the same transaction (shadow scoring).
	Challenger      *Model
	ChallengerTopic string

	// Logger gets structured logs; nil discards them.
	Logger *slog.Logger
	// Metrics, if nil, are created by New.
	Metrics *Metrics
}

// Stream is one instance of the stream processor.
type Stream struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	lim     limits

	model      atomic.Pointer[Model]
	ready      atomic.Bool
	runCtx     context.Context // Run's context: once it is done, the instance is stopping
	txnTimeout time.Duration

	mu         sync.Mutex
	quarantine map[tp]map[int64]string // offsets whose output the broker refused
	suspect    map[tp]int64            // isolate records up to this offset, one per transaction
}

type tp struct {
	topic     string
	partition int32
}

// New checks the options and fills in defaults.
func New(o Options) (*Stream, error) {
	if len(o.Brokers) == 0 {
		return nil, errors.New("stream: no brokers")
	}
	for name, v := range map[string]string{"input topic": o.InputTopic, "output topic": o.OutputTopic,
		"dead-letter topic": o.DLQTopic, "group": o.Group} {
		if v == "" {
			return nil, fmt.Errorf("stream: no %s", name)
		}
	}
	if o.InputTopic == o.OutputTopic || o.InputTopic == o.DLQTopic {
		return nil, errors.New("stream: the input topic must differ from the output and dead-letter topics")
	}
	if o.Model.Processor == nil {
		return nil, errors.New("stream: no processor")
	}
	if o.Challenger != nil && (o.Challenger.Processor == nil || o.ChallengerTopic == "") {
		return nil, errors.New("stream: a challenger needs a processor and a topic")
	}
	if o.Guarantee == "" {
		o.Guarantee = ExactlyOnce
	}
	if o.Guarantee != ExactlyOnce && o.Guarantee != AtLeastOnce {
		return nil, fmt.Errorf("stream: unknown guarantee %q", o.Guarantee)
	}
	if o.TxnIDPrefix == "" {
		o.TxnIDPrefix = DefaultTxnIDPrefix
	}
	if o.CommitInterval <= 0 {
		o.CommitInterval = DefaultCommitInterval
	}
	if o.CommitRecords <= 0 {
		o.CommitRecords = DefaultCommitRecords
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Config == nil {
		o.Config = sarama.NewConfig()
		o.Config.Version = sarama.V3_9_0_0
	}
	if !o.Config.Version.IsAtLeast(sarama.V2_5_0_0) {
		return nil, fmt.Errorf("stream: Kafka protocol version %s is too old: exactly-once needs 2.5 or later", o.Config.Version)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Stream{
		opts:       o,
		log:        o.Logger,
		metrics:    o.Metrics,
		quarantine: map[tp]map[int64]string{},
		suspect:    map[tp]int64{},
	}
	// the transaction must time out before the group evicts the member
	s.txnTimeout = max(o.SessionTimeout*2/3, time.Second)
	m := o.Model
	s.model.Store(&m)
	s.metrics.setModel(nil, &m)
	return s, nil
}

// stopping reports whether Run's context is done. A session's context is
// a child of it, so a claim that sees its session end can tell a shutdown
// (finish the transaction) from a rebalance (abort it).
func (s *Stream) stopping() bool { return s.runCtx != nil && s.runCtx.Err() != nil }

// Metrics returns the stream's metrics.
func (s *Stream) Metrics() *Metrics { return s.metrics }

// Ready reports whether the instance is in a consumer-group session.
func (s *Stream) Ready() bool { return s.ready.Load() }

// SetModel replaces the model; each partition switches to it at the start
// of its next transaction, so no transaction mixes two models.
func (s *Stream) SetModel(m Model) error {
	if m.Processor == nil {
		return errors.New("stream: no processor")
	}
	old := s.model.Swap(&m)
	s.metrics.setModel(old, &m)
	s.log.Info("model replaced", "name", m.Name, "uid", m.UID, "old_name", old.Name, "old_uid", old.UID)
	return nil
}

// Reload loads a model with load and serves it from the next transaction
// on. When load fails, the current model stays and the failure is counted
// (metric irisctl_stream_model_reloads_total{result="failed"}).
func (s *Stream) Reload(load func() (Model, error)) error {
	m, err := load()
	if err == nil {
		err = s.SetModel(m)
	}
	if err != nil {
		s.metrics.reloads.WithLabelValues("failed").Inc()
		s.log.Error("model reload failed; keeping the current model", "err", err)
		return err
	}
	s.metrics.reloads.WithLabelValues("ok").Inc()
	return nil
}

// clientConfig copies the connection settings for one sarama client.
func (s *Stream) clientConfig() *sarama.Config {
	c := *s.opts.Config
	// each client gets its own registry (sarama's own metrics are not
	// exported; sharing one registry across short-lived producers grows it)
	c.MetricRegistry = metrics.NewRegistry()
	return &c
}

func (s *Stream) consumerConfig() *sarama.Config {
	c := s.clientConfig()
	c.Consumer.IsolationLevel = sarama.ReadCommitted
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	// the first fetch of a partition waits (UNSTABLE_OFFSET_COMMIT) while a
	// transaction that commits its offset is open: wait longer than the
	// transaction timeout, at Metadata.Retry.Backoff per try
	backoff := c.Metadata.Retry.Backoff
	if backoff <= 0 {
		backoff = 250 * time.Millisecond
	}
	c.Consumer.Offsets.Retry.Max = int((s.txnTimeout+10*time.Second)/backoff) + 1
	c.Consumer.Return.Errors = true
	c.Consumer.Group.Session.Timeout = s.opts.SessionTimeout
	c.Consumer.Group.Heartbeat.Interval = max(s.opts.SessionTimeout/5, 100*time.Millisecond)
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	c.Consumer.Group.Rebalance.Timeout = max(30*time.Second, 2*s.opts.SessionTimeout)
	c.Consumer.Group.Rebalance.Retry.Max = 10
	c.Consumer.Group.Rebalance.Retry.Backoff = 500 * time.Millisecond
	return c
}

// txnBackoff spaces the retries of transactional requests: short first
// (CONCURRENT_TRANSACTIONS right after a commit clears in a few ms), then
// longer, so that 50 tries wait out a fenced zombie's abort (~10 s).
func txnBackoff(retries, _ int) time.Duration {
	d := 5 * time.Millisecond << min(retries, 6)
	return min(d, 250*time.Millisecond)
}

func (s *Stream) producerConfig(txnID string, srcPartition int32) *sarama.Config {
	c := s.clientConfig()
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Retry.Max = 10
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	c.Producer.Return.Errors = true
	c.Producer.Return.Successes = s.opts.Guarantee == AtLeastOnce
	c.Producer.Partitioner = func(topic string) sarama.Partitioner { return newPartitioner(topic, srcPartition) }
	c.Producer.Flush.Frequency = time.Millisecond
	c.Producer.Flush.Bytes = 256 << 10
	if s.opts.Guarantee == ExactlyOnce {
		c.Producer.Transaction.ID = txnID
		c.Producer.Transaction.Timeout = s.txnTimeout
		c.Producer.Transaction.Retry.Max = 50
		c.Producer.Transaction.Retry.BackoffFunc = txnBackoff
	}
	return c
}

// Run runs the stream until ctx is cancelled, then finishes or aborts the
// open transactions, leaves the group and returns nil; it returns an error
// if that takes longer than the shutdown timeout or the setup fails for a
// reason that waiting cannot fix (a missing topic).
func (s *Stream) Run(ctx context.Context) error {
	s.runCtx = ctx
	if err := s.checkTopics(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	group, err := s.newGroup(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	s.log.Info("stream started", "input", s.opts.InputTopic, "output", s.opts.OutputTopic,
		"dlq", s.opts.DLQTopic, "group", s.opts.Group, "guarantee", string(s.opts.Guarantee),
		"commit_interval", s.opts.CommitInterval.String(), "commit_records", s.opts.CommitRecords)

	go func() {
		for err := range group.Errors() {
			s.log.Warn("consumer group", "err", err)
		}
	}()

	h := &handler{s: s}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		failures := 0
		for ctx.Err() == nil {
			h.failed.Store(false)
			err := group.Consume(ctx, []string{s.opts.InputTopic}, h)
			if ctx.Err() != nil {
				return
			}
			if err == nil && !h.failed.Load() {
				failures = 0
				continue
			}
			if err != nil {
				s.log.Warn("consumer group session failed; rejoining", "err", err)
			}
			// back off a little when sessions keep failing (broker down)
			failures++
			d := min(50*time.Millisecond<<min(failures, 7), 5*time.Second, s.opts.SessionTimeout/2)
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
	}()

	<-ctx.Done()
	s.log.Info("stopping: finishing open transactions and leaving the group",
		"timeout", s.opts.ShutdownTimeout.String())
	deadline := time.NewTimer(s.opts.ShutdownTimeout)
	defer deadline.Stop()
	closed := make(chan error, 1)
	go func() {
		<-loopDone
		closed <- group.Close()
	}()
	select {
	case err := <-closed:
		if err != nil {
			s.log.Warn("closing the consumer group", "err", err)
		}
		s.log.Info("stream stopped")
		return nil
	case <-deadline.C:
		return fmt.Errorf("stream: shutdown took longer than %s; the broker aborts the open transactions", s.opts.ShutdownTimeout)
	}
}

// retry calls f until it succeeds, returns a permanent error, or ctx ends.
func retry(ctx context.Context, log *slog.Logger, what string, f func() (permanent bool, err error)) error {
	d := 200 * time.Millisecond
	for {
		permanent, err := f()
		if err == nil || permanent {
			return err
		}
		log.Warn(what+" failed; retrying", "err", err, "in", d.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		d = min(2*d, 5*time.Second)
	}
}

func (s *Stream) newGroup(ctx context.Context) (sarama.ConsumerGroup, error) {
	var g sarama.ConsumerGroup
	err := retry(ctx, s.log, "joining the consumer group", func() (bool, error) {
		var err error
		g, err = sarama.NewConsumerGroup(s.opts.Brokers, s.opts.Group, s.consumerConfig())
		return false, err
	})
	return g, err
}

// ErrNoTopic: a topic the stream reads or writes does not exist.
var ErrNoTopic = errors.New("topic does not exist")

// topicWait is how long a missing topic is waited for at start.
const topicWait = 20 * time.Second

// checkTopics makes sure the topics exist and reads the size limit and the
// cleanup policy of the ones written to.
func (s *Stream) checkTopics(ctx context.Context) error {
	// a topic created a moment ago may not be known to every broker yet
	missingSince := time.Time{}
	return retry(ctx, s.log, "reading the topics' configuration", func() (bool, error) {
		admin, err := sarama.NewClusterAdmin(s.opts.Brokers, s.clientConfig())
		if err != nil {
			return false, err
		}
		defer admin.Close()
		topics := []string{s.opts.InputTopic, s.opts.OutputTopic, s.opts.DLQTopic}
		if s.opts.Challenger != nil {
			topics = append(topics, s.opts.ChallengerTopic)
		}
		metas, err := admin.DescribeTopics(topics)
		if err != nil {
			return false, err
		}
		for _, m := range metas {
			switch {
			case errors.Is(m.Err, sarama.ErrUnknownTopicOrPartition):
				if missingSince.IsZero() {
					missingSince = time.Now()
				}
				return time.Since(missingSince) > topicWait, fmt.Errorf("topic %s: %w", m.Name, ErrNoTopic)
			case m.Err != sarama.ErrNoError:
				return false, fmt.Errorf("topic %s: %w", m.Name, m.Err)
			}
		}
		lim := limits{maxInput: s.opts.MaxRecordBytes}
		for _, t := range []struct {
			name      string
			max       *int
			compacted *bool
		}{{s.opts.OutputTopic, &lim.maxOutput, &lim.outCompacted}, {s.opts.DLQTopic, &lim.maxDLQ, &lim.dlqCompacted}} {
			entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: t.name,
				ConfigNames: []string{"max.message.bytes", "cleanup.policy"}})
			if err != nil {
				// e.g. no DescribeConfigs permission: go on with the
				// producer's limit; the broker's refusals are still handled
				s.log.Warn("cannot read the topic's configuration; assuming the producer's size limit and no compaction",
					"topic", t.name, "err", err)
				continue
			}
			for _, e := range entries {
				switch e.Name {
				case "max.message.bytes":
					if n, err := strconv.Atoi(e.Value); err == nil && n > 0 {
						*t.max = n
					}
				case "cleanup.policy":
					*t.compacted = strings.Contains(e.Value, "compact")
				}
			}
		}
		pmax := s.opts.Config.Producer.MaxMessageBytes
		if lim.maxOutput == 0 || lim.maxOutput > pmax {
			lim.maxOutput = pmax
		}
		if lim.maxDLQ == 0 || lim.maxDLQ > pmax {
			lim.maxDLQ = pmax
		}
		s.lim = lim
		return false, nil
	})
}

// quarantined returns a copy of the partition's quarantined offsets, with
// the reasons the broker gave for refusing their output (nil if none).
func (s *Stream) quarantined(t tp) map[int64]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.quarantine[t]) == 0 {
		return nil
	}
	q := make(map[int64]string, len(s.quarantine[t]))
	maps.Copy(q, s.quarantine[t])
	return q
}

func (s *Stream) addQuarantine(t tp, offset int64, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quarantine[t] == nil {
		s.quarantine[t] = map[int64]string{}
	}
	s.quarantine[t][offset] = reason
}

// forget drops quarantine entries below the committed offset.
func (s *Stream) forget(t tp, committed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for off := range s.quarantine[t] {
		if off < committed {
			delete(s.quarantine[t], off)
		}
	}
	if len(s.quarantine[t]) == 0 {
		delete(s.quarantine, t)
	}
	if s.suspect[t] < committed {
		delete(s.suspect, t)
	}
}

func (s *Stream) suspectUpTo(t tp) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off, ok := s.suspect[t]
	return off, ok
}

func (s *Stream) setSuspect(t tp, upTo int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suspect[t] = max(s.suspect[t], upTo)
}
