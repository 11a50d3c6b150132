// Package stream holds `irisctl stream`: the exactly-once Kafka classifier,
// reading measurements from one topic and writing them with their predicted
// class to another, like the article's Kafka Streams + MLeap application.
package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/topics"
	"github.com/irisctl/irisctl/pkg/kafka/connect"
	"github.com/irisctl/irisctl/pkg/score"
	streaming "github.com/irisctl/irisctl/pkg/stream"
)

// Options are the inputs of `irisctl stream`.
type Options struct {
	IO    *iostreams.IOStreams
	Kafka connect.Options

	Bundle      string // "" = the bundle built into irisctl
	PassThrough bool   // copy values, no model (benchmark baseline)
	Format      string // record format: csv (the seed's) or json

	InputTopic  string
	OutputTopic string
	DLQTopic    string
	Group       string
	TxnIDPrefix string
	Guarantee   string

	CommitInterval  time.Duration
	CommitRecords   int
	MaxRecordBytes  int
	SessionTimeout  time.Duration
	ShutdownTimeout time.Duration

	MetricsAddr   string
	WatchInterval time.Duration // poll --bundle for changes; 0 = only SIGHUP

	Challenger      string
	ChallengerTopic string

	LogFormat string
	LogLevel  string

	guarantee streaming.Guarantee
	level     slog.Level
}

