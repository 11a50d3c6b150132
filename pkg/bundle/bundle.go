// Package bundle reads MLeap bundles (Bundle.ML): a directory or a zip with
// bundle.json at its root, the root transformer in root/, pipeline children in
// <name>.node/ folders, model and node files in JSON or protobuf, and
// decision trees in tree.json / tree.pb.
//
// It turns files into plain Go values (Bundle, Node, Attributes, Tree) and
// reports every problem with the file it came from. It does not know what an
// op computes: that is package mleap's job. It knows nothing of Kafka or the CLI.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "github.com/irisctl/irisctl/pkg/bundle/internal/bundlepb"
)

// Format is the serialization of a bundle's model and node files.
type Format string

const (
	JSON     Format = "json"
	Protobuf Format = "protobuf"
)

// Bundle is an opened bundle: its metadata and access to its files.
type Bundle struct {
	Path      string // where it was opened from
	UID       string
	Name      string
	Format    Format
	Version   string // MLeap version of the writer
	Timestamp string

	files files
}

// Socket binds a model port to a column name.
type Socket struct {
	Port string `json:"port"`
	Name string `json:"name"`
}

// Node is one transformer: its model (op + attributes) and, for pipeline
// stages, its shape (input and output sockets).
type Node struct {
	Dir     string // path inside the bundle, e.g. "root/VectorAssembler_1.node"
	Name    string
	Op      string
	Attrs   Attributes
	Inputs  []Socket
	Outputs []Socket

	b *Bundle
}

// Error is a problem with a bundle file.
type Error struct {
	File string // the file, e.g. /p/model.zip!/root/x.node/model.json
	Err  error
}

func (e *Error) Error() string { return e.File + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Open opens a bundle directory or .zip file.
func Open(p string) (*Bundle, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	var fl files
	if st.IsDir() {
		fl = dirFiles{root: p}
	} else {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open bundle: %w", err)
		}
		// The zip reader reads lazily; keep the file open for the bundle's life
		// by reading it whole instead (bundles are small next to memory).
		defer f.Close()
		if st.Size() > MaxZipTotal {
			return nil, fmt.Errorf("open bundle %s: %d bytes is over the limit", p, st.Size())
		}
		z, err := openZip(p, f, st.Size())
		if err != nil {
			return nil, err
		}
		// Load every entry now so the file can be closed.
		if err := z.materialize(); err != nil {
			return nil, err
		}
		fl = z
	}
	return newBundle(p, fl)
}

// OpenZipBytes opens a zip bundle held in memory (e.g. embedded in the binary).
func OpenZipBytes(name string, data []byte) (*Bundle, error) {
	z, err := zipFromBytes(name, data)
	if err != nil {
		return nil, err
	}
	return newBundle(name, z)
}

type bundleJSON struct {
	UID       string `json:"uid"`
	Name      string `json:"name"`
	Format    string `json:"format"`
	Version   string `json:"version"`
	Timestamp string `json:"timestamp"`
}

