package mleap

import (
	"math"
	"math/big"
)

// Numerics shared by the linear models, GBTs and feature scalers.
//
// Spark 2.4 and the MLeap 0.14/0.16 runtimes do their dense dot products in
// netlib-java's F2jBLAS (no native BLAS is loaded: netlib logs that
// NativeSystemBLAS and NativeRefBLAS failed to load). F2j's ddot is the
// reference Fortran loop unrolled by five, but Java evaluates
// `s + a*b + c*d + ...` left to right, so the sum is still taken strictly in
// index order starting from 0.0, each product rounded on its own. The
// sparse·dense dot of Spark's BLAS is the same sequential loop over the
// active entries. Either way: s = 0; for each i: s = s + x[i]*y[i], no FMA.
// Skipping the zero products of a sparse vector cannot change such a sum
// (adding ±0 to anything leaves it, and 0 + -0 = +0).
//
// Go may fuse x*y+z into one FMA instruction; the explicit float64()
// conversions below forbid that, as the Go spec provides.

// dotDense is Σ x[i]*y[i] in index order, as F2jBLAS.ddot computes it.
func dotDense(x, y []float64) float64 {
	y = y[:len(x)]
	s := 0.0
	for i, v := range x {
		s += float64(v * y[i])
	}
	return s
}

// dotVec is the dot product of a column vector (dense or sparse) with dense
// coefficients, as Spark's BLAS.dot computes it for either representation.
func dotVec(x *Vec, y []float64) float64 {
	if x.Dense {
		return dotDense(x.Values[:x.Size], y)
	}
	s := 0.0
	for k, i := range x.Indices {
		s += float64(x.Values[k] * y[i])
	}
	return s
}

// setDense makes v a dense vector of n elements and returns its values.
func setDense(v *Vec, n int) []float64 {
	v.Dense, v.Size = true, n
	if cap(v.Values) < n {
		v.Values = make([]float64, n)
	}
	v.Values = v.Values[:n]
	v.Indices = v.Indices[:0]
	return v.Values
}

// setSparseFrom makes v a sparse vector of size n with the indices of src
// (a sparse vector of the same size) and returns its values, to be filled.
func setSparseFrom(v *Vec, n int, src *Vec) []float64 {
	v.Dense, v.Size = false, n
	v.Indices = append(v.Indices[:0], src.Indices...)
	if cap(v.Values) < len(src.Indices) {
		v.Values = make([]float64, len(src.Indices))
	}
	v.Values = v.Values[:len(src.Indices)]
	return v.Values
}

// copyVec copies src into dst (same representation).
func copyVec(dst, src *Vec) {
	dst.Dense, dst.Size = src.Dense, src.Size
	dst.Indices = append(dst.Indices[:0], src.Indices...)
	if src.Dense {
		dst.Values = append(dst.Values[:0], src.Values[:src.Size]...)
	} else {
		dst.Values = append(dst.Values[:0], src.Values...)
	}
}

// compressFrom stores a vector of size n whose non-zero entries are at the
// ascending positions idx with values vals into v, in Spark's `compressed`
// representation: sparse when 1.5*(nnz+1) < n, else dense. The entries of
// idx/vals must all be non-zero (NaN counts as non-zero).
func compressFrom(v *Vec, n int, idx []int32, vals []float64) {
	if 1.5*(float64(len(idx))+1.0) < float64(n) {
		v.Dense, v.Size = false, n
		v.Indices = append(v.Indices[:0], idx...)
		v.Values = append(v.Values[:0], vals...)
		return
	}
	d := setDense(v, n)
	for i := range d {
		d[i] = 0
	}
	for k, i := range idx {
		d[i] = vals[k]
	}
}

// --- exp as the JVM computes it -------------------------------------------

