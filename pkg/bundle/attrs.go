package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Kind tells the three shapes an attribute value can have.
type Kind int

const (
	Scalar Kind = iota
	List
	TensorKind
)

// DataShape is a column shape as MLeap writes it (scalar, list or tensor).
type DataShape struct {
	Base       string // "scalar", "list" or "tensor"
	IsNullable bool
	Dims       []int // tensor dimensions, when known
}

// Value is one attribute value. Fields absent from the file are zero, as
// MLeap's writer leaves out zero/default scalars; readers ask for the type
// the op expects and get its zero value when it is missing.
type Value struct {
	Kind Kind

	Bool   bool
	Int    int64 // "int" or "long"
	Double float64
	String string
	Shape  *DataShape

	Bools      []bool
	Ints       []int64
	Doubles    []float64 // NaN where the file has null
	Strings    []string
	DataShapes []DataShape

	// TensorDims are a tensor's dimensions; its values are in Doubles, Ints,
	// Strings or Bools, flat in the writer's order.
	TensorDims []int
}

// Attributes are a model's named attribute values.
type Attributes map[string]*Value

// AttrError says which attribute of which model is wrong.
type AttrError struct {
	Where string // model file
	Name  string
	Msg   string
}

func (e *AttrError) Error() string {
	return fmt.Sprintf("%s: attribute %q: %s", e.Where, e.Name, e.Msg)
}

