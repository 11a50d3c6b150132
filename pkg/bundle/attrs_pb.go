package bundle

import (
	"encoding/binary"
	"fmt"
	"math"

	pb "github.com/irisctl/irisctl/pkg/bundle/internal/bundlepb"
)

func pbShape(ds *pb.DataShape) DataShape {
	d := DataShape{IsNullable: ds.GetIsNullable()}
	switch ds.GetBase() {
	case pb.DataShapeType_LIST:
		d.Base = "list"
	case pb.DataShapeType_TENSOR:
		d.Base = "tensor"
	default:
		d.Base = "scalar"
	}
	for _, dim := range ds.GetTensorShape().GetDimensions() {
		d.Dims = append(d.Dims, int(dim.GetSize()))
	}
	return d
}

func pbAttributes(a *pb.Attributes) (Attributes, error) {
	out := Attributes{}
	for name, v := range a.GetList() {
		val, err := pbValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = val
	}
	return out, nil
}

func pbValue(v *pb.Value) (*Value, error) {
	switch x := v.GetV().(type) {
	case *pb.Value_S:
		s := x.S
		val := &Value{Kind: Scalar, Bool: s.GetB(), String: s.GetS(), Double: s.GetD()}
		val.Int = s.GetL()
		if s.GetI() != 0 {
			val.Int = int64(s.GetI())
		}
		if s.GetF() != 0 && s.GetD() == 0 {
			val.Double = float64(s.GetF())
		}
		if s.GetBt() != pb.BasicType_UNDEFINED {
			val.String = basicTypeName(s.GetBt())
		}
		if s.Ds != nil {
			d := pbShape(s.Ds)
			val.Shape = &d
		}
		if s.T != nil {
			t, err := pbTensor(s.T)
			if err != nil {
				return nil, err
			}
			val.Doubles, val.Ints, val.Strings, val.Bools, val.TensorDims = t.Doubles, t.Ints, t.Strings, t.Bools, t.TensorDims
		}
		return val, nil
	case *pb.Value_L:
		l := x.L
		val := &Value{Kind: List, Bools: l.GetB(), Strings: l.GetS(), Doubles: l.GetD()}
		for _, i := range l.GetI() {
			val.Ints = append(val.Ints, int64(i))
		}
		val.Ints = append(val.Ints, l.GetL()...)
		for _, f := range l.GetF() {
			val.Doubles = append(val.Doubles, float64(f))
		}
		for _, ds := range l.GetDs() {
			val.DataShapes = append(val.DataShapes, pbShape(ds))
		}
		return val, nil
	case *pb.Value_T:
		return pbTensor(x.T)
	default:
		return &Value{}, nil
	}
}

func basicTypeName(t pb.BasicType) string {
	switch t {
	case pb.BasicType_BOOLEAN:
		return "boolean"
	case pb.BasicType_BYTE:
		return "byte"
	case pb.BasicType_SHORT:
		return "short"
	case pb.BasicType_INT:
		return "int"
	case pb.BasicType_LONG:
		return "long"
	case pb.BasicType_FLOAT:
		return "float"
	case pb.BasicType_DOUBLE:
		return "double"
	case pb.BasicType_STRING:
		return "string"
	case pb.BasicType_BYTE_STRING:
		return "byte_string"
	}
	return "unknown"
}

// pbTensor decodes a tensor's value bytes, which MLeap writes big-endian
// (Java ByteBuffer order), fixed width, strings length-prefixed.
func pbTensor(t *pb.Tensor) (*Value, error) {
	val := &Value{Kind: TensorKind}
	for _, d := range t.GetShape().GetDimensions() {
		val.TensorDims = append(val.TensorDims, int(d.GetSize()))
	}
	b := t.GetValue()
	fixed := func(width int) (int, error) {
		if len(b)%width != 0 {
			return 0, fmt.Errorf("tensor of %s: %d bytes is not a multiple of %d", basicTypeName(t.GetBase()), len(b), width)
		}
		return len(b) / width, nil
	}
	switch t.GetBase() {
	case pb.BasicType_DOUBLE:
		n, err := fixed(8)
		if err != nil {
			return nil, err
		}
		val.Doubles = make([]float64, n)
		for i := range val.Doubles {
			val.Doubles[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
	case pb.BasicType_FLOAT:
		n, err := fixed(4)
		if err != nil {
			return nil, err
		}
		val.Doubles = make([]float64, n)
		for i := range val.Doubles {
			val.Doubles[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*i:])))
		}
	case pb.BasicType_LONG:
		n, err := fixed(8)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			val.Ints = append(val.Ints, int64(binary.BigEndian.Uint64(b[8*i:])))
		}
	case pb.BasicType_INT:
		n, err := fixed(4)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			val.Ints = append(val.Ints, int64(int32(binary.BigEndian.Uint32(b[4*i:]))))
		}
	case pb.BasicType_SHORT:
		n, err := fixed(2)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			val.Ints = append(val.Ints, int64(int16(binary.BigEndian.Uint16(b[2*i:]))))
		}
	case pb.BasicType_BYTE:
		for _, x := range b {
			val.Ints = append(val.Ints, int64(int8(x)))
		}
	case pb.BasicType_BOOLEAN:
		for _, x := range b {
			val.Bools = append(val.Bools, x != 0)
		}
	case pb.BasicType_STRING, pb.BasicType_BYTE_STRING:
		for len(b) > 0 {
			if len(b) < 4 {
				return nil, fmt.Errorf("string tensor: truncated length prefix")
			}
			n := int(binary.BigEndian.Uint32(b))
			b = b[4:]
			if n < 0 || n > len(b) {
				return nil, fmt.Errorf("string tensor: length %d past the end", n)
			}
			val.Strings = append(val.Strings, string(b[:n]))
			b = b[n:]
		}
	default:
		return nil, fmt.Errorf("tensor of unsupported base type %s", basicTypeName(t.GetBase()))
	}
	return val, nil
}
