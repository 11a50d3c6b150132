// Package mleap is a runtime for MLeap bundles: it turns the nodes read by
// package bundle into stages with MLeap's semantics, and compiles a pipeline
// into a Program that scores one row at a time without allocating.
//
// Numerics follow Spark and the MLeap runtime exactly (the same operations in
// the same order), so predictions are bit-identical to theirs. Stages whose
// outputs nothing requested needs are pruned, so a caller need not supply
// columns (such as the training label) that only pruned stages read.
//
// It knows nothing of CSV, Kafka or the CLI.
package mleap

import (
	"fmt"
	"sort"

	"github.com/irisctl/irisctl/pkg/bundle"
)

// Column is a named, typed column a stage reads or writes.
type Column struct {
	Name string
	Type Type
	Size int // vectors: number of elements, 0 if unknown
}

// Fact is one thing worth knowing about a stage (labels, trees, ...), for
// people reading `bundle inspect`.
type Fact struct {
	Key   string
	Value any
}

// Stage is one transformer of a pipeline, in execution order.
type Stage struct {
	Name    string // the node name (Spark uid)
	Op      string
	Dir     string // the node's folder inside the bundle
	Inputs  []Column
	Outputs []Column
	Facts   []Fact

	impl stageImpl
}

// stageImpl builds the step that runs a stage on a Row.
type stageImpl interface {
	step(in, out []slot, b *binder) (step, error)
}

type step interface {
	run(r *Row) error
}

// Model is a loaded bundle: its metadata and its stages, flattened from
// nested pipelines into execution order. A Model is immutable and safe to
// share; compile it into Programs to score.
type Model struct {
	Path      string
	Name      string
	UID       string
	Format    string
	Version   string
	Timestamp string
	RootOp    string

	Stages []*Stage
	// Orphans are node folders present in a pipeline's folder that the
	// pipeline does not list (left over from earlier saves); they are ignored.
	Orphans []string
}

// Load opens and loads the bundle at path (a directory or a .zip).
func Load(path string) (*Model, error) {
	b, err := bundle.Open(path)
	if err != nil {
		return nil, err
	}
	return FromBundle(b)
}

// FromBundle loads the stages of an opened bundle.
func FromBundle(b *bundle.Bundle) (*Model, error) {
	root, err := b.Root()
	if err != nil {
		return nil, err
	}
	m := &Model{Path: b.Path, Name: b.Name, UID: b.UID, Format: string(b.Format), Version: b.Version, Timestamp: b.Timestamp, RootOp: root.Op}
	if err := m.add(root, 0); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// maxPipelineNesting bounds nested pipelines (a cycle cannot occur in a
// folder tree, but a hostile bundle can still be absurdly deep).
const maxPipelineNesting = 32

func (m *Model) add(n *bundle.Node, depth int) error {
	if n.Op == "pipeline" {
		if depth > maxPipelineNesting {
			return &bundle.Error{File: n.ModelFile(), Err: fmt.Errorf("pipelines nested more than %d deep", maxPipelineNesting)}
		}
		names := n.Attrs.Strings("nodes")
		listed := map[string]bool{}
		for _, c := range names {
			listed[c] = true
		}
		for _, d := range n.ChildDirs() {
			if !listed[d] {
				m.Orphans = append(m.Orphans, n.Dir+"/"+d+".node")
			}
		}
		for _, c := range names {
			child, err := n.Child(c)
			if err != nil {
				return err
			}
			if err := m.add(child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	build, ok := ops[n.Op]
	if !ok {
		return &bundle.Error{File: n.ModelFile(), Err: fmt.Errorf("unsupported op %q in node %s (supported: %s)", n.Op, n.Dir, supportedOps())}
	}
	st, err := build(n)
	if err != nil {
		if _, isBundleErr := err.(*bundle.Error); isBundleErr {
			return err
		}
		return &bundle.Error{File: n.ModelFile(), Err: fmt.Errorf("op %s: %w", n.Op, err)}
	}
	st.Name, st.Op, st.Dir = n.Name, n.Op, n.Dir
	if st.Name == "" {
		st.Name = n.Dir
	}
	m.Stages = append(m.Stages, st)
	return nil
}

// check verifies that column types agree between the stages.
func (m *Model) check() error {
	produced := map[string]Column{}
	for _, st := range m.Stages {
		for _, in := range st.Inputs {
			if p, ok := produced[in.Name]; ok {
				if p.Type != in.Type {
					return fmt.Errorf("stage %s reads column %q as %s, but an earlier stage writes it as %s", st.Name, in.Name, in.Type, p.Type)
				}
				if in.Type == Vector && in.Size != 0 && p.Size != 0 && in.Size != p.Size {
					return fmt.Errorf("stage %s reads column %q as a vector of %d, but an earlier stage writes %d elements", st.Name, in.Name, in.Size, p.Size)
				}
			}
		}
		for _, out := range st.Outputs {
			if _, dup := produced[out.Name]; dup {
				return fmt.Errorf("stage %s writes column %q, which an earlier stage already writes", st.Name, out.Name)
			}
			produced[out.Name] = out
		}
	}
	return nil
}

// ops maps an op name to the function that builds its stage.
var ops = map[string]func(*bundle.Node) (*Stage, error){}

func supportedOps() string {
	names := []string{"pipeline"}
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// SupportedOps lists the ops this runtime can load.
func SupportedOps() []string {
	names := []string{"pipeline"}
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// port returns the column bound to a port, or "".
func port(socks []bundle.Socket, name string) string {
	for _, s := range socks {
		if s.Port == name {
			return s.Name
		}
	}
	return ""
}
