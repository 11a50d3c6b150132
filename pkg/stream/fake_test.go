package stream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	st "github.com/irisctl/irisctl/pkg/stream/streamtest"
)

// These tests run against kfake, an in-process broker, so they run
// everywhere; the tests against a real broker are in broker_test.go.

func fakeOptions(brokers []string, in, out, dlq, group string) Options {
	return Options{
		Brokers: brokers, Config: st.Config(),
		InputTopic: in, OutputTopic: out, DLQTopic: dlq, Group: group,
		Model:           Model{Processor: fakeIris, Name: "iris-fake", UID: "u1"},
		CommitInterval:  20 * time.Millisecond,
		CommitRecords:   500,
		SessionTimeout:  3 * time.Second,
		ShutdownTimeout: 10 * time.Second,
	}
}

// TestExactlyOnceFake: two instances with a rebalance in the middle, one
// leaving, injected transaction failures (stale generation on the offset
// commit, dropped connections at EndTxn, retriable produce errors) and
// poison records: every input exactly once, in order, dead letters with
// reasons.
func TestExactlyOnceFake(t *testing.T) {
	c, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 4, nil, in)
	st.CreateTopics(t, brokers, 3, nil, out)
	st.CreateTopics(t, brokers, 1, nil, dlq)

	var offsetCommits, endTxns, produces, injected atomic.Int64
	c.ControlKey(int16(kmsg.TxnOffsetCommit), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if offsetCommits.Add(1)%9 != 0 {
			return nil, nil, false
		}
		injected.Add(1)
		req := r.(*kmsg.TxnOffsetCommitRequest)
		resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewTxnOffsetCommitResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = 22 // ILLEGAL_GENERATION: abortable
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if endTxns.Add(1)%13 != 0 {
			return nil, nil, false
		}
		injected.Add(1)
		return nil, errDropConnection, true // the client retries EndTxn
	})
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		if req.TransactionID == nil || produces.Add(1)%17 != 0 {
			return nil, nil, false // the test's own producer is left alone
		}
		injected.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = 19 // NOT_ENOUGH_REPLICAS: retriable
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})

	ins := st.IrisInputs(20000, 4, 97)
	st.Produce(t, brokers, in, ins[:10000])

	o := fakeOptions(brokers, in, out, dlq, group)
	stopA := runStream(t, o)
	st.WaitCommitted(t, brokers, group, in, 3000, 30*time.Second)
	stopB := runStream(t, o) // rebalance
	st.Produce(t, brokers, in, ins[10000:])
	st.WaitCommitted(t, brokers, group, in, 14000, 30*time.Second)
	if err := stopA(); err != nil { // B takes over everything
		t.Errorf("instance A: %v", err)
	}
	if got := st.WaitCommitted(t, brokers, group, in, int64(len(ins)), 60*time.Second); got != int64(len(ins)) {
		t.Fatalf("committed %d input offsets, want %d", got, len(ins))
	}
	if err := stopB(); err != nil {
		t.Errorf("instance B: %v", err)
	}

	bad := len(ins) / 97
	outs := st.ReadCommitted(t, brokers, out, len(ins)-bad, 20*time.Second)
	dlqs := st.ReadCommitted(t, brokers, dlq, bad, 20*time.Second)
	res := st.Verify(ins, fakeIris, outs, dlqs)
	t.Logf("inputs=%d outputs=%d dead-lettered=%d injected faults=%d: %s", len(ins), len(outs), len(dlqs), injected.Load(), res)
	if res != (st.Check{DeadLettered: bad}) || len(outs) != len(ins)-bad {
		t.Fatalf("not exactly once: %s", res)
	}
	if injected.Load() < 5 {
		t.Errorf("only %d faults injected", injected.Load())
	}
	for _, o := range outs[:10] {
		if o.Headers[HeaderModelName] != "iris-fake" || o.Headers[HeaderModelUID] != "u1" {
			t.Fatalf("output headers %v", o.Headers)
		}
	}
}

var errDropConnection = &dropErr{}

type dropErr struct{}

func (*dropErr) Error() string { return "injected: connection dropped" }

