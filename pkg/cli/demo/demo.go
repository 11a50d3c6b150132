// Package demo implements `irisctl demo`: the whole streaming classifier on
// an embedded Kafka-protocol broker, for a user who has no Kafka. It runs
// the real commands (topics create, stream, produce, consume) against an
// in-process broker (franz-go's kfake) on 127.0.0.1 and prints the scored
// records. The test suite proves the stream on a real Apache Kafka broker;
// this is the zero-setup way to see it work.
package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/consume"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/produce"
	streamcmd "github.com/irisctl/irisctl/pkg/cli/stream"
	"github.com/irisctl/irisctl/pkg/cli/topics"
	"github.com/irisctl/irisctl/pkg/irisdata"
)

// Options are the demo's settings.
type Options struct {
	IO         *iostreams.IOStreams
	Partitions int
	Output     string // table or csv
	Timeout    time.Duration
	Verbose    bool
}

// NewCmdDemo builds `irisctl demo`.
func NewCmdDemo(ios *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the streaming classifier end to end on an embedded Kafka broker",
		Long: `Run the whole exactly-once streaming classifier with nothing installed.

demo starts an in-process Kafka-protocol broker on 127.0.0.1 (franz-go's
kfake), then runs the same commands you would run against a real cluster:

  1. irisctl topics create       iris-classifier-input, -output and -dlq
  2. irisctl stream              the exactly-once classifier, built-in bundle
  3. irisctl produce --key row   the 150 iris measurements
  4. irisctl consume             the scored records, read_committed

and prints each scored record next to the iris class it came from. Data goes
to stdout, progress to stderr. Against your own Kafka, run the same commands
with --brokers.`,
		Example: `  irisctl demo
  irisctl demo --output csv > scored.csv
  irisctl demo --verbose            # also show the stream's logs`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Output != "table" && o.Output != "csv" {
				return cmdutil.FlagErrorf("--output must be table or csv, not %q", o.Output)
			}
			if o.Partitions < 1 {
				return cmdutil.FlagErrorf("--partitions must be at least 1")
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(c.Context())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Partitions, "partitions", 3, "partitions of the demo topics")
	f.StringVarP(&o.Output, "output", "o", "table", "table or csv")
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "give up if the scored records have not all arrived by then")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "show the stream's and the commands' messages")
	return cmd
}

// Run runs the demo.
func (o *Options) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	say := func(format string, args ...any) { fmt.Fprintf(o.IO.ErrOut, "demo: "+format+"\n", args...) }

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return fmt.Errorf("starting the embedded broker: %w", err)
	}
	defer cluster.Close()
	addr := strings.Join(cluster.ListenAddrs(), ",")
	say("embedded Kafka broker on %s", addr)
	brokers := []string{"--brokers", addr}

	quiet := io.Discard
	if o.Verbose {
		quiet = o.IO.ErrOut
	}
	run := func(cmd *cobra.Command, args ...string) error {
		cmd.SetArgs(append(args, brokers...))
		cmd.SetOut(quiet)
		cmd.SetErr(quiet)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		return cmd.ExecuteContext(ctx)
	}
	sub := func(out io.Writer) *iostreams.IOStreams {
		return &iostreams.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: quiet}
	}

	say("irisctl topics create --partitions %d", o.Partitions)
	if err := run(topics.NewCmdTopics(sub(quiet)), "create", "--partitions", strconv.Itoa(o.Partitions)); err != nil {
		return fmt.Errorf("topics create: %w", err)
	}

	say("irisctl stream (exactly-once, built-in iris bundle)")
	streamCtx, stopStream := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var streamErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := streamcmd.NewCmdStream(sub(quiet), nil)
		cmd.SetArgs(append([]string{"--log-level", "warn", "--watch-interval", "0"}, brokers...))
		cmd.SetOut(quiet)
		cmd.SetErr(quiet)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		streamErr = cmd.ExecuteContext(streamCtx)
	}()
	stop := func() error {
		stopStream()
		wg.Wait()
		if streamErr != nil && !errors.Is(streamErr, context.Canceled) {
			return fmt.Errorf("stream: %w", streamErr)
		}
		return nil
	}

	rows := irisdata.Rows()
	say("irisctl produce --key row (%d iris measurements)", len(rows))
	if err := run(produce.NewCmdProduce(sub(quiet), nil), "--key", "row"); err != nil {
		stop()
		return fmt.Errorf("produce: %w", err)
	}

	say("irisctl consume --from-beginning -n %d (read_committed)", len(rows))
	var out bytes.Buffer
	start := time.Now()
	err = run(consume.NewCmdConsume(sub(&out), nil), "--from-beginning", "-n", strconv.Itoa(len(rows)), "--output", "json")
	if serr := stop(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("the scored records did not all arrive within %s (got %d lines)", o.Timeout, bytes.Count(out.Bytes(), []byte{'\n'}))
		}
		return fmt.Errorf("consume: %w", err)
	}
	say("%d scored records read in %s", len(rows), time.Since(start).Round(time.Millisecond))
	return o.report(out.Bytes(), rows)
}

// report prints the scored records in row order next to the true class.
func (o *Options) report(consumed []byte, rows []irisdata.Row) error {
	type scored struct {
		key, value string
		partition  int32
		offset     int64
	}
	byRow := map[int]scored{}
	sc := bufio.NewScanner(bytes.NewReader(consumed))
	for sc.Scan() {
		var m consume.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("reading the consumed records: %w", err)
		}
		if m.Key == nil || m.Value == nil {
			return fmt.Errorf("output record at partition %d offset %d has no key or value", m.Partition, m.Offset)
		}
		n, err := strconv.Atoi(*m.Key)
		if err != nil || n < 1 || n > len(rows) {
			return fmt.Errorf("output record with unexpected key %q", *m.Key)
		}
		if _, dup := byRow[n]; dup {
			return fmt.Errorf("row %d was scored twice", n)
		}
		byRow[n] = scored{key: *m.Key, value: *m.Value, partition: m.Partition, offset: m.Offset}
	}
	header := []string{"row", "input", "predicted", "actual", "ok"}
	var table [][]string
	match := 0
	for i, r := range rows {
		s, ok := byRow[i+1]
		if !ok {
			return fmt.Errorf("row %d was not scored", i+1)
		}
		pred := s.value[strings.LastIndexByte(s.value, ',')+1:]
		if !strings.HasPrefix(s.value, r.Features+",") {
			return fmt.Errorf("row %d: output %q does not start with its input %q", i+1, s.value, r.Features)
		}
		mark := "✓"
		if pred == r.Class {
			match++
		} else {
			mark = "✗"
		}
		table = append(table, []string{strconv.Itoa(i + 1), r.Features, pred, r.Class, mark})
	}
	if o.Output == "csv" {
		w := bufio.NewWriter(o.IO.Out)
		fmt.Fprintln(w, strings.Join(header, ","))
		for _, row := range table {
			fmt.Fprintf(w, "%s,\"%s\",%s,%s,%s\n", row[0], row[1], row[2], row[3], row[4])
		}
		if err := w.Flush(); err != nil {
			return err
		}
	} else if err := topics.PrintTable(o.IO.Out, header, table); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "demo: %d records in, %d scored exactly once; %d (%.1f%%) match the iris class\n",
		len(rows), len(byRow), match, 100*float64(match)/float64(len(rows)))
	return nil
}