// Names returns the attribute names, sorted.
func (a Attributes) Names() []string {
	out := make([]string, 0, len(a))
	for k := range a {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the attribute is present.
func (a Attributes) Has(name string) bool { _, ok := a[name]; return ok }

func (a Attributes) get(name string) *Value {
	if v, ok := a[name]; ok && v != nil {
		return v
	}
	return &Value{}
}

// String returns a string attribute ("" when absent or empty).
func (a Attributes) String(name string) string { return a.get(name).String }

// Int returns an int or long attribute (0 when absent).
func (a Attributes) Int(name string) int64 { return a.get(name).Int }

// Double returns a double attribute (0 when absent, NaN for null).
func (a Attributes) Double(name string) float64 { return a.get(name).Double }

// Bool returns a boolean attribute (false when absent).
func (a Attributes) Bool(name string) bool { return a.get(name).Bool }

// Strings returns a string list (or string tensor) attribute.
func (a Attributes) Strings(name string) []string { return a.get(name).Strings }

// Doubles returns a double list or tensor attribute.
func (a Attributes) Doubles(name string) []float64 { return a.get(name).Doubles }

// Ints returns an int/long list or tensor attribute.
func (a Attributes) Ints(name string) []int64 { return a.get(name).Ints }

// DataShapes returns a list of data shapes.
func (a Attributes) DataShapes(name string) []DataShape { return a.get(name).DataShapes }

// --- JSON ---

// jsonValue mirrors the JSON shapes of an attribute value; every field is
// kept raw and decoded according to "type".
type jsonValue struct {
	Type       string          `json:"type"`
	Boolean    json.RawMessage `json:"boolean"`
	Byte       json.RawMessage `json:"byte"`
	Short      json.RawMessage `json:"short"`
	Int        json.RawMessage `json:"int"`
	Long       json.RawMessage `json:"long"`
	Float      json.RawMessage `json:"float"`
	Double     json.RawMessage `json:"double"`
	String     json.RawMessage `json:"string"`
	ByteString json.RawMessage `json:"byte_string"`
	BasicType  json.RawMessage `json:"basic_type"`
	DataShape  json.RawMessage `json:"data_shape"`
	Tensor     json.RawMessage `json:"tensor"`
	Shape      *struct {
		Dimensions []struct {
			Size int `json:"size"`
		} `json:"dimensions"`
	} `json:"shape"`
	LegacyValue json.RawMessage `json:"value"`
}

type jsonDataShape struct {
	Base        string `json:"base"`
	IsNullable  bool   `json:"isNullable"`
	TensorShape *struct {
		Dimensions []struct {
			Size int `json:"size"`
		} `json:"dimensions"`
	} `json:"tensorShape"`
}

func (s jsonDataShape) shape() DataShape {
	d := DataShape{Base: s.Base, IsNullable: s.IsNullable}
	if d.Base == "" {
		d.Base = "scalar"
	}
	if s.TensorShape != nil {
		for _, dim := range s.TensorShape.Dimensions {
			d.Dims = append(d.Dims, dim.Size)
		}
	}
	return d
}

// errLegacy marks the pre-0.7 attribute encoding, which MLeap itself no longer reads.
var errLegacy = fmt.Errorf("legacy pre-0.7 attribute encoding ({\"type\":..., \"value\":...}); re-save the bundle with MLeap 0.8 or later")

func decodeJSONValue(raw json.RawMessage) (*Value, error) {
	var jv jsonValue
	if err := json.Unmarshal(raw, &jv); err != nil {
		return nil, err
	}
	if len(jv.LegacyValue) > 0 {
		return nil, errLegacy
	}
	v := &Value{}
	switch jv.Type {
	case "":
		v.Kind = Scalar
	case "list":
		v.Kind = List
	case "tensor":
		v.Kind = TensorKind
	default:
		if jv.Type != "" && len(jv.LegacyValue) == 0 {
			return nil, fmt.Errorf("unknown value type %q", jv.Type)
		}
	}
	var err error
	switch v.Kind {
	case Scalar:
		if len(jv.Boolean) > 0 {
			err = json.Unmarshal(jv.Boolean, &v.Bool)
		}
		for _, r := range []json.RawMessage{jv.Int, jv.Long, jv.Short, jv.Byte} {
			if err == nil && len(r) > 0 {
				err = json.Unmarshal(r, &v.Int)
			}
		}
		if err == nil && len(jv.Double) > 0 {
			v.Double, err = jsonDouble(jv.Double)
		}
		if err == nil && len(jv.Float) > 0 && len(jv.Double) == 0 {
			v.Double, err = jsonDouble(jv.Float)
		}
		if err == nil && len(jv.String) > 0 {
			err = json.Unmarshal(jv.String, &v.String)
		}
		if err == nil && len(jv.BasicType) > 0 {
			err = json.Unmarshal(jv.BasicType, &v.String)
		}
		if err == nil && len(jv.DataShape) > 0 {
			var ds jsonDataShape
			if err = json.Unmarshal(jv.DataShape, &ds); err == nil {
				s := ds.shape()
				v.Shape = &s
			}
		}
		if err == nil && len(jv.Tensor) > 0 {
			var t *Value
			if t, err = decodeJSONValue(withTensorType(jv.Tensor)); err == nil {
				t.Kind = Scalar
				v.Doubles, v.Ints, v.Strings, v.Bools, v.TensorDims = t.Doubles, t.Ints, t.Strings, t.Bools, t.TensorDims
			}
		}
	case List, TensorKind:
		if len(jv.Boolean) > 0 {
			err = json.Unmarshal(jv.Boolean, &v.Bools)
		}
		for _, r := range []json.RawMessage{jv.Int, jv.Long, jv.Short, jv.Byte} {
			if err == nil && len(r) > 0 {
				var xs []int64
				if err = json.Unmarshal(r, &xs); err == nil {
					v.Ints = append(v.Ints, xs...)
				}
			}
		}
		for _, r := range []json.RawMessage{jv.Double, jv.Float} {
			if err == nil && len(r) > 0 {
				var xs []float64
				if xs, err = jsonDoubles(r); err == nil {
					v.Doubles = append(v.Doubles, xs...)
				}
			}
		}
		if err == nil && len(jv.String) > 0 {
			err = json.Unmarshal(jv.String, &v.Strings)
		}
		if err == nil && len(jv.DataShape) > 0 {
			var ds []jsonDataShape
			if err = json.Unmarshal(jv.DataShape, &ds); err == nil {
				for _, d := range ds {
					v.DataShapes = append(v.DataShapes, d.shape())
				}
			}
		}
		if err == nil && v.Kind == TensorKind && jv.Shape != nil {
			for _, d := range jv.Shape.Dimensions {
				v.TensorDims = append(v.TensorDims, d.Size)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// withTensorType lets a scalar's nested tensor object be decoded as a tensor value.
func withTensorType(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	m["type"] = json.RawMessage(`"tensor"`)
	b, _ := json.Marshal(m)
	return b
}

// jsonDouble decodes a double where null stands for NaN (MLeap writes NaN
// and ±Inf as null).
func jsonDouble(raw json.RawMessage) (float64, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return math.NaN(), nil
	}
	var f float64
	err := json.Unmarshal(raw, &f)
	return f, err
}

func jsonDoubles(raw json.RawMessage) ([]float64, error) {
	var ps []*float64
	if err := json.Unmarshal(raw, &ps); err != nil {
		return nil, err
	}
	out := make([]float64, len(ps))
	for i, p := range ps {
		if p == nil {
			out[i] = math.NaN()
		} else {
			out[i] = *p
		}
	}
	return out, nil
}