// TestAtLeastOnceFake: the at-least-once mode loses nothing across a
// rebalance and a member leaving.
func TestAtLeastOnceFake(t *testing.T) {
	_, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 4, nil, in)
	st.CreateTopics(t, brokers, 2, nil, out, dlq)
	ins := st.IrisInputs(8000, 4, 50)
	st.Produce(t, brokers, in, ins)
	o := fakeOptions(brokers, in, out, dlq, group)
	o.Guarantee = AtLeastOnce
	stopA := runStream(t, o)
	st.WaitCommitted(t, brokers, group, in, 2000, 30*time.Second)
	stopB := runStream(t, o)
	st.WaitCommitted(t, brokers, group, in, 5000, 30*time.Second)
	if err := stopA(); err != nil {
		t.Error(err)
	}
	st.WaitCommitted(t, brokers, group, in, int64(len(ins)), 30*time.Second)
	if err := stopB(); err != nil {
		t.Error(err)
	}
	bad := len(ins) / 50
	outs := st.ReadCommitted(t, brokers, out, len(ins)-bad, 20*time.Second)
	dlqs := st.ReadCommitted(t, brokers, dlq, bad, 20*time.Second)
	res := st.Verify(ins, fakeIris, outs, dlqs)
	t.Logf("inputs=%d outputs=%d dead-lettered=%d: %s", len(ins), len(outs), len(dlqs), res)
	if res.Missing != 0 || res.Extra != 0 || res.WrongValue != 0 || res.WithoutReason != 0 {
		t.Fatalf("at-least-once lost or garbled records: %s", res)
	}
}

// TestShutdownFake: cancelling Run commits the open work, leaves the group
// and returns nil promptly; a restart goes on where it stopped, with no
// duplicates. It also checks the HTTP endpoints.
func TestShutdownFake(t *testing.T) {
	_, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 2, nil, in, out, dlq)
	ins := st.IrisInputs(4000, 2, 0)
	st.Produce(t, brokers, in, ins[:2000])
	o := fakeOptions(brokers, in, out, dlq, group)
	o.CommitInterval = time.Hour // commits only by count or at shutdown
	o.CommitRecords = 10000
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !s.Ready() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if code := get(t, srv.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d in a session", code)
	}
	time.Sleep(500 * time.Millisecond) // records are read, the transactions stay open
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(o.ShutdownTimeout + 5*time.Second):
		t.Fatal("Run did not return after cancel")
	}
	t.Logf("shutdown took %v", time.Since(t0))
	if got := st.WaitCommitted(t, brokers, group, in, 2000, 5*time.Second); got != 2000 {
		t.Fatalf("after shutdown %d offsets committed, want 2000 (the open transactions are finished)", got)
	}
	if code := get(t, srv.URL+"/readyz"); code != 503 {
		t.Errorf("/readyz = %d after shutdown", code)
	}
	body := getBody(t, srv.URL+"/metrics")
	for _, m := range []string{"irisctl_stream_records_in_total 2000", "irisctl_stream_model_info{name=\"iris-fake\",uid=\"u1\"} 1",
		"irisctl_stream_commit_seconds_bucket", "irisctl_stream_process_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}

	st.Produce(t, brokers, in, ins[2000:])
	o.CommitInterval = 20 * time.Millisecond
	stop := runStream(t, o)
	st.WaitCommitted(t, brokers, group, in, int64(len(ins)), 30*time.Second)
	if err := stop(); err != nil {
		t.Error(err)
	}
	outs := st.ReadCommitted(t, brokers, out, len(ins), 20*time.Second)
	if res := st.Verify(ins, fakeIris, outs, nil); res != (st.Check{}) {
		t.Fatalf("after restart: %s", res)
	}
}

