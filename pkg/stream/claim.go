package stream

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// errSessionDone ends a claim because its session is over.
var errSessionDone = errors.New("session done")

// handler is the consumer-group handler: one worker per claimed partition.
type handler struct {
	s      *Stream
	failed atomic.Bool // a claim ended its session with an error

	mu        sync.Mutex
	producers []*producer // closed on Cleanup
}

func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	n := 0
	for _, ps := range sess.Claims() {
		n += len(ps)
	}
	h.s.metrics.assigned.Set(float64(n))
	h.s.metrics.sessions.Inc()
	h.s.log.Info("group session started", "generation", sess.GenerationID(), "member", sess.MemberID(),
		"partitions", sess.Claims()[h.s.opts.InputTopic])
	h.s.ready.Store(true)
	return nil
}

func (h *handler) Cleanup(sess sarama.ConsumerGroupSession) error {
	h.s.ready.Store(false)
	h.mu.Lock()
	ps := h.producers
	h.producers = nil
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(p.close)
	}
	wg.Wait()
	for topic, parts := range sess.Claims() {
		for _, p := range parts {
			h.s.metrics.dropLag(topic, p)
		}
	}
	h.s.metrics.assigned.Set(0)
	h.s.log.Info("group session ended", "generation", sess.GenerationID())
	return nil
}

func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	w := &worker{
		s: h.s, h: h, sess: sess, claim: claim,
		tp:  tp{claim.Topic(), claim.Partition()},
		eos: h.s.opts.Guarantee == ExactlyOnce,
	}
	w.log = h.s.log.With("topic", claim.Topic(), "partition", claim.Partition())
	if err := w.run(); err != nil && !errors.Is(err, errSessionDone) {
		// returning ends the whole session: the group rejoins and every
		// partition resumes from its committed offset
		h.failed.Store(true)
	}
	return nil
}

// producer is one sarama producer with its Errors (and, at-least-once,
// Successes) channels drained all the time, as sarama needs.
type producer struct {
	p        sarama.AsyncProducer
	errs     chan *sarama.ProducerError // the first errors, for the worker
	failed   atomic.Int64
	acked    atomic.Int64
	progress chan struct{}
	drained  sync.WaitGroup
	once     sync.Once
}

func (s *Stream) newProducer(txnID string, src int32) (*producer, error) {
	ap, err := sarama.NewAsyncProducer(s.opts.Brokers, s.producerConfig(txnID, src))
	if err != nil {
		return nil, err
	}
	p := &producer{p: ap, errs: make(chan *sarama.ProducerError, 1), progress: make(chan struct{}, 1)}
	p.drained.Go(func() {
		for pe := range ap.Errors() {
			p.failed.Add(1)
			select {
			case p.errs <- pe:
			default:
			}
			p.signal()
		}
	})
	p.drained.Go(func() {
		for range ap.Successes() {
			p.acked.Add(1)
			p.signal()
		}
	})
	return p, nil
}

func (p *producer) signal() {
	select {
	case p.progress <- struct{}{}:
	default:
	}
}

// close shuts the producer down and waits until its channels are drained.
func (p *producer) close() {
	p.once.Do(func() {
		p.p.AsyncClose()
		p.drained.Wait()
	})
}

// worker runs the loop of one claimed input partition.
type worker struct {
	s     *Stream
	h     *handler
	sess  sarama.ConsumerGroupSession
	claim sarama.ConsumerGroupClaim
	tp    tp
	log   *slog.Logger
	eos   bool

	prod  *producer
	model *Model
	step  *step
	chal  *step // the challenger: its processor and headers
	arena []byte

	// the open transaction (at-least-once: the open batch)
	inTxn   bool
	dirty   bool // a record was taken but not handed to the producer: never commit
	began   time.Time
	n       int   // input records
	last    int64 // offset of the last input record
	sent    int64 // records handed to the producer, ever (at-least-once waits for their acks)
	outs    int
	chalOut int
	dlq     map[string]int
	agree   [3]int // agree, disagree, error

	suspectUpTo   int64            // records up to this offset go one per transaction
	quarantine    map[int64]string // snapshot of the partition's quarantined offsets
	failedAtBegin int64
	timer         *time.Timer
}

func (w *worker) txnID() string {
	return fmt.Sprintf("%s-%s-%s-%d", w.s.opts.TxnIDPrefix, w.s.opts.Group, w.tp.topic, w.tp.partition)
}

