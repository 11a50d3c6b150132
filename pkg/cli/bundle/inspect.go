package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/mleap"
)

// InspectOptions are the inputs of `irisctl bundle inspect`.
type InspectOptions struct {
	IO *iostreams.IOStreams
	source

	Output string // table or json
	Graph  bool   // print Graphviz DOT instead (as `bundle graph`)
	Graphs GraphOptions
}

// Report is what `bundle inspect` shows (and its --output json shape).
type Report struct {
	Path          string        `json:"path"`
	Name          string        `json:"name"`
	UID           string        `json:"uid"`
	Format        string        `json:"format"`
	MLeapVersion  string        `json:"mleap_version"`
	Timestamp     string        `json:"timestamp"`
	RootOp        string        `json:"root_op"`
	DefaultOutput string        `json:"default_output"`
	Stages        []StageReport `json:"stages"`
	InputSchema   []InputColumn `json:"input_schema"`
	Outputs       []OutputCol   `json:"outputs"`
	Orphans       []string      `json:"orphans"`
}

// StageReport is one stage, in execution order.
type StageReport struct {
	Index   int            `json:"index"` // 1-based
	Name    string         `json:"name"`
	Op      string         `json:"op"`
	Dir     string         `json:"dir"`
	Inputs  []Column       `json:"inputs"`
	Outputs []Column       `json:"outputs"`
	Facts   map[string]any `json:"facts"`
	// Pruned stages do not run for the default output unless the optional
	// columns in RunsIf are supplied.
	Pruned bool     `json:"pruned"`
	RunsIf []string `json:"runs_if,omitempty"`

	facts []mleap.Fact
}

// Column is a column a stage reads or writes.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int    `json:"size,omitempty"` // vectors, when known
}

// InputColumn is a column callers supply.
type InputColumn struct {
	Column
	Required bool     `json:"required"`
	ReadBy   []string `json:"read_by"` // stages that read it
}

// OutputCol is a column the pipeline writes (what --fields can name).
type OutputCol struct {
	Column
	Stage string `json:"stage"`
}