// javaExp returns e^x correctly rounded (to within ~2^-99 before the final
// rounding). Spark and MLeap call java.lang.Math.exp, which HotSpot on
// x86-64 computes with an intrinsic that is correctly rounded for all but
// about 0.2% of arguments (and then 1 ulp off); Go's math.Exp differs from
// it on about 10% of arguments. A correctly rounded exp is the closest one
// can get to the JVM without copying its code.
//
// A fast path (table of 2^(j/64), degree-6 polynomial, error < 2^-63)
// answers whenever that error cannot change the rounding, which is all but
// about 1 in 1000 arguments; the rest, and results near the ends of the
// double range, take the slow double-double path.
func javaExp(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 710:
		return math.Inf(1)
	case x < -746:
		return 0
	case x == 0:
		return 1
	}
	n := math.Round(x * (64 / math.Ln2))
	k := int(n) >> 6
	if k < -1020 || k > 1022 {
		return expSlow(x)
	}
	j := int(n) & 63
	// r = x - n*ln2/64 as a double-double; |r| <= ln2/128.
	t := x - float64(n*ln2o64a) // exact: n has at most 17 bits, ln2o64a 36
	p, pe := twoProd(n, ln2o64b)
	rh, re := twoSum(t, -p)
	rl := re - pe - float64(n*ln2o64c)
	// e^r - 1 = r + r^2/2 + ... + r^6/720 (the next term is < 2^-65).
	q := float64(rh*rh) * (0.5 + rh*(1.0/6+rh*(1.0/24+rh*(1.0/120+rh*(1.0/720)))))
	small := q + rl
	// 2^(j/64) * e^r = th + th*rh + th*(q+rl) + tl*e^r: th + th*rh exactly
	// as s + se + pl, the rest (< 2^-15 relative) in double precision.
	th, tl := exp2Table[j][0], exp2Table[j][1]
	ph, pl := twoProd(th, rh)
	s, se := twoSum(th, ph)
	lo := se + (pl + (float64(th*small) + (tl + float64(tl*(rh+small)))))
	eps := s * 0x1p-62
	y := s + lo
	if s+(lo+eps) != y || s+(lo-eps) != y {
		return expSlow(x)
	}
	return math.Ldexp(y, k)
}

// expSlow is javaExp by a Taylor series in double-double arithmetic.
func expSlow(x float64) float64 {
	h, l, k := expDD(x, 0)
	return math.Ldexp(h+l, k)
}

// expDD returns e^(xh+xl) as (h+l)*2^k, h+l a double-double accurate to
// ~2^-100; |xh| <= 746.
func expDD(xh, xl float64) (h, l float64, k int) {
	// x = k*ln2 + r, |r| <= ~0.347, with r as a double-double.
	kf := math.Round(xh * math.Log2E)
	t := xh - float64(kf*ln2a) // exact: k has at most 11 bits, ln2a 42
	p, pe := twoProd(kf, ln2b)
	rh, re := twoSum(t, -p)
	rl := re - pe - float64(kf*ln2c) + xl
	rh, rl = fastTwoSum(rh, rl)

	// Taylor series: the terms from r^12 on are below 2^-47 and are summed
	// in double precision; the rest in double-double (Horner).
	tail := invFactTail[len(invFactTail)-1]
	for i := len(invFactTail) - 2; i >= 0; i-- {
		tail = float64(tail*rh) + invFactTail[i]
	}
	sh, sl := tail, 0.0
	for n := len(invFact) - 1; n >= 0; n-- {
		sh, sl = ddMul(sh, sl, rh, rl)
		sh, sl = ddAdd(sh, sl, invFact[n][0], invFact[n][1])
	}
	return sh, sl, int(kf)
}

// javaPow returns x^y correctly rounded (to within ~2^-95 before the final
// rounding) for x >= 0 and finite y > 0, the case of Normalizer's p-norms;
// other arguments go to math.Pow. Java's Math.pow (an intrinsic on x86-64)
// is nearly always correctly rounded; Go's math.Pow often is not (it
// multiplies out integer powers).
func javaPow(x, y float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) || !(y > 0) || math.IsInf(y, 0) {
		return math.Pow(x, y)
	}
	if y == 1 {
		return x
	}
	// log x as a double-double: one Newton step from math.Log.
	l0 := math.Log(x)
	if math.Abs(l0) > 745 {
		return math.Pow(x, y)
	}
	eh, el, ek := expDD(l0, 0)
	eh, el = math.Ldexp(eh, ek), math.Ldexp(el, ek)
	if eh == 0 || math.IsInf(eh, 0) {
		return math.Pow(x, y)
	}
	d := ((x - eh) - el) / eh
	lh, ll := fastTwoSum(l0, d)
	zh, zl := ddMul(y, 0, lh, ll)
	if zh > 709 || zh < -745 {
		return math.Pow(x, y) // near or past the ends of the double range
	}
	h, l, k := expDD(zh, zl)
	return math.Ldexp(h+l, k)
}