// open creates the partition's producer. For exactly-once this fences any
// older producer with the same transactional id and aborts its open
// transaction (InitProducerId).
func (w *worker) open() error {
	d := 100 * time.Millisecond
	for {
		p, err := w.s.newProducer(w.txnID(), w.tp.partition)
		if err == nil {
			w.prod = p
			w.h.mu.Lock()
			w.h.producers = append(w.h.producers, p)
			w.h.mu.Unlock()
			return nil
		}
		if w.sess.Context().Err() != nil {
			return errSessionDone
		}
		w.log.Warn("creating the producer failed; retrying", "err", err, "transactional_id", w.txnID(), "in", d.String())
		select {
		case <-w.sess.Context().Done():
			return errSessionDone
		case <-time.After(d):
		}
		d = min(2*d, 5*time.Second)
	}
}

func (w *worker) run() error {
	if err := w.open(); err != nil {
		return err
	}
	w.dlq = map[string]int{}
	w.suspectUpTo = -1
	if off, ok := w.s.suspectUpTo(w.tp); ok {
		w.suspectUpTo = off
	}
	w.quarantine = w.s.quarantined(w.tp)
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
	defer w.timer.Stop()
	w.s.metrics.setLag(w.tp.topic, w.tp.partition, w.claim.HighWaterMarkOffset()-w.claim.InitialOffset())
	w.log.Debug("claim started", "offset", w.claim.InitialOffset())

	msgs := w.claim.Messages()
	done := w.sess.Context().Done()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return w.stop()
			}
			if err := w.add(m); err != nil {
				if errors.Is(err, errSessionDone) {
					return w.stop()
				}
				return w.fail(err)
			}
			if w.n >= w.s.opts.CommitRecords || w.last <= w.suspectUpTo {
				if err := w.commit(); err != nil {
					return w.fail(err)
				}
			}
		case <-w.timer.C:
			if w.inTxn {
				if err := w.commit(); err != nil {
					return w.fail(err)
				}
			}
		case pe := <-w.prod.errs:
			return w.fail(pe)
		case <-done:
			return w.stop()
		}
	}
}

// begin starts a transaction (at-least-once: a batch) with the current model.
func (w *worker) begin() error {
	if m := w.s.model.Load(); m != w.model {
		w.model = m
		w.step = newStep(w.s.opts.OutputTopic, w.s.opts.DLQTopic, w.s.lim, m)
	}
	if w.chal == nil && w.s.opts.Challenger != nil {
		w.chal = newStep(w.s.opts.ChallengerTopic, "", limits{}, w.s.opts.Challenger)
	}
	if w.eos {
		if err := w.prod.p.BeginTxn(); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
	}
	w.inTxn, w.dirty = true, false
	w.began = time.Now()
	w.n, w.outs, w.chalOut = 0, 0, 0
	clear(w.dlq)
	w.agree = [3]int{}
	w.failedAtBegin = w.prod.failed.Load()
	w.timer.Reset(w.s.opts.CommitInterval)
	return nil
}

// add processes one input record and hands its output (or dead letter) to
// the producer.
func (w *worker) add(m *sarama.ConsumerMessage) error {
	if !w.inTxn {
		if err := w.begin(); err != nil {
			return err
		}
	}
	w.dirty = true // until the record is with the producer
	t0 := time.Now()
	res, arena := w.step.apply(w.arena, m, w.quarantine[m.Offset])
	w.arena = arena
	w.s.metrics.processSeconds.Observe(time.Since(t0).Seconds())
	if err := w.send(res.msg); err != nil {
		return err
	}
	if res.class != "" {
		w.dlq[res.class]++
		w.log.Debug("record dead-lettered", "offset", m.Offset, "class", res.class)
	} else {
		w.outs++
		if w.chal != nil {
			if err := w.challenge(m, res.msg); err != nil {
				return err
			}
		}
	}
	w.n++
	w.last = m.Offset
	w.dirty = false
	return nil
}

