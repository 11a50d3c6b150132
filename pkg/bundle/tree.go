package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path"

	"google.golang.org/protobuf/proto"

	pb "github.com/irisctl/irisctl/pkg/bundle/internal/bundlepb"
)

// Limits on decision trees: Spark caps depth at 30, so anything far deeper
// is a broken or hostile file, not a model.
const (
	MaxTreeDepth = 256
	MaxTreeNodes = 1 << 22
)

// SplitKind tells a continuous split from a categorical one.
type SplitKind uint8

const (
	Leaf SplitKind = iota
	Continuous
	Categorical
)

// TreeNode is one node of a decision tree, stored flat: Left and Right
// index Tree.Nodes; a leaf's Values are its class counts (classification)
// or [prediction] (regression).
type TreeNode struct {
	Kind          SplitKind
	Feature       int
	Threshold     float64   // continuous: go left iff x <= Threshold
	Categories    []float64 // categorical
	IsLeft        bool      // categorical: categories listed are those that go left
	NumCategories int
	Left, Right   int
	Values        []float64
}

// Tree is a decision tree in pre-order: Nodes[0] is the root.
type Tree struct {
	Nodes    []TreeNode
	MaxDepth int // depth of the deepest leaf; a lone leaf has depth 0
}

type jsonTreeNode struct {
	Type  string `json:"type"`
	Split *struct {
		Type          string    `json:"type"`
		FeatureIndex  int       `json:"featureIndex"`
		Threshold     *float64  `json:"threshold"`
		IsLeft        bool      `json:"isLeft"`
		NumCategories int       `json:"numCategories"`
		Categories    []float64 `json:"categories"`
	} `json:"split"`
	Values []*float64 `json:"values"`
}

// ReadTree reads the decision tree stored beside a tree model
// (tree.json or tree.pb, following the bundle's format).
func (n *Node) ReadTree() (*Tree, error) {
	name := "tree.json"
	if n.b.Format == Protobuf {
		name = "tree.pb"
	}
	file := path.Join(n.Dir, name)
	raw, err := n.b.files.read(file)
	if isNotExist(err) {
		// MLeap before 0.23 re-saved trees as nodes.json / nodes.pb, a name
		// its own reader does not accept; accept it here.
		alt := path.Join(n.Dir, "nodes"+path.Ext(name))
		if b, altErr := n.b.files.read(alt); altErr == nil {
			raw, err, file = b, nil, alt
		}
	}
	if err != nil {
		if isNotExist(err) {
			return nil, &Error{File: n.b.files.describe(file), Err: errors.New("missing")}
		}
		return nil, &Error{File: n.b.files.describe(file), Err: err}
	}
	var next func() (TreeNode, error)
	if n.b.Format == Protobuf {
		next = pbTreeReader(raw)
	} else {
		next = jsonTreeReader(raw)
	}
	t := &Tree{}
	if _, err := t.build(next, 0); err != nil {
		return nil, &Error{File: n.b.files.describe(file), Err: err}
	}
	if rest, err := next(); err == nil {
		_ = rest
		return nil, &Error{File: n.b.files.describe(file), Err: fmt.Errorf("extra nodes after the tree ends at node %d", len(t.Nodes))}
	} else if !errors.Is(err, errTreeEnd) {
		return nil, &Error{File: n.b.files.describe(file), Err: err}
	}
	return t, nil
}

var errTreeEnd = errors.New("end of tree file")

// build appends a node and, for an internal node, its left then right
// subtree (pre-order), returning the node's index.
func (t *Tree) build(next func() (TreeNode, error), depth int) (int, error) {
	if depth > MaxTreeDepth {
		return 0, fmt.Errorf("tree deeper than %d levels", MaxTreeDepth)
	}
	if len(t.Nodes) >= MaxTreeNodes {
		return 0, fmt.Errorf("tree has more than %d nodes", MaxTreeNodes)
	}
	nd, err := next()
	if err != nil {
		if errors.Is(err, errTreeEnd) {
			return 0, fmt.Errorf("tree ends early: node %d is missing", len(t.Nodes)+1)
		}
		return 0, err
	}
	idx := len(t.Nodes)
	t.Nodes = append(t.Nodes, nd)
	if nd.Kind == Leaf {
		if depth > t.MaxDepth {
			t.MaxDepth = depth
		}
		return idx, nil
	}
	l, err := t.build(next, depth+1)
	if err != nil {
		return 0, err
	}
	r, err := t.build(next, depth+1)
	if err != nil {
		return 0, err
	}
	t.Nodes[idx].Left, t.Nodes[idx].Right = l, r
	return idx, nil
}

