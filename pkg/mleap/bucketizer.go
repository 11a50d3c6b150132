package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["bucketizer"] = newBucketizer
}

// bucketizer is Spark's Bucketizer (one column): splits s_0 < s_1 < ... <
// s_n make n buckets [s_i, s_i+1), the last one closed.
type bucketizer struct {
	stage, input string
	splits       []float64
	invalid      string // error | keep | skip
}

func newBucketizer(n *bundle.Node) (*Stage, error) {
	in, out := port(n.Inputs, "input"), port(n.Outputs, "output")
	if in == "" || out == "" {
		return nil, fmt.Errorf("node %s: needs ports input and output", n.Dir)
	}
	if !n.Attrs.Has("splits") {
		return nil, fmt.Errorf("attribute %q: missing", "splits")
	}
	splits := append([]float64(nil), n.Attrs.Doubles("splits")...)
	if len(splits) < 3 {
		return nil, fmt.Errorf("attribute %q: %d splits (want at least 3)", "splits", len(splits))
	}
	// JSON writes ±Inf as null, read back as NaN: MLeap restores a NaN
	// first split to -Inf and a NaN last one to +Inf.
	if math.IsNaN(splits[0]) {
		splits[0] = math.Inf(-1)
	}
	if last := len(splits) - 1; math.IsNaN(splits[last]) {
		splits[last] = math.Inf(1)
	}
	for i, s := range splits {
		if math.IsNaN(s) {
			return nil, fmt.Errorf("attribute %q: split %d is NaN", "splits", i)
		}
		if i > 0 && !(s > splits[i-1]) {
			return nil, fmt.Errorf("attribute %q: splits must be strictly increasing (%v after %v)", "splits", s, splits[i-1])
		}
	}
	// mleap-spark 0.14 does not write handle_invalid: such bundles score
	// with "error", whatever the Spark model had.
	b := &bucketizer{stage: n.Name, input: in, splits: splits, invalid: n.Attrs.String("handle_invalid")}
	switch b.invalid {
	case "":
		b.invalid = "error"
	case "error", "keep", "skip":
	default:
		return nil, fmt.Errorf("attribute %q: %q (want error, keep or skip)", "handle_invalid", b.invalid)
	}
	return &Stage{
		impl:    b,
		Inputs:  []Column{{Name: in, Type: Double}},
		Outputs: []Column{{Name: out, Type: Double}},
		Facts:   []Fact{{"splits", splits}, {"handle_invalid", b.invalid}},
	}, nil
}

type bucketizerStep struct {
	*bucketizer
	in, out int
}

func (b *bucketizer) step(in, out []slot, _ *binder) (step, error) {
	return &bucketizerStep{bucketizer: b, in: in[0].idx, out: out[0].idx}, nil
}

// run is Spark's Bucketizer.binarySearchForBuckets: NaN goes to the extra
// bucket n with keep (the row is dropped with skip); x equal to the last
// split is in the last bucket; otherwise java.util.Arrays.binarySearch
// finds x or its insertion point. That search orders doubles as
// Double.compare does, so -0.0 sorts before a 0.0 split and lands in the
// bucket below it, as in Spark.
func (s *bucketizerStep) run(r *Row) error {
	x := r.f[s.in]
	sp := s.splits
	switch {
	case math.IsNaN(x):
		switch s.invalid {
		case "keep":
			r.f[s.out] = float64(len(sp) - 1)
			return nil
		case "skip":
			return ErrRowSkipped
		}
		return &RecordError{Column: s.input, Stage: s.stage, Msg: "NaN value (handle_invalid=error)"}
	case x == sp[len(sp)-1]:
		r.f[s.out] = float64(len(sp) - 2)
		return nil
	}
	idx := javaBinarySearch(sp, x)
	if idx >= 0 {
		r.f[s.out] = float64(idx)
		return nil
	}
	pos := -idx - 1
	if pos == 0 || pos == len(sp) {
		return &RecordError{Column: s.input, Stage: s.stage, Msg: fmt.Sprintf("value %v out of the bucket bounds [%v, %v]", x, sp[0], sp[len(sp)-1])}
	}
	r.f[s.out] = float64(pos - 1)
	return nil
}

// javaBinarySearch is java.util.Arrays.binarySearch(double[], double): the
// index of key, or -(insertion point)-1. Equal values are told apart by
// their bits as Double.compare does (-0.0 < 0.0).
func javaBinarySearch(a []float64, key float64) int {
	lo, hi := 0, len(a)-1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		v := a[mid]
		switch {
		case v < key:
			lo = mid + 1
		case v > key:
			hi = mid - 1
		default:
			vb, kb := javaDoubleBits(v), javaDoubleBits(key)
			switch {
			case vb == kb:
				return mid
			case vb < kb:
				lo = mid + 1
			default:
				hi = mid - 1
			}
		}
	}
	return -(lo + 1)
}

// javaDoubleBits is Double.doubleToLongBits as a signed long (NaN canonical).
func javaDoubleBits(x float64) int64 {
	if math.IsNaN(x) {
		return 0x7ff8000000000000
	}
	return int64(math.Float64bits(x))
}
