package mleap

import (
	"fmt"
	"math"

	"github.com/irisctl/irisctl/pkg/bundle"
)

func init() {
	ops["linear_regression"] = newLinearRegression
	ops["logistic_regression"] = newLogisticRegression
}

// maxLinearFeatures bounds the size of a linear model read from a file.
const maxLinearFeatures = 1 << 24

// tensorAttr reads a required double tensor (or list) attribute.
func tensorAttr(n *bundle.Node, name string) ([]float64, error) {
	if !n.Attrs.Has(name) {
		return nil, fmt.Errorf("attribute %q: missing", name)
	}
	v := n.Attrs.Doubles(name)
	if len(v) == 0 {
		return nil, fmt.Errorf("attribute %q: no values (want a double tensor)", name)
	}
	if len(v) > maxLinearFeatures {
		return nil, fmt.Errorf("attribute %q: %d values is too many", name, len(v))
	}
	return v, nil
}

// checkFinite reports the first value that is NaN or infinite.
func checkFinite(name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("attribute %q: value %d is %v", name, i, x)
		}
	}
	return nil
}

// --- linear_regression ---

type linearRegression struct {
	coef      []float64
	intercept float64
}

func newLinearRegression(n *bundle.Node) (*Stage, error) {
	feat, pred := port(n.Inputs, "features"), port(n.Outputs, "prediction")
	if feat == "" || pred == "" {
		return nil, fmt.Errorf("node %s: needs ports features and prediction", n.Dir)
	}
	coef, err := tensorAttr(n, "coefficients")
	if err != nil {
		return nil, err
	}
	lr := &linearRegression{coef: coef, intercept: n.Attrs.Double("intercept")}
	return &Stage{
		impl:    lr,
		Inputs:  []Column{{Name: feat, Type: Vector, Size: len(coef)}},
		Outputs: []Column{{Name: pred, Type: Double}},
		Facts:   []Fact{{"features", len(coef)}, {"intercept", lr.intercept}},
	}, nil
}

type linearRegressionStep struct {
	*linearRegression
	in, out int
}

func (lr *linearRegression) step(in, out []slot, _ *binder) (step, error) {
	return &linearRegressionStep{linearRegression: lr, in: in[0].idx, out: out[0].idx}, nil
}

// run is Spark's predict: BLAS.dot(features, coefficients) + intercept.
func (s *linearRegressionStep) run(r *Row) error {
	r.f[s.out] = dotVec(&r.v[s.in], s.coef) + s.intercept
	return nil
}

// --- logistic_regression ---

// logisticRegression is binary (coef/intercept/threshold) or multinomial
// (a K×F matrix, kept row by row, and K intercepts).
type logisticRegression struct {
	*classifierPorts
	numFeatures int
	multi       bool

	coef      []float64 // binary: F coefficients; multinomial: K*F, row k at k*F
	intercept float64
	threshold float64
	rawThresh float64 // log(t/(1-t)): Spark's raw2prediction cut-off
	icept     []float64
}

func newLogisticRegression(n *bundle.Node) (*Stage, error) {
	k := n.Attrs.Int("num_classes")
	if !n.Attrs.Has("num_classes") {
		return nil, fmt.Errorf("attribute %q: missing", "num_classes")
	}
	if k < 2 || k > 1<<16 {
		return nil, fmt.Errorf("attribute %q: %d classes (want 2 or more)", "num_classes", k)
	}
	lr := &logisticRegression{multi: k > 2}
	st := &Stage{impl: lr}
	if !lr.multi {
		coef, err := tensorAttr(n, "coefficients")
		if err != nil {
			return nil, err
		}
		lr.coef, lr.numFeatures = coef, len(coef)
		lr.intercept = n.Attrs.Double("intercept")
		lr.threshold = 0.5 // MLeap's default when the attribute is absent
		if n.Attrs.Has("threshold") {
			lr.threshold = n.Attrs.Double("threshold")
		}
		if !(lr.threshold >= 0 && lr.threshold <= 1) {
			return nil, fmt.Errorf("attribute %q: %v is not in [0, 1]", "threshold", lr.threshold)
		}
		switch lr.threshold {
		case 0:
			lr.rawThresh = math.Inf(-1)
		case 1:
			lr.rawThresh = math.Inf(1)
		default:
			lr.rawThresh = math.Log(lr.threshold / (1 - lr.threshold))
		}
		st.Facts = append(st.Facts, Fact{"classes", 2}, Fact{"features", lr.numFeatures},
			Fact{"intercept", lr.intercept}, Fact{"threshold", lr.threshold})
	} else {
		name := "coefficient_matrix"
		if !n.Attrs.Has(name) {
			return nil, fmt.Errorf("attribute %q: missing", name)
		}
		m := n.Attrs[name]
		if len(m.TensorDims) != 2 || int64(m.TensorDims[0]) != k || m.TensorDims[1] <= 0 {
			return nil, fmt.Errorf("attribute %q: dimensions %v, want [%d, features]", name, m.TensorDims, k)
		}
		nf := m.TensorDims[1]
		if nf > maxLinearFeatures/int(k) || len(m.Doubles) != int(k)*nf {
			return nil, fmt.Errorf("attribute %q: %d values for dimensions %v", name, len(m.Doubles), m.TensorDims)
		}
		// Spark writes DenseMatrix.toArray: column-major, element (c, j) at
		// j*K + c. Keep it row-major for the per-class dot products.
		lr.numFeatures = nf
		lr.coef = make([]float64, len(m.Doubles))
		for c := 0; c < int(k); c++ {
			for j := 0; j < nf; j++ {
				lr.coef[c*nf+j] = m.Doubles[j*int(k)+c]
			}
		}
		icept, err := tensorAttr(n, "intercept_vector")
		if err != nil {
			return nil, err
		}
		if len(icept) != int(k) {
			return nil, fmt.Errorf("attribute %q: %d values for %d classes", "intercept_vector", len(icept), k)
		}
		lr.icept = icept
		st.Facts = append(st.Facts, Fact{"classes", k}, Fact{"features", nf}, Fact{"intercepts", icept})
	}
	if err := checkFinite("coefficients", lr.coef); err != nil {
		return nil, err
	}
	cp, err := bindClassifierPorts(n, st, lr.numFeatures, int(k))
	if err != nil {
		return nil, err
	}
	lr.classifierPorts = cp
	if lr.multi {
		// A binary model's "thresholds" (if any) are ignored, as MLeap does:
		// its threshold says the same thing.
		if err := cp.readThresholds(n); err != nil {
			return nil, err
		}
		if cp.thresholds != nil {
			st.Facts = append(st.Facts, Fact{"thresholds", cp.thresholds})
		}
	}
	return st, nil
}