// NewCmdInspect builds `bundle inspect`; runF replaces the run step in tests.
func NewCmdInspect(ios *iostreams.IOStreams, runF func(*InspectOptions) error) *cobra.Command {
	o := &InspectOptions{IO: ios, Graphs: GraphOptions{IO: ios}}
	cmd := &cobra.Command{
		Use:   "inspect {PATH | --builtin}",
		Short: "Show a bundle's metadata, stages, input schema and orphan nodes",
		Long: `Show what an MLeap bundle (a directory or a .zip) holds:

- its metadata: name, uid, serialization format, MLeap version, timestamp;
- its stages in execution order: op, input and output columns, and the
  facts that matter (labels, trees, nodes, depth, features, classes,
  handle_invalid);
- the input schema a caller must supply for the default output, with the
  columns that are optional because only a pruned stage reads them (such
  a stage runs only when they are given);
- the columns the pipeline writes (what "irisctl score --fields" can add);
- node folders in the bundle that the pipeline does not list (orphans,
  left over from earlier saves; they are ignored).

--output json prints the same as one JSON object for scripts. --graph
prints Graphviz DOT instead, as "irisctl bundle graph" does (--output
does not apply to it).`,
		Example: `  irisctl bundle inspect ../shared/reference/seed-iris-bundle
  irisctl bundle inspect --builtin
  irisctl bundle inspect model.zip -o json | jq '.input_schema[] | select(.required) | .name'
  irisctl bundle inspect --builtin --graph --tree 3 | dot -Tpng > tree3.png`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.take(args); err != nil {
				return err
			}
			if o.Output != "table" && o.Output != "json" {
				return cmdutil.FlagErrorf("--output %q: want table or json", o.Output)
			}
			if !o.Graph && (c.Flags().Changed("tree") || c.Flags().Changed("stage")) {
				return cmdutil.FlagErrorf("--tree and --stage go with --graph")
			}
			o.Graphs.DrawTree = c.Flags().Changed("tree")
			if err := o.Graphs.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	o.addFlag(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	fs.BoolVar(&o.Graph, "graph", false, "print the pipeline (or with --tree, one tree) as Graphviz DOT")
	fs.IntVar(&o.Graphs.Tree, "tree", 0, "with --graph: draw tree `N` (from 0) of the tree stage")
	fs.StringVar(&o.Graphs.Stage, "stage", "", "with --graph --tree: the tree stage `NAME` (default: the first)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run prints the report (or the graph).
func (o *InspectOptions) Run() error {
	b, m, err := o.open()
	if err != nil {
		return err
	}
	if o.Graph {
		g := o.Graphs
		g.source = o.source
		return g.write(b, m)
	}
	r := Inspect(m)
	if o.Output == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(o.IO.Out)
}

// Inspect gathers the report of a loaded model.
func Inspect(m *mleap.Model) *Report {
	def := m.DefaultOutput()
	r := &Report{Path: m.Path, Name: m.Name, UID: m.UID, Format: m.Format, MLeapVersion: m.Version,
		Timestamp: m.Timestamp, RootOp: m.RootOp, DefaultOutput: def, Orphans: m.Orphans}
	if r.Orphans == nil {
		r.Orphans = []string{}
	}
	schema := m.InputSchema(def)
	producer := map[string]int{}
	for i, st := range m.Stages {
		for _, c := range st.Outputs {
			producer[c.Name] = i
		}
	}
	runs := runningStages(m, def, schema)
	required := map[string]bool{}
	for _, f := range schema {
		required[f.Name] = f.Required
	}
	// needs: the optional external columns a pruned stage waits for.
	needs := make([]map[string]bool, len(m.Stages))
	for i, st := range m.Stages {
		sr := StageReport{Index: i + 1, Name: st.Name, Op: st.Op, Dir: st.Dir, Facts: map[string]any{}, facts: st.Facts}
		for _, c := range st.Inputs {
			sr.Inputs = append(sr.Inputs, column(c))
		}
		for _, c := range st.Outputs {
			sr.Outputs = append(sr.Outputs, column(c))
			r.Outputs = append(r.Outputs, OutputCol{Column: column(c), Stage: st.Name})
		}
		for _, f := range st.Facts {
			sr.Facts[strings.ReplaceAll(f.Key, " ", "_")] = f.Value
		}
		if !runs[st] {
			sr.Pruned = true
			needs[i] = map[string]bool{}
			for _, c := range st.Inputs {
				if p, ok := producer[c.Name]; ok && p < i {
					for n := range needs[p] {
						needs[i][n] = true
					}
				} else {
					needs[i][c.Name] = true
				}
			}
			for n := range needs[i] {
				if !required[n] {
					sr.RunsIf = append(sr.RunsIf, n)
				}
			}
			sort.Strings(sr.RunsIf)
		}
		r.Stages = append(r.Stages, sr)
	}
	for _, f := range schema {
		ic := InputColumn{Column: column(f.Column), Required: f.Required, ReadBy: []string{}}
		for i, st := range m.Stages {
			for _, c := range st.Inputs {
				if c.Name == f.Name && !(producerBefore(producer, c.Name, i)) {
					ic.ReadBy = append(ic.ReadBy, st.Name)
				}
			}
		}
		r.InputSchema = append(r.InputSchema, ic)
	}
	return r
}

func producerBefore(producer map[string]int, col string, i int) bool {
	p, ok := producer[col]
	return ok && p < i
}

// runningStages are the stages that run for out when only the required
// columns are supplied.
func runningStages(m *mleap.Model, out string, schema []mleap.InputField) map[*mleap.Stage]bool {
	var req []string
	for _, f := range schema {
		if f.Required {
			req = append(req, f.Name)
		}
	}
	runs := map[*mleap.Stage]bool{}
	p, err := m.Compile([]string{out}, req)
	if err != nil {
		for _, st := range m.Stages {
			runs[st] = true // cannot tell: call nothing pruned
		}
		return runs
	}
	for _, st := range p.Stages() {
		runs[st] = true
	}
	return runs
}

func column(c mleap.Column) Column {
	return Column{Name: c.Name, Type: c.Type.String(), Size: c.Size}
}

func (c Column) typeName() string {
	if c.Type == "vector" && c.Size > 0 {
		return fmt.Sprintf("vector[%d]", c.Size)
	}
	return c.Type
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if err := cmdutil.WriteTable(ew, nil, [][]string{
		{"Bundle:", r.Path},
		{"Name:", r.Name},
		{"UID:", r.UID},
		{"Format:", r.Format},
		{"MLeap version:", r.MLeapVersion},
		{"Timestamp:", r.Timestamp},
		{"Root op:", r.RootOp},
		{"Default output:", r.DefaultOutput},
	}); err != nil {
		return err
	}

	fmt.Fprintf(ew, "\nStages, in execution order:\n")
	var rows [][]string
	for _, s := range r.Stages {
		runs := "yes"
		if s.Pruned {
			runs = "only with " + strings.Join(s.RunsIf, ", ")
		}
		rows = append(rows, []string{strconv.Itoa(s.Index), s.Name, s.Op, names(s.Inputs) + " → " + names(s.Outputs), runs})
	}
	if err := cmdutil.WriteTable(ew, []string{"#", "STAGE", "OP", "INPUTS → OUTPUTS", "RUNS"}, rows); err != nil {
		return err
	}

	fmt.Fprintf(ew, "\nStage facts:\n")
	rows = nil
	for _, s := range r.Stages {
		for _, f := range s.facts {
			rows = append(rows, []string{strconv.Itoa(s.Index), f.Key, valueText(f.Value)})
		}
	}
	if err := cmdutil.WriteTable(ew, []string{"#", "FACT", "VALUE"}, rows); err != nil {
		return err
	}

	fmt.Fprintf(ew, "\nInput schema (columns to supply for %s, in positional order):\n", r.DefaultOutput)
	rows = nil
	for _, f := range r.InputSchema {
		req := "yes"
		if !f.Required {
			req = "no: only read by pruned " + strings.Join(f.ReadBy, ", ")
		}
		rows = append(rows, []string{f.Name, f.typeName(), req})
	}
	if err := cmdutil.WriteTable(ew, []string{"COLUMN", "TYPE", "REQUIRED"}, rows); err != nil {
		return err
	}

	fmt.Fprintf(ew, "\nOutput columns (irisctl score --fields):\n")
	rows = nil
	for _, c := range r.Outputs {
		rows = append(rows, []string{c.Name, c.typeName(), c.Stage})
	}
	if err := cmdutil.WriteTable(ew, []string{"COLUMN", "TYPE", "STAGE"}, rows); err != nil {
		return err
	}

	if len(r.Orphans) == 0 {
		fmt.Fprintf(ew, "\nOrphan nodes: none\n")
	} else {
		fmt.Fprintf(ew, "\nOrphan nodes (in the bundle but not in the pipeline; ignored):\n")
		for _, o := range r.Orphans {
			fmt.Fprintf(ew, "%s\n", o)
		}
	}
	return ew.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func names(cs []Column) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

// maxLabels is how many labels a table cell lists before it abbreviates.
const maxLabels = 8

func valueText(v any) string {
	switch x := v.(type) {
	case []string:
		if len(x) > maxLabels {
			return strings.Join(x[:maxLabels], ", ") + fmt.Sprintf(", ... (%d in all)", len(x))
		}
		return strings.Join(x, ", ")
	case []float64:
		var s []string
		for _, f := range x {
			s = append(s, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strings.Join(s, ", ")
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
