package stream

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the stream's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry *prometheus.Registry

	recordsIn      prometheus.Counter
	recordsOut     prometheus.Counter
	deadLettered   *prometheus.CounterVec // class
	processSeconds prometheus.Histogram
	commitSeconds  prometheus.Histogram
	txnRecords     prometheus.Histogram
	commits        prometheus.Counter
	aborts         *prometheus.CounterVec // reason
	fenced         prometheus.Counter
	lag            *prometheus.GaugeVec // topic, partition
	assigned       prometheus.Gauge
	sessions       prometheus.Counter
	modelInfo      *prometheus.GaugeVec   // name, uid
	reloads        *prometheus.CounterVec // result
	challengerOut  prometheus.Counter
	agreement      *prometheus.CounterVec // result: agree, disagree, error
}

// NewMetrics creates the metrics on a new registry, with the Go runtime and
// process collectors.
func NewMetrics() *Metrics {
	const ns, sub = "irisctl", "stream"
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.recordsIn = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "records_in_total", Help: "Input records processed in committed transactions (batches, at-least-once)."})
	m.recordsOut = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "records_out_total", Help: "Output records committed."})
	m.deadLettered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "records_dead_lettered_total", Help: "Input records committed to the dead-letter topic, by error class."},
		[]string{"class"})
	m.processSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
		Name: "process_seconds", Help: "Time the processor takes for one record.",
		Buckets: prometheus.ExponentialBuckets(250e-9, 4, 12)})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
		Name: "commit_seconds", Help: "Time to commit one transaction (at-least-once: wait for acks and commit offsets).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.txnRecords = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
		Name: "transaction_records", Help: "Input records per committed transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 9)})
	m.commits = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "commits_total", Help: "Transactions committed (at-least-once: offset commits)."})
	m.aborts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "aborts_total", Help: "Transactions aborted or given up, by reason."}, []string{"reason"})
	m.fenced = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "producers_fenced_total", Help: "Transactional producers fenced by a newer owner of their input partition."})
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
		Name: "consumer_lag", Help: "Records between the last committed input offset and the partition's high-water mark."},
		[]string{"topic", "partition"})
	m.assigned = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
		Name: "assigned_partitions", Help: "Input partitions owned by this instance."})
	m.sessions = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "group_sessions_total", Help: "Consumer-group sessions started (one per rebalance)."})
	m.modelInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
		Name: "model_info", Help: "The model being served (value 1)."}, []string{"name", "uid"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "model_reloads_total", Help: "Model reloads, by result (ok, failed)."}, []string{"result"})
	m.challengerOut = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "challenger_records_out_total", Help: "Challenger (shadow) output records committed."})
	m.agreement = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
		Name: "challenger_agreement_total", Help: "Records scored by both models, by result (agree, disagree, error)."},
		[]string{"result"})
	m.Registry.MustRegister(m.recordsIn, m.recordsOut, m.deadLettered, m.processSeconds, m.commitSeconds,
		m.txnRecords, m.commits, m.aborts, m.fenced, m.lag, m.assigned, m.sessions, m.modelInfo, m.reloads,
		m.challengerOut, m.agreement,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"ok", "failed"} {
		m.reloads.WithLabelValues(r)
	}
	return m
}

func (m *Metrics) setModel(old, cur *Model) {
	if old != nil {
		m.modelInfo.DeleteLabelValues(old.Name, old.UID)
	}
	m.modelInfo.WithLabelValues(cur.Name, cur.UID).Set(1)
}

func (m *Metrics) setLag(topic string, partition int32, lag int64) {
	m.lag.WithLabelValues(topic, strconv.Itoa(int(partition))).Set(float64(max(lag, 0)))
}

func (m *Metrics) dropLag(topic string, partition int32) {
	m.lag.DeleteLabelValues(topic, strconv.Itoa(int(partition)))
}

// Handler serves /metrics, /healthz (the process is up) and /readyz (the
// instance is in a consumer-group session and owns its partitions).
func (s *Stream) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.Ready() {
			http.Error(w, "not ready: not in a consumer-group session", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