// challenge runs the challenger model on the record and writes its output
// to the challenger topic in the same transaction.
func (w *worker) challenge(m *sarama.ConsumerMessage, champion *sarama.ProducerMessage) error {
	start := len(w.arena)
	out, err := process(w.chal.proc, w.arena, m.Value)
	if err != nil {
		w.agree[2]++
		w.arena = w.arena[:start]
		return nil
	}
	w.arena = out
	value := out[start:len(out):len(out)]
	if champ, ok := champion.Value.(sarama.ByteEncoder); ok && bytes.Equal(champ, value) {
		w.agree[0]++
	} else {
		w.agree[1]++
	}
	msg := &sarama.ProducerMessage{Topic: w.s.opts.ChallengerTopic, Key: champion.Key,
		Value: sarama.ByteEncoder(value), Headers: w.chal.headers, Timestamp: m.Timestamp, Metadata: m.Offset}
	if err := w.send(msg); err != nil {
		return err
	}
	w.chalOut++
	return nil
}

// send hands msg to the producer, watching for producer errors and the end
// of the session while the producer's input is full.
func (w *worker) send(msg *sarama.ProducerMessage) error {
	select {
	case w.prod.p.Input() <- msg:
		w.sent++
		return nil
	case pe := <-w.prod.errs:
		return pe
	case <-w.sess.Context().Done():
		return errSessionDone
	}
}

// commit ends the open transaction: the input offset after the last record
// goes into the transaction with the group's current generation (KIP-447)
// and the transaction is committed. At-least-once waits until every output
// is acknowledged, then commits the offset.
func (w *worker) commit() error {
	t0 := time.Now()
	next := w.last + 1
	if w.eos {
		gm := sarama.NewConsumerGroupMetadataFromSession(w.sess, w.s.opts.Group, nil)
		offsets := map[string][]*sarama.PartitionOffsetMetadata{
			w.tp.topic: {{Partition: w.tp.partition, Offset: next}},
		}
		if err := w.prod.p.AddOffsetsToTxnWithGroupMetadata(offsets, gm); err != nil {
			return fmt.Errorf("add offsets to transaction: %w", err)
		}
		if err := w.prod.p.CommitTxn(); err != nil {
			return fmt.Errorf("commit transaction: %w", err)
		}
	} else {
		if err := w.awaitAcks(); err != nil {
			return err
		}
		w.sess.MarkOffset(w.tp.topic, w.tp.partition, next, "")
		w.sess.Commit()
	}
	w.inTxn = false
	w.timer.Stop()
	w.arena = w.arena[:0]
	w.s.forget(w.tp, next)

	mt := w.s.metrics
	mt.commitSeconds.Observe(time.Since(t0).Seconds())
	mt.commits.Inc()
	mt.txnRecords.Observe(float64(w.n))
	mt.recordsIn.Add(float64(w.n))
	mt.recordsOut.Add(float64(w.outs))
	for class, k := range w.dlq {
		mt.deadLettered.WithLabelValues(class).Add(float64(k))
	}
	if w.chal != nil {
		mt.challengerOut.Add(float64(w.chalOut))
		for i, r := range []string{"agree", "disagree", "error"} {
			if w.agree[i] > 0 {
				mt.agreement.WithLabelValues(r).Add(float64(w.agree[i]))
			}
		}
	}
	mt.setLag(w.tp.topic, w.tp.partition, w.claim.HighWaterMarkOffset()-next)
	return nil
}

// awaitAcks waits until the producer has acknowledged every record sent.
func (w *worker) awaitAcks() error {
	limit := time.NewTimer(2 * time.Minute)
	defer limit.Stop()
	for w.prod.acked.Load() < w.sent {
		select {
		case pe := <-w.prod.errs:
			return pe
		case <-w.prod.progress:
		case <-limit.C:
			return fmt.Errorf("%d records not acknowledged after 2m", w.sent-w.prod.acked.Load())
		}
	}
	return nil
}

// stop ends the claim because the session is over. On shutdown the open
// transaction is committed (the generation is still valid: the group is left
// only afterwards); on a rebalance it is aborted and the new owner redoes it.
// At-least-once always finishes the batch to keep duplicates down.
func (w *worker) stop() error {
	if !w.inTxn {
		return errSessionDone
	}
	if !w.dirty && w.n > 0 && (!w.eos || w.s.stopping()) {
		if err := w.commit(); err != nil {
			return w.fail(err)
		}
		return errSessionDone
	}
	w.abort("rebalance")
	return errSessionDone
}

