package topics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/IBM/sarama"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/kafka/connect"
)

// CreateOptions are the inputs of `irisctl topics create`.
type CreateOptions struct {
	IO    *iostreams.IOStreams
	Kafka connect.Options

	Topics            []string
	Partitions        int32
	ReplicationFactor int16
	Configs           []string // key=value
	Output            string   // table or json
}

// Result is the outcome for one topic (also the --output json shape).
type Result struct {
	Topic             string `json:"topic"`
	Status            string `json:"status"` // created, exists or failed
	Partitions        int32  `json:"partitions,omitempty"`
	ReplicationFactor int16  `json:"replication_factor,omitempty"`
	Error             string `json:"error,omitempty"`
}

// Topic statuses.
const (
	StatusCreated = "created"
	StatusExists  = "exists"
	StatusFailed  = "failed"
)

// NewCmdCreate builds `topics create`; runF replaces the run step in tests.
func NewCmdCreate(ios *iostreams.IOStreams, runF func(*CreateOptions) error) *cobra.Command {
	o := &CreateOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "create [TOPIC...]",
		Short: "Create the classifier's Kafka topics (existing ones are left alone)",
		Long: `Create Kafka topics. Without arguments it creates the three topics of the
iris classifier: ` + strings.Join(Default, ", ") + `.

A topic that already exists is not an error: it is reported as "exists" and
left unchanged. The result table goes to stdout; the command exits 1 if any
topic could not be created.`,
		Example: `  # the classifier's topics on a local broker
  irisctl topics create --brokers 127.0.0.1:29092

  # one topic with 6 partitions, compacted, as JSON
  irisctl topics create scores --partitions 6 --config cleanup.policy=compact -o json

  # over TLS with SCRAM (the password file can also be IRISCTL_SASL_PASSWORD)
  irisctl topics create --brokers 127.0.0.1:29094 --tls-ca ca.pem \
    --sasl-mechanism scram-sha-512 --sasl-user irisctl --sasl-password-file pw`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Topics = args
			if len(o.Topics) == 0 {
				o.Topics = append([]string(nil), Default...)
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(c)
		},
	}
	fs := cmd.Flags()
	o.Kafka.AddFlags(fs)
	fs.Int32VarP(&o.Partitions, "partitions", "p", 3, "number of partitions; -1 for the broker's default")
	fs.Int16VarP(&o.ReplicationFactor, "replication-factor", "r", -1, "replication factor; -1 for the broker's default")
	fs.StringArrayVar(&o.Configs, "config", nil, "topic config `key=value` (repeatable), e.g. retention.ms=86400000")
	fs.StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (o *CreateOptions) validate() error {
	if o.Partitions == 0 || o.Partitions < -1 {
		return cmdutil.FlagErrorf("--partitions %d: want a positive number or -1", o.Partitions)
	}
	if o.ReplicationFactor == 0 || o.ReplicationFactor < -1 {
		return cmdutil.FlagErrorf("--replication-factor %d: want a positive number or -1", o.ReplicationFactor)
	}
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.FlagErrorf("--output %q: want table or json", o.Output)
	}
	if _, err := o.configEntries(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range o.Topics {
		if t == "" {
			return cmdutil.FlagErrorf("empty topic name")
		}
		if seen[t] {
			return cmdutil.FlagErrorf("topic %q named twice", t)
		}
		seen[t] = true
	}
	return kafkaFlagError(o.Kafka.Validate())
}

func (o *CreateOptions) configEntries() (map[string]*string, error) {
	if len(o.Configs) == 0 {
		return nil, nil
	}
	m := make(map[string]*string, len(o.Configs))
	for _, kv := range o.Configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cmdutil.FlagErrorf("--config %q: want key=value", kv)
		}
		m[strings.TrimSpace(k)] = &v
	}
	return m, nil
}

// kafkaFlagError turns a connection-option mistake into a usage error.
func kafkaFlagError(err error) error {
	var ue *connect.UsageError
	if errors.As(err, &ue) {
		return &cmdutil.FlagError{Err: err}
	}
	return err
}

// Run creates the topics and prints the results.
func (o *CreateOptions) Run(c *cobra.Command) error {
	cfg, err := o.Kafka.Config()
	if err != nil {
		return kafkaFlagError(err)
	}
	admin, err := o.Kafka.ClusterAdmin(c.Context(), cfg)
	if err != nil {
		return err
	}
	defer admin.Close()

	results := o.create(admin)
	if err := o.print(results); err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Status == StatusFailed {
			failed++
		}
	}
	if failed > 0 {
		return &cmdutil.ExitCodeError{Code: cmdutil.ExitError, Err: fmt.Errorf("%d of %d topics could not be created", failed, len(results))}
	}
	return nil
}

func (o *CreateOptions) create(admin sarama.ClusterAdmin) []Result {
	entries, _ := o.configEntries() // checked by validate
	results := make([]Result, len(o.Topics))
	for i, t := range o.Topics {
		r := Result{Topic: t}
		err := admin.CreateTopic(t, &sarama.TopicDetail{
			NumPartitions:     o.Partitions,
			ReplicationFactor: o.ReplicationFactor,
			ConfigEntries:     entries,
		}, false)
		switch {
		case err == nil:
			r.Status = StatusCreated
			if o.Partitions > 0 {
				r.Partitions = o.Partitions
			}
			if o.ReplicationFactor > 0 {
				r.ReplicationFactor = o.ReplicationFactor
			}
		case errors.Is(err, sarama.ErrTopicAlreadyExists):
			r.Status = StatusExists
		default:
			r.Status = StatusFailed
			r.Error = err.Error()
		}
		results[i] = r
	}

	// Fill in what the broker chose (defaults) or already had (exists).
	var describe []string
	for _, r := range results {
		if r.Status != StatusFailed && (r.Partitions == 0 || r.ReplicationFactor == 0) {
			describe = append(describe, r.Topic)
		}
	}
	if len(describe) == 0 {
		return results
	}
	md, err := admin.DescribeTopics(describe)
	if err != nil {
		return results // the counts are a courtesy; creation itself succeeded
	}
	byName := map[string]*sarama.TopicMetadata{}
	for _, m := range md {
		if m != nil && errors.Is(m.Err, sarama.ErrNoError) && len(m.Partitions) > 0 {
			byName[m.Name] = m
		}
	}
	for i := range results {
		if m := byName[results[i].Topic]; m != nil {
			results[i].Partitions = int32(len(m.Partitions))
			results[i].ReplicationFactor = int16(len(m.Partitions[0].Replicas))
		}
	}
	return results
}

func (o *CreateOptions) print(results []Result) error {
	if o.Output == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	rows := make([][]string, len(results))
	for i, r := range results {
		rows[i] = []string{r.Topic, r.Status, count(int(r.Partitions)), count(int(r.ReplicationFactor)), r.Error}
	}
	return PrintTable(o.IO.Out, []string{"TOPIC", "STATUS", "PARTITIONS", "REPLICATION", "ERROR"}, rows)
}

func count(n int) string {
	if n <= 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// PrintTable writes a plain, borderless table (kubectl style).
func PrintTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.SeparatorsNone,
				Lines:      tw.LinesNone,
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithAlignment(tw.Alignment{tw.AlignLeft}),
		tablewriter.WithTrimSpace(tw.On),
	)
	pad := tw.Padding{Left: "", Right: "   ", Overwrite: true}
	t.Configure(func(c *tablewriter.Config) {
		c.Header.Padding.Global = pad
		c.Row.Padding.Global = pad
	})
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	// No trailing blanks: they only get in the way of diff and grep.
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