// NewCmdStream builds `irisctl stream`; runF replaces the run step in tests.
func NewCmdStream(ios *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "stream",
		Short: "Classify records from Kafka to Kafka, exactly once",
		Long: `Run the iris classifier as a Kafka stream: read measurements such as
5.1,3.5,1.4,0.2 from the input topic, score them with the model, and write
5.1,3.5,1.4,0.2,Iris-setosa to the output topic, keeping the record key.

Exactly once (the default): each input partition has its own transactional
producer, and its outputs are committed together with its input offset in
one Kafka transaction every --commit-interval or --commit-records. Readers
with isolation.level=read_committed (irisctl consume) see every output once,
across crashes, restarts and rebalances. Run several instances with the same
--group to share the partitions.

At least once (--guarantee at-least-once): a plain idempotent producer; the
input offsets are committed once the outputs are acknowledged. Faster to
read (no transaction latency), but a crash can duplicate outputs.

A record that cannot be scored (not a number, wrong field count, too large)
goes to the dead-letter topic in the same transaction, with headers naming
the reason (irisctl.error.reason, irisctl.error.class) and the source
(irisctl.source.topic/partition/offset); the stream never stops for a record.
Outputs carry the model in headers irisctl.model.name and irisctl.model.uid.

SIGHUP, or a change of the --bundle file, reloads the model between
transactions; if the new bundle does not load, the old model stays.
SIGINT/SIGTERM commit the open transactions, leave the group and exit 0
(exit 1 if that takes longer than --shutdown-timeout).

With --metrics-addr, Prometheus metrics are served on /metrics, liveness on
/healthz and readiness (in a group session) on /readyz. Logs go to stderr.`,
		Example: `  # the article's stream, on a local broker
  irisctl topics create
  irisctl stream --brokers 127.0.0.1:29092

  # with your own bundle, metrics on :9090, JSON logs
  irisctl stream --bundle model.zip --metrics-addr :9090 --log-format json

  # the benchmark baseline: copy values, no model
  irisctl stream --pass-through --output-topic copy

  # shadow-score a candidate model into another topic
  irisctl stream --challenger candidate.zip --challenger-topic iris-challenger`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.validate(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(c.Context())
		},
	}
	f := cmd.Flags()
	o.Kafka.AddFlags(f)
	f.StringVar(&o.Bundle, "bundle", "", "MLeap bundle `path` (zip or directory); default: the iris bundle built into irisctl")
	f.BoolVar(&o.PassThrough, "pass-through", false, "copy values unchanged, no model (benchmark baseline)")
	f.StringVar(&o.Format, "format", "csv", "record format: csv (in 5.1,3.5,1.4,0.2 → out 5.1,3.5,1.4,0.2,Iris-setosa) or json (in {\"sepal_length_cm\":5.1,...} → out the object plus \"predictedLabel\")")
	f.StringVar(&o.InputTopic, "input-topic", topics.InputTopic, "topic to read measurements from")
	f.StringVar(&o.OutputTopic, "output-topic", topics.OutputTopic, "topic to write scored records to")
	f.StringVar(&o.DLQTopic, "dlq-topic", topics.DLQTopic, "dead-letter topic for records that cannot be scored")
	f.StringVar(&o.Group, "group", "iris-classifier", "consumer group `id`")
	f.StringVar(&o.TxnIDPrefix, "transactional-id-prefix", streaming.DefaultTxnIDPrefix,
		"transactional ids are `prefix`-group-topic-partition")
	f.StringVar(&o.Guarantee, "guarantee", string(streaming.ExactlyOnce), "exactly-once or at-least-once")
	f.DurationVar(&o.CommitInterval, "commit-interval", streaming.DefaultCommitInterval, "commit a transaction this long after its first record")
	f.IntVar(&o.CommitRecords, "commit-records", streaming.DefaultCommitRecords, "commit a transaction after `N` input records (per partition)")
	f.IntVar(&o.MaxRecordBytes, "max-record-bytes", streaming.DefaultMaxRecordBytes, "dead-letter input values longer than `N` bytes unscored")
	f.DurationVar(&o.SessionTimeout, "session-timeout", streaming.DefaultSessionTimeout,
		"consumer-group session timeout: how soon a dead instance's partitions move")
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", streaming.DefaultShutdownTimeout, "how long SIGINT/SIGTERM may take")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve /metrics, /healthz and /readyz on this `host:port`")
	f.DurationVar(&o.WatchInterval, "watch-interval", 2*time.Second, "check --bundle for changes this often (0: reload on SIGHUP only)")
	f.StringVar(&o.Challenger, "challenger", "", "also score with this bundle `path` (shadow model) into --challenger-topic")
	f.StringVar(&o.ChallengerTopic, "challenger-topic", "iris-classifier-challenger", "topic for the challenger's outputs")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func (o *Options) validate(c *cobra.Command) error {
	g, err := streaming.ParseGuarantee(o.Guarantee)
	if err != nil {
		return cmdutil.FlagErrorf("--guarantee: %v", err)
	}
	o.guarantee = g
	if o.Format != "csv" && o.Format != "json" {
		return cmdutil.FlagErrorf("--format must be csv or json, not %q", o.Format)
	}
	for _, t := range []struct{ flag, v string }{{"input-topic", o.InputTopic}, {"output-topic", o.OutputTopic},
		{"dlq-topic", o.DLQTopic}, {"group", o.Group}, {"transactional-id-prefix", o.TxnIDPrefix}} {
		if strings.TrimSpace(t.v) == "" {
			return cmdutil.FlagErrorf("--%s must not be empty", t.flag)
		}
	}
	if o.InputTopic == o.OutputTopic || o.InputTopic == o.DLQTopic {
		return cmdutil.FlagErrorf("--input-topic %s must differ from --output-topic and --dlq-topic", o.InputTopic)
	}
	if o.PassThrough && (c.Flags().Changed("bundle") || o.Challenger != "") {
		return cmdutil.FlagErrorf("--pass-through runs no model: it cannot go with --bundle or --challenger")
	}
	if o.Challenger != "" && (o.ChallengerTopic == "" || o.ChallengerTopic == o.InputTopic) {
		return cmdutil.FlagErrorf("--challenger needs a --challenger-topic other than the input topic")
	}
	if o.CommitInterval <= 0 {
		return cmdutil.FlagErrorf("--commit-interval %s: must be positive", o.CommitInterval)
	}
	if o.CommitRecords <= 0 {
		return cmdutil.FlagErrorf("--commit-records %d: must be positive", o.CommitRecords)
	}
	if o.MaxRecordBytes <= 0 {
		return cmdutil.FlagErrorf("--max-record-bytes %d: must be positive", o.MaxRecordBytes)
	}
	if o.SessionTimeout < time.Second {
		return cmdutil.FlagErrorf("--session-timeout %s: must be at least 1s", o.SessionTimeout)
	}
	if o.ShutdownTimeout <= 0 {
		return cmdutil.FlagErrorf("--shutdown-timeout %s: must be positive", o.ShutdownTimeout)
	}
	if o.WatchInterval < 0 {
		return cmdutil.FlagErrorf("--watch-interval %s: must not be negative", o.WatchInterval)
	}
	switch o.LogFormat {
	case "text", "json":
	default:
		return cmdutil.FlagErrorf("--log-format %q: want text or json", o.LogFormat)
	}
	if err := o.level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return cmdutil.FlagErrorf("--log-level %q: want debug, info, warn or error", o.LogLevel)
	}
	var ue *connect.UsageError
	if err := o.Kafka.Validate(); errors.As(err, &ue) {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Logger is the structured logger on stderr.
func (o *Options) Logger() *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.level}
	if o.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(o.IO.ErrOut, ho))
	}
	return slog.New(slog.NewTextHandler(o.IO.ErrOut, ho))
}