// abort ends the open transaction without committing it. If the producer is
// in a fatal state, or aborting fails too, the producer is closed: the next
// owner's producer fences it and the broker aborts the transaction. When
// abort returns, every record sent has been acknowledged or failed.
func (w *worker) abort(reason string) {
	if w.inTxn {
		w.s.metrics.aborts.WithLabelValues(reason).Inc()
	}
	w.inTxn = false
	w.timer.Stop()
	w.arena = w.arena[:0]
	if !w.eos {
		w.settle()
		return
	}
	st := w.prod.p.TxnStatus()
	switch {
	case st&sarama.ProducerTxnFlagFatalError != 0:
		w.log.Warn("producer in a fatal state; closing it", "status", st.String())
		w.prod.close()
	case st&(sarama.ProducerTxnFlagInTransaction|sarama.ProducerTxnFlagAbortableError) != 0:
		if err := w.prod.p.AbortTxn(); err != nil {
			w.log.Warn("aborting the transaction failed; closing the producer", "err", err,
				"status", w.prod.p.TxnStatus().String())
			w.prod.close()
		}
	case st&sarama.ProducerTxnFlagReady == 0:
		// half-way through a commit or an epoch bump that failed
		w.log.Warn("producer left in an unexpected state; closing it", "status", st.String())
		w.prod.close()
	}
}

// settle waits (boundedly) until every record sent is acknowledged or failed.
func (w *worker) settle() {
	limit := time.NewTimer(30 * time.Second)
	defer limit.Stop()
	for w.prod.acked.Load()+w.prod.failed.Load() < w.sent {
		select {
		case <-w.prod.progress:
		case <-limit.C:
			return
		}
	}
}

// fail handles an error of the open transaction: abort it (or drop the
// producer) and end the claim, which ends the session; the group resumes
// from the committed offsets, so nothing is lost or written twice.
func (w *worker) fail(err error) error {
	var pe *sarama.ProducerError
	isProduce := errors.As(err, &pe)
	fenced := errors.Is(err, sarama.ErrProducerFenced) || errors.Is(err, sarama.ErrInvalidProducerEpoch)
	reason := "error"
	switch {
	case fenced:
		reason = "fenced"
		w.s.metrics.fenced.Inc()
	case isProduce:
		reason = "produce"
	}
	attrs := []any{"err", err, "reason", reason, "records", w.n}
	if isProduce {
		if off, ok := pe.Msg.Metadata.(int64); ok {
			attrs = append(attrs, "record_offset", off)
		}
	}
	if w.eos {
		attrs = append(attrs, "status", w.prod.p.TxnStatus().String())
	}
	w.log.Warn("transaction failed; aborting and resuming from the committed offset", attrs...)
	w.abort(reason)
	if fenced {
		w.prod.close()
	}
	// the failed records are all back now; a commit may have failed on a
	// record error that the producer reported on its Errors channel
	if !isProduce {
		select {
		case pe = <-w.prod.errs:
			isProduce = true
		default:
		}
	}
	if isProduce && recordRefused(pe.Err) {
		w.isolate(pe, w.prod.failed.Load()-w.failedAtBegin)
	}
	return err
}

// isolate handles a record the broker refused (too large, invalid). If it
// was the only record that failed in its transaction, its offset is
// quarantined: the next attempt dead-letters it. Otherwise (the broker fails
// a whole batch) the records of the failed transaction are retried one per
// transaction, which singles it out.
func (w *worker) isolate(pe *sarama.ProducerError, failed int64) {
	off, ok := pe.Msg.Metadata.(int64)
	if !ok {
		return
	}
	if failed <= 1 || off <= w.suspectUpTo {
		w.log.Warn("the broker refused the output of a record; the next attempt dead-letters it",
			"offset", off, "err", pe.Err)
		w.s.addQuarantine(w.tp, off, "the broker refused the output record: "+pe.Err.Error())
		return
	}
	w.log.Warn("the broker refused a batch; retrying its records one per transaction",
		"up_to_offset", max(w.last, off), "err", pe.Err)
	w.s.setSuspect(w.tp, max(w.last, off))
}

// recordRefused reports errors about a record itself, which retrying cannot fix.
func recordRefused(err error) bool {
	var ce sarama.ConfigurationError
	return errors.Is(err, sarama.ErrMessageSizeTooLarge) || errors.Is(err, sarama.ErrInvalidMessage) ||
		errors.Is(err, sarama.ErrInvalidRecord) || errors.Is(err, sarama.ErrInvalidTimestamp) ||
		errors.Is(err, sarama.ErrInvalidMessageSize) || errors.As(err, &ce)
}