type logisticRegressionStep struct {
	*logisticRegression
	in int
	classifierSlots
}

func (lr *logisticRegression) step(in, out []slot, b *binder) (step, error) {
	return &logisticRegressionStep{logisticRegression: lr, in: in[0].idx, classifierSlots: lr.slots(out, b)}, nil
}

func (s *logisticRegressionStep) run(r *Row) error {
	x := &r.v[s.in]
	if s.multi {
		s.runMulti(r, x)
		return nil
	}
	// Binary: margin m = dot(x, coefficients) + intercept; raw = [-m, m];
	// probability_i = 1/(1+exp(-raw_i)), each computed on its own as Spark
	// does (not 1-p).
	m := dotVec(x, s.coef) + s.intercept
	if s.hasRaw || s.hasProb {
		raw := s.rawBuf(r, 2)
		raw[0], raw[1] = -m, m
		if s.hasRaw {
			r.f[s.pred] = b2f(raw[1] > s.rawThresh)
		}
		if s.hasProb {
			p := s.probBuf(r, 2)
			p[0] = 1 / (1 + javaExp(-raw[0]))
			p[1] = 1 / (1 + javaExp(-raw[1]))
			if !s.hasRaw {
				r.f[s.pred] = b2f(p[1] > s.threshold)
			}
		}
		return nil
	}
	r.f[s.pred] = b2f(1/(1+javaExp(-m)) > s.threshold)
	return nil
}

// runMulti computes Spark 2.4's multinomial margins, softmax and prediction.
//
// Margins: Spark's model holds the coefficients row-major (isTransposed),
// so BLAS.gemv runs F2jBLAS dgemv "T": per class, a sequential dot of the
// class's row with the features, then intercept + that sum; a sparse
// feature vector gives the same sum over its active entries. (MLeap's
// runtime rebuilds the matrix column-major and runs dgemv "N", which adds
// the products to the intercept feature by feature: its margins can differ
// from Spark's in the last bits.)
//
// Softmax: max = the first largest margin; if it is +Inf, a one-hot vector;
// else e_k = exp(m_k - max) if max > 0, exp(m_k) otherwise, summed in order,
// then each multiplied by 1/sum.
func (s *logisticRegressionStep) runMulti(r *Row, x *Vec) {
	k, nf := s.numClasses, s.numFeatures
	raw := s.rawBuf(r, k)
	for c := 0; c < k; c++ {
		raw[c] = s.icept[c] + dotVec(x, s.coef[c*nf:(c+1)*nf])
	}
	// raw2prediction (raw bound) and predict (no port bound) both take the
	// first largest margin when there are no thresholds.
	byRaw := s.thresholds == nil && (s.hasRaw || !s.hasProb)
	if byRaw {
		r.f[s.pred] = float64(argmax(raw))
		if !s.hasProb {
			return
		}
	}
	p := s.probBuf(r, k)
	maxIdx := argmax(raw)
	max := raw[maxIdx]
	if math.IsInf(max, 1) {
		for i := range p {
			p[i] = 0
		}
		p[maxIdx] = 1
	} else {
		sum := 0.0
		for i, m := range raw {
			if max > 0 {
				p[i] = javaExp(m - max)
			} else {
				p[i] = javaExp(m)
			}
			sum += p[i]
		}
		inv := 1 / sum
		for i := range p {
			p[i] *= inv
		}
	}
	if !byRaw {
		r.f[s.pred] = s.probabilityToPrediction(p)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