// scorer adapts a score.Scorer to the stream's Processor; a Scorer is not
// safe for concurrent use, so each partition worker gets a Clone.
type scorer struct {
	s    *score.Scorer
	json bool
}

func (p scorer) Process(dst, value []byte) ([]byte, error) {
	value = bytes.TrimRight(value, "\r\n")
	if !p.json {
		return p.s.AppendScored(dst, value)
	}
	if err := p.s.ScoreJSON(value); err != nil {
		return dst, err
	}
	return p.s.AppendJSON(dst, value), nil
}

func (p scorer) Clone() streaming.Processor { return scorer{p.s.Clone(), p.json} }

// LoadModel opens a bundle ("" = the built-in one) as a stream model whose
// records are CSV in the seed's format.
func LoadModel(path string) (streaming.Model, error) { return LoadModelFormat(path, "csv") }

// LoadModelFormat is LoadModel for records in format csv or json.
func LoadModelFormat(path, format string) (streaming.Model, error) {
	if format != "csv" && format != "json" {
		return streaming.Model{}, fmt.Errorf("record format %q: want csv or json", format)
	}
	m, err := loadScorer(path)
	if err != nil {
		return m, err
	}
	sc := m.Processor.(scorer)
	sc.json = format == "json"
	m.Processor = sc
	return m, nil
}

func loadScorer(path string) (streaming.Model, error) {
	s, err := score.Open(path)
	if err != nil {
		if path == "" {
			return streaming.Model{}, fmt.Errorf("loading the built-in bundle: %w", err)
		}
		return streaming.Model{}, fmt.Errorf("loading bundle %s: %w", path, err)
	}
	return streaming.Model{Processor: scorer{s: s}, Name: s.ModelName(), UID: s.ModelUID()}, nil
}