func jsonTreeReader(raw []byte) func() (TreeNode, error) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), MaxFileSize)
	line := 0
	return func() (TreeNode, error) {
		for {
			if !sc.Scan() {
				if err := sc.Err(); err != nil {
					return TreeNode{}, fmt.Errorf("line %d: %w", line+1, err)
				}
				return TreeNode{}, errTreeEnd
			}
			line++
			if len(bytes.TrimSpace(sc.Bytes())) > 0 {
				break
			}
		}
		var jn jsonTreeNode
		if err := json.Unmarshal(sc.Bytes(), &jn); err != nil {
			return TreeNode{}, fmt.Errorf("line %d: malformed JSON: %w", line, err)
		}
		switch jn.Type {
		case "leaf":
			vals := make([]float64, len(jn.Values))
			for i, v := range jn.Values {
				if v == nil {
					return TreeNode{}, fmt.Errorf("line %d: null leaf value", line)
				}
				vals[i] = *v
			}
			if len(vals) == 0 {
				return TreeNode{}, fmt.Errorf("line %d: leaf without values", line)
			}
			return TreeNode{Kind: Leaf, Values: vals}, nil
		case "internal":
			s := jn.Split
			if s == nil {
				return TreeNode{}, fmt.Errorf("line %d: internal node without split", line)
			}
			if s.FeatureIndex < 0 {
				return TreeNode{}, fmt.Errorf("line %d: negative featureIndex %d", line, s.FeatureIndex)
			}
			switch s.Type {
			case "continuous":
				th := 0.0
				if s.Threshold != nil {
					th = *s.Threshold
				}
				return TreeNode{Kind: Continuous, Feature: s.FeatureIndex, Threshold: th}, nil
			case "categorical":
				return TreeNode{Kind: Categorical, Feature: s.FeatureIndex, IsLeft: s.IsLeft, NumCategories: s.NumCategories, Categories: s.Categories}, nil
			default:
				return TreeNode{}, fmt.Errorf("line %d: unknown split type %q", line, s.Type)
			}
		default:
			return TreeNode{}, fmt.Errorf("line %d: unknown node type %q", line, jn.Type)
		}
	}
}

// pbTreeReader reads tree.pb: records of a 4-byte big-endian length and a
// serialized node, in pre-order.
func pbTreeReader(raw []byte) func() (TreeNode, error) {
	rec := 0
	return func() (TreeNode, error) {
		if len(raw) == 0 {
			return TreeNode{}, errTreeEnd
		}
		rec++
		if len(raw) < 4 {
			return TreeNode{}, fmt.Errorf("record %d: truncated length prefix", rec)
		}
		size := binary.BigEndian.Uint32(raw)
		raw = raw[4:]
		if uint64(size) > uint64(len(raw)) {
			return TreeNode{}, fmt.Errorf("record %d: length %d past the end of the file", rec, size)
		}
		var pn pb.TreeNode
		if err := proto.Unmarshal(raw[:size], &pn); err != nil {
			return TreeNode{}, fmt.Errorf("record %d: malformed protobuf: %w", rec, err)
		}
		raw = raw[size:]
		switch x := pn.GetN().(type) {
		case *pb.TreeNode_Leaf:
			if len(x.Leaf.GetValues()) == 0 {
				return TreeNode{}, fmt.Errorf("record %d: leaf without values", rec)
			}
			return TreeNode{Kind: Leaf, Values: x.Leaf.GetValues()}, nil
		case *pb.TreeNode_Internal:
			switch s := x.Internal.GetSplit().GetS().(type) {
			case *pb.Split_Continuous:
				return TreeNode{Kind: Continuous, Feature: int(s.Continuous.GetFeatureIndex()), Threshold: s.Continuous.GetThreshold()}, nil
			case *pb.Split_Categorical:
				c := s.Categorical
				return TreeNode{Kind: Categorical, Feature: int(c.GetFeatureIndex()), IsLeft: c.GetIsLeft(), NumCategories: int(c.GetNumCategories()), Categories: c.GetCategories()}, nil
			default:
				return TreeNode{}, fmt.Errorf("record %d: internal node without split", rec)
			}
		default:
			return TreeNode{}, fmt.Errorf("record %d: node is neither leaf nor internal", rec)
		}
	}
}