func newBundle(p string, fl files) (*Bundle, error) {
	raw, err := fl.read("bundle.json")
	if err != nil {
		if isNotExist(err) {
			return nil, &Error{File: fl.describe("bundle.json"), Err: errors.New("missing: this is not an MLeap bundle (no bundle.json at its root)")}
		}
		return nil, &Error{File: fl.describe("bundle.json"), Err: err}
	}
	var bj bundleJSON
	if err := json.Unmarshal(raw, &bj); err != nil {
		return nil, &Error{File: fl.describe("bundle.json"), Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	b := &Bundle{Path: p, UID: bj.UID, Name: bj.Name, Format: Format(bj.Format), Version: bj.Version, Timestamp: bj.Timestamp, files: fl}
	switch b.Format {
	case JSON, Protobuf:
	case "mixed":
		return nil, &Error{File: fl.describe("bundle.json"), Err: fmt.Errorf("format \"mixed\" is the legacy pre-0.7 MLeap bundle format (version %q), which MLeap itself no longer reads; re-save the model with MLeap 0.8 or later", bj.Version)}
	default:
		return nil, &Error{File: fl.describe("bundle.json"), Err: fmt.Errorf("unknown format %q (want \"json\" or \"protobuf\")", bj.Format)}
	}
	return b, nil
}

func (b *Bundle) ext() string {
	if b.Format == Protobuf {
		return ".pb"
	}
	return ".json"
}

// Root reads the root transformer (in root/).
func (b *Bundle) Root() (*Node, error) { return b.ReadNode("root") }

// ReadNode reads the model and node files of the transformer in dir.
func (b *Bundle) ReadNode(dir string) (*Node, error) {
	n, err := b.ReadModel(dir)
	if err != nil {
		return nil, err
	}
	file := path.Join(dir, "node"+b.ext())
	raw, err := b.files.read(file)
	if err != nil {
		if isNotExist(err) {
			return nil, &Error{File: b.files.describe(file), Err: errors.New("missing")}
		}
		return nil, &Error{File: b.files.describe(file), Err: err}
	}
	if b.Format == Protobuf {
		var pn pb.Node
		if err := proto.Unmarshal(raw, &pn); err != nil {
			return nil, &Error{File: b.files.describe(file), Err: fmt.Errorf("malformed protobuf: %w", err)}
		}
		n.Name = pn.GetName()
		for _, s := range pn.GetShape().GetInputs() {
			n.Inputs = append(n.Inputs, Socket{Port: s.GetPort(), Name: s.GetName()})
		}
		for _, s := range pn.GetShape().GetOutputs() {
			n.Outputs = append(n.Outputs, Socket{Port: s.GetPort(), Name: s.GetName()})
		}
		return n, nil
	}
	var jn struct {
		Name  string `json:"name"`
		Shape struct {
			Inputs  []Socket `json:"inputs"`
			Outputs []Socket `json:"outputs"`
		} `json:"shape"`
	}
	if err := json.Unmarshal(raw, &jn); err != nil {
		return nil, &Error{File: b.files.describe(file), Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	n.Name, n.Inputs, n.Outputs = jn.Name, jn.Shape.Inputs, jn.Shape.Outputs
	return n, nil
}

// ReadModel reads only the model file in dir (sub-models such as the trees
// of an ensemble have no node file).
func (b *Bundle) ReadModel(dir string) (*Node, error) {
	file := path.Join(dir, "model"+b.ext())
	raw, err := b.files.read(file)
	if err != nil {
		if isNotExist(err) {
			return nil, &Error{File: b.files.describe(file), Err: errors.New("missing")}
		}
		return nil, &Error{File: b.files.describe(file), Err: err}
	}
	n := &Node{Dir: dir, b: b}
	if b.Format == Protobuf {
		var pm pb.Model
		if err := proto.Unmarshal(raw, &pm); err != nil {
			return nil, &Error{File: b.files.describe(file), Err: fmt.Errorf("malformed protobuf: %w", err)}
		}
		n.Op = pm.GetOp()
		if n.Attrs, err = pbAttributes(pm.GetAttributes()); err != nil {
			return nil, &Error{File: b.files.describe(file), Err: err}
		}
	} else {
		var jm struct {
			Op         string                     `json:"op"`
			Attributes map[string]json.RawMessage `json:"attributes"`
		}
		if err := json.Unmarshal(raw, &jm); err != nil {
			return nil, &Error{File: b.files.describe(file), Err: fmt.Errorf("malformed JSON: %w", err)}
		}
		n.Op = jm.Op
		n.Attrs = Attributes{}
		for name, rv := range jm.Attributes {
			v, err := decodeJSONValue(rv)
			if err != nil {
				return nil, &Error{File: b.files.describe(file), Err: fmt.Errorf("attribute %q: %w", name, err)}
			}
			n.Attrs[name] = v
		}
	}
	if n.Op == "" {
		return nil, &Error{File: b.files.describe(file), Err: errors.New("no \"op\"")}
	}
	return n, nil
}

// File names a file of this node for messages.
func (n *Node) File(name string) string { return n.b.files.describe(path.Join(n.Dir, name)) }

// ModelFile names the node's model file for messages.
func (n *Node) ModelFile() string { return n.File("model" + n.b.ext()) }

// Child reads the pipeline child called name (in <dir>/<name>.node/).
func (n *Node) Child(name string) (*Node, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return nil, &Error{File: n.ModelFile(), Err: fmt.Errorf("bad child node name %q", name)}
	}
	return n.b.ReadNode(path.Join(n.Dir, name+".node"))
}

// SubModel reads a model-only sub directory, such as an ensemble's tree3/.
func (n *Node) SubModel(name string) (*Node, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return nil, &Error{File: n.ModelFile(), Err: fmt.Errorf("bad sub-model name %q", name)}
	}
	return n.b.ReadModel(path.Join(n.Dir, name))
}

// ChildDirs lists the <name>.node folders inside the node's folder, by name
// (without the .node suffix): used to find orphans a pipeline does not list.
func (n *Node) ChildDirs() []string {
	var out []string
	for _, e := range n.b.files.list(n.Dir) {
		if strings.HasSuffix(e, ".node") && n.b.files.isDir(path.Join(n.Dir, e)) {
			out = append(out, strings.TrimSuffix(e, ".node"))
		}
	}
	return out
}

// Bundle returns the bundle the node was read from.
func (n *Node) Bundle() *Bundle { return n.b }