// ln2/64 = ln2o64a + ln2o64b + ln2o64c, ln2o64a with 36 significant bits;
// exp2Table[j] is 2^(j/64) as a double-double.
var (
	ln2o64a, ln2o64b, ln2o64c float64
	exp2Table                 [64][2]float64
)

// ln2 = ln2a + ln2b + ln2c, ln2a with 42 significant bits.
var ln2a, ln2b, ln2c float64

// invFact[n] is 1/n! as a double-double, n = 0..11; invFactTail[i] is
// 1/(12+i)! rounded, i = 0..11.
var (
	invFact     [12][2]float64
	invFactTail [12]float64
)

func init() {
	const prec = 300
	ln2, _, err := big.ParseFloat("0.69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641868754200148102057068573368552023575813055703267075163507596193072757082837143519030703862389167347112335", 10, prec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	a, _ := ln2.Float64()
	ln2a = math.Float64frombits(math.Float64bits(a) &^ (1<<11 - 1)) // keep 42 bits
	rest := new(big.Float).SetPrec(prec).Sub(ln2, big.NewFloat(ln2a))
	ln2b, _ = rest.Float64()
	rest.Sub(rest, big.NewFloat(ln2b))
	ln2c, _ = rest.Float64()

	l64 := new(big.Float).SetPrec(prec).Quo(ln2, big.NewFloat(64))
	a, _ = l64.Float64()
	ln2o64a = math.Float64frombits(math.Float64bits(a) &^ (1<<17 - 1)) // keep 36 bits
	rest.Sub(l64, big.NewFloat(ln2o64a))
	ln2o64b, _ = rest.Float64()
	rest.Sub(rest, big.NewFloat(ln2o64b))
	ln2o64c, _ = rest.Float64()

	root := new(big.Float).SetPrec(prec).SetInt64(2)
	for i := 0; i < 6; i++ {
		root.Sqrt(root)
	}
	pow := new(big.Float).SetPrec(prec).SetInt64(1)
	for j := range exp2Table {
		hi, _ := pow.Float64()
		lo, _ := new(big.Float).SetPrec(prec).Sub(pow, big.NewFloat(hi)).Float64()
		exp2Table[j] = [2]float64{hi, lo}
		pow.Mul(pow, root)
	}

	f := new(big.Float).SetPrec(prec).SetInt64(1)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := 0; n < len(invFact)+len(invFactTail); n++ {
		if n > 0 {
			f.Mul(f, new(big.Float).SetInt64(int64(n)))
		}
		inv := new(big.Float).SetPrec(prec).Quo(one, f)
		hi, _ := inv.Float64()
		if n >= len(invFact) {
			invFactTail[n-len(invFact)] = hi
			continue
		}
		lo, _ := new(big.Float).SetPrec(prec).Sub(inv, big.NewFloat(hi)).Float64()
		invFact[n] = [2]float64{hi, lo}
	}
}

// Double-double arithmetic (Dekker, Knuth). Every product is converted with
// float64() so the compiler cannot fuse it into an FMA.

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return
}

func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return
}

func split(a float64) (hi, lo float64) {
	t := float64(134217729 * a) // 2^27 + 1
	hi = t - (t - a)
	lo = a - hi
	return
}

func twoProd(a, b float64) (p, e float64) {
	p = float64(a * b)
	ah, al := split(a)
	bh, bl := split(b)
	e = ((float64(ah*bh) - p) + float64(ah*bl) + float64(al*bh)) + float64(al*bl)
	return
}

func ddMul(ah, al, bh, bl float64) (float64, float64) {
	p, e := twoProd(ah, bh)
	e += float64(ah*bl) + float64(al*bh)
	return fastTwoSum(p, e)
}

func ddAdd(ah, al, bh, bl float64) (float64, float64) {
	s, e := twoSum(ah, bh)
	e += al + bl
	return fastTwoSum(s, e)
}