// TestRefusedRecordFake: the broker refuses one output record (as it would
// one too large for the topic): the transaction aborts, the records are
// retried one per transaction, the refused one goes to the dead-letter
// topic, and nothing else is lost or doubled.
func TestRefusedRecordFake(t *testing.T) {
	c, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	st.CreateTopics(t, brokers, 1, nil, in, out, dlq)
	ins := st.IrisInputs(3000, 1, 0)
	ins[1234].Value = []byte("9.9,9.9,9.9,9.9") // the record the broker refuses
	st.Produce(t, brokers, in, ins)
	var refused atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		hit := false
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if strings.Contains(string(p.Records), "9.9,9.9,9.9,9.9") && t.Topic == out {
					hit = true
				}
			}
		}
		if !hit {
			return nil, nil, false
		}
		refused.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = 10 // MESSAGE_TOO_LARGE
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	stop := runStream(t, fakeOptions(brokers, in, out, dlq, group))
	if got := st.WaitCommitted(t, brokers, group, in, int64(len(ins)), 60*time.Second); got != int64(len(ins)) {
		t.Fatalf("committed %d of %d", got, len(ins))
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
	outs := st.ReadCommitted(t, brokers, out, len(ins)-1, 20*time.Second)
	dlqs := st.ReadCommitted(t, brokers, dlq, 1, 10*time.Second)
	t.Logf("refused produce requests: %d, outputs %d, dead letters %d", refused.Load(), len(outs), len(dlqs))
	if len(dlqs) != 1 || dlqs[0].Key != "0:1234" || dlqs[0].Headers[HeaderErrorClass] != ClassQuarantined ||
		!strings.Contains(dlqs[0].Headers[HeaderErrorReason], "too large") {
		t.Fatalf("dead letters: %+v", dlqs)
	}
	seen := map[string]int{}
	for _, o := range outs {
		seen[o.Key]++
	}
	if len(outs) != len(ins)-1 || len(seen) != len(ins)-1 {
		t.Fatalf("%d outputs, %d distinct, want %d", len(outs), len(seen), len(ins)-1)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestReloadAndChallengerFake: a new model takes over between transactions
// (outputs name it in their headers), a failed reload keeps the old one and
// is counted, and a challenger's outputs go to their own topic in the same
// transactions, with agreement counted.
func TestReloadAndChallengerFake(t *testing.T) {
	_, brokers := st.Fake(t)
	in, out, dlq, group := st.Names(t)
	chal := in + "-challenger"
	st.CreateTopics(t, brokers, 2, nil, in, out, dlq, chal)
	// the challenger says "setosa" for everything: it agrees on setosas only
	setosa := ProcessorFunc(func(dst, v []byte) ([]byte, error) {
		if _, err := fakeIris(nil, v); err != nil {
			return dst, err
		}
		return append(append(dst, v...), ",Iris-setosa"...), nil
	})
	o := fakeOptions(brokers, in, out, dlq, group)
	o.Challenger = &Model{Processor: setosa, Name: "challenger", UID: "c1"}
	o.ChallengerTopic = chal
	o.Logger = testLogger()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	ins := st.IrisInputs(3000, 2, 0)
	st.Produce(t, brokers, in, ins[:1500])
	st.WaitCommitted(t, brokers, group, in, 1500, 20*time.Second)
	if err := s.Reload(func() (Model, error) { return Model{}, errors.New("bundle is corrupt") }); err == nil {
		t.Error("a failed reload returned nil")
	}
	if err := s.Reload(func() (Model, error) {
		return Model{Processor: fakeIris, Name: "iris-fake", UID: "u2"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	st.Produce(t, brokers, in, ins[1500:])
	st.WaitCommitted(t, brokers, group, in, 3000, 20*time.Second)

	outs := st.ReadCommitted(t, brokers, out, 3000, 20*time.Second)
	if res := st.Verify(ins, fakeIris, outs, nil); res != (st.Check{}) {
		t.Fatalf("outputs: %s", res)
	}
	uids := map[string]int{}
	for _, o := range outs {
		uids[o.Headers[HeaderModelUID]]++
	}
	if uids["u1"] != 1500 || uids["u2"] != 1500 {
		t.Errorf("outputs by model uid: %v, want 1500 each side of the reload", uids)
	}
	chals := st.ReadCommitted(t, brokers, chal, 3000, 20*time.Second)
	if res := st.Verify(ins, setosa, chals, nil); res != (st.Check{}) || chals[0].Headers[HeaderModelName] != "challenger" {
		t.Fatalf("challenger outputs: %s %v", res, chals[0].Headers)
	}
	body := metricsText(t, s)
	for _, want := range []string{
		`irisctl_stream_model_reloads_total{result="failed"} 1`, `irisctl_stream_model_reloads_total{result="ok"} 1`,
		`irisctl_stream_model_info{name="iris-fake",uid="u2"} 1`, `irisctl_stream_challenger_records_out_total 3000`,
		`irisctl_stream_challenger_agreement_total{result="agree"} 1000`, `irisctl_stream_challenger_agreement_total{result="disagree"} 2000`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `uid="u1"} 1`) {
		t.Error("the old model is still in model_info")
	}
}

func metricsText(t *testing.T, s *Stream) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	return getBody(t, srv.URL+"/metrics")
}