// Run runs the stream until ctx is cancelled (SIGINT/SIGTERM).
func (o *Options) Run(ctx context.Context) error {
	log := o.Logger()
	var model streaming.Model
	if o.PassThrough {
		model = streaming.Model{Processor: streaming.PassThrough}
	} else {
		m, err := LoadModelFormat(o.Bundle, o.Format)
		if err != nil {
			return err
		}
		model = m
		log.Info("model loaded", "name", m.Name, "uid", m.UID, "bundle", bundleName(o.Bundle))
	}
	var challenger *streaming.Model
	if o.Challenger != "" {
		m, err := LoadModelFormat(o.Challenger, o.Format)
		if err != nil {
			return fmt.Errorf("challenger: %w", err)
		}
		challenger = &m
		log.Info("challenger loaded", "name", m.Name, "uid", m.UID, "bundle", o.Challenger, "topic", o.ChallengerTopic)
	}
	cfg, err := o.Kafka.Config()
	if err != nil {
		var ue *connect.UsageError
		if errors.As(err, &ue) {
			return &cmdutil.FlagError{Err: err}
		}
		return err
	}
	s, err := streaming.New(streaming.Options{
		Brokers: o.Kafka.BrokerList(), Config: cfg,
		InputTopic: o.InputTopic, OutputTopic: o.OutputTopic, DLQTopic: o.DLQTopic,
		Group: o.Group, TxnIDPrefix: o.TxnIDPrefix, Guarantee: o.guarantee,
		CommitInterval: o.CommitInterval, CommitRecords: o.CommitRecords, MaxRecordBytes: o.MaxRecordBytes,
		SessionTimeout: o.SessionTimeout, ShutdownTimeout: o.ShutdownTimeout,
		Model: model, Challenger: challenger, ChallengerTopic: o.ChallengerTopic,
		Logger: log,
	})
	if err != nil {
		return err
	}

	if o.MetricsAddr != "" {
		ln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("serving metrics", "addr", ln.Addr().String(), "paths", "/metrics /healthz /readyz")
	}

	if !o.PassThrough {
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		go o.reloader(rctx, s, log, inputSchemaOf(model))
	}
	if err := s.Run(ctx); err != nil {
		if errors.Is(err, streaming.ErrNoTopic) {
			return fmt.Errorf("%w (create the topics first, e.g. irisctl topics create %s %s %s)",
				err, o.InputTopic, o.OutputTopic, o.DLQTopic)
		}
		return err
	}
	return nil
}

func bundleName(path string) string {
	if path == "" {
		return "built-in"
	}
	return path
}

// reloader reloads the model on SIGHUP and, for a --bundle path, when the
// bundle's files change.
// inputSchemaOf describes the records a model reads (its required input
// columns, in order, with types), so that a reload can refuse a model that
// would read the topic's records differently.
func inputSchemaOf(m streaming.Model) string {
	sc, ok := m.Processor.(scorer)
	if !ok {
		return ""
	}
	var cols []string
	for _, f := range sc.s.InputSchema() {
		if f.Required {
			cols = append(cols, f.Name+" "+f.Type.String())
		}
	}
	return strings.Join(cols, ", ")
}

func (o *Options) reloader(ctx context.Context, s *streaming.Stream, log *slog.Logger, schema string) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick <-chan time.Time
	var last stamp
	if o.Bundle != "" && o.WatchInterval > 0 {
		t := time.NewTicker(o.WatchInterval)
		defer t.Stop()
		tick = t.C
		last, _ = stampOf(o.Bundle)
	}
	reload := func(why string) {
		log.Info("reloading the model", "why", why, "bundle", bundleName(o.Bundle))
		_ = s.Reload(func() (streaming.Model, error) {
			m, err := LoadModelFormat(o.Bundle, o.Format)
			if err == nil {
				if got := inputSchemaOf(m); got != schema {
					err = fmt.Errorf("the new bundle reads (%s), the running one (%s): restart the stream to change the input schema", got, schema)
				}
			}
			return m, err
		})
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			last, _ = stampOf(o.Bundle)
			reload("SIGHUP")
		case <-tick:
			cur, err := stampOf(o.Bundle)
			if err != nil || cur == last {
				continue // a bundle being replaced may be missing for a moment
			}
			// wait until the files have stopped changing
			time.Sleep(min(o.WatchInterval, time.Second))
			if again, err := stampOf(o.Bundle); err != nil || again != cur {
				continue
			}
			last = cur
			reload("bundle changed")
		}
	}
}

// stamp summarises a bundle file or directory: newest modification time,
// total size and file count.
type stamp struct {
	mod   time.Time
	size  int64
	files int
}

func stampOf(path string) (stamp, error) {
	var st stamp
	if path == "" {
		return st, nil
	}
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(st.mod) {
			st.mod = info.ModTime()
		}
		st.size += info.Size()
		st.files++
		return nil
	})
	return st, err
}

// noArgs rejects positional arguments as a usage error.
