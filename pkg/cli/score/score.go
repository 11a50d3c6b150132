// Package score holds `irisctl score`: batch scoring of CSV or JSON-lines
// records with an MLeap bundle (the built-in iris model by default).
package score

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/mleap"
	"github.com/irisctl/irisctl/pkg/score"
)

// Options are the inputs of `irisctl score`.
type Options struct {
	IO *iostreams.IOStreams

	Bundle      string   // "" = the built-in bundle
	File        string   // "" or "-" = stdin
	InputFormat string   // auto, csv or jsonl
	Output      string   // "" (csv for CSV input, json for JSON lines), csv, json or table
	Fields      []string // outputs reported after the label
	Header      bool     // the first CSV line is a header
	NoHeader    bool     // the first CSV line is data
	SkipInvalid bool
	Parallel    int
	ChunkSize   int // bytes per block (hidden; for tests and tuning)
}

// NewCmdScore builds `irisctl score`; runF replaces the run step in tests.
func NewCmdScore(ios *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "score [FILE|-]",
		Short: "Score CSV or JSON-lines records with an MLeap bundle",
		Long: `Score records with an MLeap bundle and write them out with the model's
prediction. Without --bundle the iris random forest built into irisctl is
used, so "irisctl score < data.csv" needs no flags. FILE defaults to stdin.

Input is CSV, one record per line, or JSON lines (one object per line,
keyed by column name; detected by a leading "{", or --input-format).

CSV columns are taken by name when the file has a header, and otherwise
in the order of the model's input schema (irisctl bundle inspect shows
it), e.g. 5.1,3.5,1.4,0.2 for the iris model. The first line is a header
when none of its fields is a number and one of them names an input
column; --header or --no-header decides instead. Columns only a pruned
stage reads (the training label "class") may be left out; when given,
their stage runs, as in MLeap.

The default output is the seed's format: each CSV record as it was given,
a comma, and the predicted label (5.1,3.5,1.4,0.2,Iris-setosa); a header
gets the output's name. --fields adds outputs after the label (e.g.
probability,rawPrediction,prediction; vectors are written [a b c]).
--output json writes one object per record with the inputs and outputs
(numbers round-trip exactly); --output table aligns columns for reading
(it holds the whole output in memory).

A record that cannot be scored (wrong number of fields, not a number, a
label the model has not seen, an empty line) stops the run with its line
number and reason on stderr and exit status 1; everything before it has
been written. --skip-invalid reports such records and goes on, ending with
a count; the exit status is then 0.

Records are read in large blocks and scored on --parallel goroutines,
each with its own copy of the model; the output keeps the input order.
On a file, progress is shown on stderr when it is a terminal.`,
		Example: `  # the seed's three vectors with the built-in model
  printf '5.1,3.5,1.4,0.2\n6.2,2.2,4.5,1.5\n6.1,2.6,5.6,1.4\n' | irisctl score

  # a CSV with a header, another bundle, probabilities too
  irisctl score --bundle model.zip --fields probability,prediction data.csv

  # JSON lines in, JSON lines out
  echo '{"sepal_length_cm":5.1,"sepal_width_cm":3.5,"petal_length_cm":1.4,"petal_width_cm":0.2}' | irisctl score

  # every output as JSON, keep going past bad rows, one core
  irisctl score -o json --fields rawPrediction,probability,prediction --skip-invalid --parallel 1 data.csv

  # a readable table
  irisctl score -o table data.csv`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("one input at a time (got %d files); concatenate them, e.g. cat a.csv b.csv | irisctl score", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.File = args[0]
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
	fs.StringVarP(&o.Bundle, "bundle", "b", "", "MLeap bundle `PATH` (directory or .zip); default: the built-in iris model")
	fs.StringVar(&o.InputFormat, "input-format", "auto", "input format: auto, csv or jsonl")
	fs.StringVarP(&o.Output, "output", "o", "", "output format: csv, json or table (default csv for CSV input, json for JSON lines)")
	fs.StringSliceVar(&o.Fields, "fields", nil, "further output `columns`, comma-separated (e.g. probability,rawPrediction,prediction)")
	fs.BoolVar(&o.Header, "header", false, "the first CSV line is a header")
	fs.BoolVar(&o.NoHeader, "no-header", false, "the first CSV line is data, not a header")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "report records that cannot be scored and go on")
	fs.IntVarP(&o.Parallel, "parallel", "p", 0, "number of scoring goroutines; the output keeps the input order (default: all CPUs, GOMAXPROCS)")
	fs.IntVar(&o.ChunkSize, "chunk-size", score.DefaultChunkSize, "bytes read and scored as one block")
	_ = fs.MarkHidden("chunk-size")

	_ = cmd.RegisterFlagCompletionFunc("input-format", cobra.FixedCompletions([]string{"auto", "csv", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"csv", "json", "table"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("bundle", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"zip"}, cobra.ShellCompDirectiveFilterFileExt
	})
	_ = cmd.RegisterFlagCompletionFunc("fields", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		m, err := score.LoadModel(o.Bundle)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, col := range m.OutputColumns() {
			names = append(names, col.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	return cmd
}

func (o *Options) validate() error {
	switch o.InputFormat {
	case "auto", "csv", "jsonl":
	default:
		return cmdutil.FlagErrorf("--input-format %q: want auto, csv or jsonl", o.InputFormat)
	}
	switch o.Output {
	case "", "csv", "json", "table":
	default:
		return cmdutil.FlagErrorf("--output %q: want csv, json or table", o.Output)
	}
	if o.Header && o.NoHeader {
		return cmdutil.FlagErrorf("--header and --no-header contradict each other")
	}
	if o.InputFormat == "jsonl" && (o.Header || o.NoHeader) {
		return cmdutil.FlagErrorf("--header and --no-header are for CSV input")
	}
	if o.Parallel < 0 {
		return cmdutil.FlagErrorf("--parallel %d: want 1 or more (0: all CPUs)", o.Parallel)
	}
	if o.Parallel == 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
	if o.ChunkSize < 1 {
		return cmdutil.FlagErrorf("--chunk-size %d: want 1 or more", o.ChunkSize)
	}
	for _, f := range o.Fields {
		if strings.TrimSpace(f) == "" {
			return cmdutil.FlagErrorf("--fields: empty column name")
		}
	}
	return nil
}

// utf8BOM starts some CSV files written by spreadsheets.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Run scores the input and writes the result.
func (o *Options) Run(c *cobra.Command) error {
	model, err := score.LoadModel(o.Bundle)
	if err != nil {
		return err
	}
	if err := checkFields(model, o.Fields); err != nil {
		return err
	}
	s, err := score.New(model, o.Fields)
	if err != nil {
		return err
	}

	name := "stdin"
	var in io.Reader = o.IO.In
	var size int64 = -1
	if o.File != "" && o.File != "-" {
		f, err := os.Open(o.File)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		in, name = f, o.File
	}

	br := bufio.NewReaderSize(in, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	jsonl := o.InputFormat == "jsonl"
	if o.InputFormat == "auto" {
		jsonl = startsWithBrace(br)
		if jsonl && (o.Header || o.NoHeader) {
			return cmdutil.FlagErrorf("--header and --no-header are for CSV input, and %s holds JSON lines", name)
		}
	}

	batch := &score.Batch{
		Scorer:      s,
		Input:       score.InputCSV,
		Workers:     o.Parallel,
		ChunkSize:   o.ChunkSize,
		SkipInvalid: o.SkipInvalid,
	}
	var rd io.Reader = br
	if jsonl {
		batch.Input = score.InputJSONL
	} else {
		first, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", name, err)
		}
		isHeader := o.Header
		if !o.Header && !o.NoHeader && len(first) > 0 {
			isHeader = s.IsHeader(first)
			if !isHeader && readsNumbers(s) && score.LooksLikeHeader(first) {
				return fmt.Errorf("%s:1: the first line looks like a header, but names none of the model's input columns (%s); use --no-header if it is data", name, schemaList(s))
			}
		}
		if isHeader && len(first) > 0 {
			names, err := score.ParseHeader(first)
			if err != nil {
				return fmt.Errorf("%s:1: %v", name, err)
			}
			if err := s.SetHeader(names); err != nil {
				return fmt.Errorf("%s:1: %v", name, err)
			}
			batch.Header, batch.FirstLine = first, 2
		} else {
			rd = io.MultiReader(bytes.NewReader(first), br)
		}
	}

	out := o.IO.Out
	var cells *bytes.Buffer
	switch o.Output {
	case "json":
		batch.Output = score.OutputJSON
	case "table":
		batch.Output = score.OutputCells
		cells = &bytes.Buffer{}
		out = cells
	case "csv":
		batch.Output = score.OutputCSV
	default:
		if jsonl {
			batch.Output = score.OutputJSON
		}
	}

	prog := newProgress(o.IO, name, size)
	if prog != nil && o.File != "" && o.File != "-" {
		batch.Progress = prog.update
	}
	if o.SkipInvalid {
		batch.Invalid = func(e *score.LineError) {
			prog.clear()
			fmt.Fprintf(o.IO.ErrOut, "irisctl: %s:%d: %v (skipped)\n", name, e.Line, e.Err)
		}
	}

	st, err := batch.Run(c.Context(), rd, out)
	prog.clear()
	if cells != nil && (err == nil || isLineError(err)) {
		if werr := writeCells(o.IO.Out, cells.Bytes()); werr != nil && err == nil {
			err = werr
		}
	}
	if st.Filtered > 0 {
		fmt.Fprintf(o.IO.ErrOut, "irisctl: %s: the model dropped %d record(s) (a stage has handle_invalid=skip)\n", name, st.Filtered)
	}
	if err != nil {
		var le *score.LineError
		if errors.As(err, &le) {
			return fmt.Errorf("%s:%d: %v", name, le.Line, le.Err)
		}
		return err
	}
	if o.SkipInvalid && st.Invalid > 0 {
		fmt.Fprintf(o.IO.ErrOut, "irisctl: %s: skipped %d invalid record(s) of %d\n", name, st.Invalid, st.Lines)
	}
	return nil
}

func isLineError(err error) bool {
	var le *score.LineError
	return errors.As(err, &le)
}

// checkFields makes sure every --fields column is one the model writes.
func checkFields(m *mleap.Model, fields []string) error {
	outs := m.OutputColumns()
	for _, f := range fields {
		found := false
		for _, c := range outs {
			found = found || c.Name == f
		}
		if !found {
			var names []string
			for _, c := range outs {
				names = append(names, c.Name)
			}
			return cmdutil.FlagErrorf("--fields: the model has no output column %q (it writes %s)", f, strings.Join(names, ", "))
		}
	}
	return nil
}

// startsWithBrace peeks past blank space for a '{' (JSON lines).
func startsWithBrace(br *bufio.Reader) bool {
	for n := 64; ; n *= 4 {
		b, err := br.Peek(n)
		for _, c := range b {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{':
				return true
			}
			return false
		}
		if err != nil || n >= 64<<10 {
			return false
		}
	}
}

// readsNumbers tells whether the model reads a numeric column.
func readsNumbers(s *score.Scorer) bool {
	for _, f := range s.InputSchema() {
		if f.Type == mleap.Double {
			return true
		}
	}
	return false
}

func schemaList(s *score.Scorer) string {
	var names []string
	for _, f := range s.InputSchema() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// writeCells renders score.OutputCells rows as a table.
func writeCells(w io.Writer, cells []byte) error {
	var rows [][]string
	for _, line := range bytes.Split(bytes.TrimSuffix(cells, []byte{'\n'}), []byte{'\n'}) {
		if len(line) == 0 && len(rows) == 0 {
			continue
		}
		rows = append(rows, strings.Split(string(line), string(score.CellSep)))
	}
	if len(rows) == 0 {
		return nil
	}
	return cmdutil.WriteTable(w, rows[0], rows[1:])
}

// progress shows how far a file has been scored on stderr, when that is
// a terminal and stdout is not.
type progress struct {
	io    *iostreams.IOStreams
	name  string
	size  int64
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(ios *iostreams.IOStreams, name string, size int64) *progress {
	if !ios.StderrTTY {
		return nil
	}
	if f, ok := ios.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil // the records themselves show the progress, and would mix with it
	}
	return &progress{io: ios, name: name, size: size, start: time.Now()}
}

func (p *progress) update(bytesDone, lines int64) {
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	rate := float64(lines) / now.Sub(p.start).Seconds()
	msg := fmt.Sprintf("%s: %d records", p.name, lines)
	if p.size > 0 {
		msg += fmt.Sprintf(" (%.0f%%)", 100*float64(bytesDone)/float64(p.size))
	}
	msg += fmt.Sprintf(", %.0f records/s", rate)
	fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s", msg)
	p.shown = true
}

func (p *progress) clear() {
	if p != nil && p.shown {
		fmt.Fprint(p.io.ErrOut, "\r\x1b[K")
		p.shown = false
	}
}
