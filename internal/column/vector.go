package column

import (
	"bytes"
	"math"
	"reflect"
)

// Vector is one column of a Batch. Which slice holds the values depends on
// the type (see Type.UsesInts); the others stay nil. Nulls is nil while the
// vector holds no null, otherwise it has one entry per row. The value slot of
// a null row holds the zero value (and an empty string), so the typed slices
// always have Len entries (Offsets has Len+1).
//
// A String or Binary vector may instead be a dictionary vector (Coded):
// Codes holds each row's code (0 for a null) into Dict, a view of the Dict
// whose ID is DictID, and Offsets and Data stay empty. Bytes, Str, Value,
// SameValue and AppendFrom read both forms; see AppendCoded.
type Vector struct {
	Type *Type
	Len  int

	Nulls []bool

	Ints    []int64
	Floats  []float64
	Bools   []bool
	Offsets []int32 // String, Binary
	Data    []byte  // String, Binary
	Values  []any   // Struct, Array, Map, Variant, Decimal with precision > 18

	Codes  []int32  // a dictionary vector's codes
	Dict   [][]byte // a dictionary vector's entries, a view of Dict.Entries
	DictID uint32   // the ID of the Dict of a dictionary vector, 0 otherwise
}

// Coded reports whether v is a dictionary vector.
func (v *Vector) Coded() bool { return v.DictID != 0 }

// NewVector returns an empty vector of type t with room for capacity rows.
func NewVector(t *Type, capacity int) *Vector {
	v := &Vector{Type: t}
	switch {
	case t.UsesInts():
		v.Ints = make([]int64, 0, capacity)
	case t.Kind == Float || t.Kind == Double:
		v.Floats = make([]float64, 0, capacity)
	case t.Kind == Boolean:
		v.Bools = make([]bool, 0, capacity)
	case t.Kind == String || t.Kind == Binary:
		v.Offsets = make([]int32, 1, capacity+1)
	case t.Kind == Void:
	default:
		v.Values = make([]any, 0, capacity)
	}
	return v
}

// Reset empties the vector, keeping its memory.
func (v *Vector) Reset() {
	v.Len = 0
	v.Nulls = v.Nulls[:0]
	v.Ints = v.Ints[:0]
	v.Floats = v.Floats[:0]
	v.Bools = v.Bools[:0]
	if v.Offsets != nil {
		v.Offsets = v.Offsets[:1]
	}
	v.Data = v.Data[:0]
	clear(v.Values)
	v.Values = v.Values[:0]
	v.Codes, v.Dict, v.DictID = v.Codes[:0], nil, 0
	if v.Nulls != nil && len(v.Nulls) == 0 {
		v.Nulls = nil
	}
}

// IsNull reports whether row i is null.
func (v *Vector) IsNull(i int) bool {
	if v.Type.Kind == Void {
		return true
	}
	return v.Nulls != nil && v.Nulls[i]
}

// HasNulls reports whether any row is null.
func (v *Vector) HasNulls() bool {
	if v.Type.Kind == Void {
		return v.Len > 0
	}
	for _, n := range v.Nulls {
		if n {
			return true
		}
	}
	return false
}

func (v *Vector) markValid() {
	if v.Nulls != nil {
		v.Nulls = append(v.Nulls, false)
	}
	v.Len++
}

// AppendNull appends a null row.
func (v *Vector) AppendNull() {
	if v.Nulls == nil {
		v.Nulls = make([]bool, v.Len, max(v.Len+1, cap(v.Ints), cap(v.Offsets), 16))
	}
	v.Nulls = append(v.Nulls, true)
	v.Len++
	switch {
	case v.Type.UsesInts():
		v.Ints = append(v.Ints, 0)
	case v.Type.Kind == Float || v.Type.Kind == Double:
		v.Floats = append(v.Floats, 0)
	case v.Type.Kind == Boolean:
		v.Bools = append(v.Bools, false)
	case v.DictID != 0:
		v.Codes = append(v.Codes, 0)
	case v.Type.Kind == String || v.Type.Kind == Binary:
		v.Offsets = append(v.Offsets, int32(len(v.Data)))
	case v.Type.Kind == Void:
	default:
		v.Values = append(v.Values, nil)
	}
}

// AppendInt appends an integer-stored value (see Type.UsesInts).
func (v *Vector) AppendInt(x int64) {
	v.Ints = append(v.Ints, x)
	v.markValid()
}

// AppendFloat appends a float or double.
func (v *Vector) AppendFloat(x float64) {
	v.Floats = append(v.Floats, x)
	v.markValid()
}

// AppendBool appends a boolean.
func (v *Vector) AppendBool(x bool) {
	v.Bools = append(v.Bools, x)
	v.markValid()
}

// AppendBytes appends a string or binary value, copying b.
func (v *Vector) AppendBytes(b []byte) {
	v.Data = append(v.Data, b...)
	v.Offsets = append(v.Offsets, int32(len(v.Data)))
	v.markValid()
}

// AppendWith appends the value that fill appends to the vector's data: a
// producer writes it in place instead of into a buffer that is then copied.
func (v *Vector) AppendWith(fill func(dst []byte) []byte) {
	v.Data = fill(v.Data)
	v.Offsets = append(v.Offsets, int32(len(v.Data)))
	v.markValid()
}

// AppendString appends a string value.
func (v *Vector) AppendString(s string) {
	v.Data = append(v.Data, s...)
	v.Offsets = append(v.Offsets, int32(len(v.Data)))
	v.markValid()
}

// AppendOptBytes appends b, or null when b is nil, to a String or Binary
// vector.
func (v *Vector) AppendOptBytes(b []byte) {
	if b == nil {
		// AppendNull without its switch on the type: silver appends
		// millions of null strings (the fields an event does not have).
		if v.Nulls == nil {
			v.Nulls = make([]bool, v.Len, max(v.Len+1, cap(v.Offsets), 16))
		}
		v.Nulls = append(v.Nulls, true)
		v.Len++
		v.Offsets = append(v.Offsets, int32(len(v.Data)))
		return
	}
	v.AppendBytes(b)
}

// AppendCoded appends b, or null when b is nil, to a String or Binary
// vector as b's code in d. An empty vector becomes a dictionary vector of d;
// a plain one stays plain (b is copied). When d is at its limits, or b is of
// another Dict than the vector's, the vector turns plain, its codes
// decoded, until Reset. A dictionary vector takes only AppendCoded and
// AppendNull.
func (v *Vector) AppendCoded(b []byte, d *Dict) {
	if v.DictID != d.id {
		if v.Len > 0 {
			if v.DictID != 0 {
				v.decode()
			}
			v.AppendOptBytes(b) // plain
			return
		}
		v.DictID = d.id
	}
	if b == nil {
		v.AppendNull()
		return
	}
	c, ok := d.Code(b)
	if !ok {
		v.Dict = d.Entries()
		v.decode()
		v.AppendBytes(b)
		return
	}
	if int(c) >= len(v.Dict) {
		v.Dict = d.Entries()
	}
	v.Codes = append(v.Codes, c)
	v.markValid()
}

// AppendCodedN appends n rows of b (not nil), as n calls of AppendCoded
// would: a batch's constant columns.
func (v *Vector) AppendCodedN(b []byte, d *Dict, n int) {
	if n <= 0 {
		return
	}
	v.AppendCoded(b, d)
	if !v.Coded() {
		for range n - 1 {
			v.AppendBytes(b)
		}
		return
	}
	c := v.Codes[len(v.Codes)-1]
	for range n - 1 {
		v.Codes = append(v.Codes, c)
	}
	if v.Nulls != nil {
		for range n - 1 {
			v.Nulls = append(v.Nulls, false)
		}
	}
	v.Len += n - 1
}

// decode turns a dictionary vector into a plain one holding the same rows.
func (v *Vector) decode() {
	codes, dict, nulls := v.Codes, v.Dict, v.Nulls
	v.Codes, v.Dict, v.DictID = v.Codes[:0], nil, 0
	if v.Offsets == nil {
		v.Offsets = make([]int32, 1, len(codes)+1)
	}
	v.Offsets, v.Data = v.Offsets[:1], v.Data[:0]
	for i, c := range codes {
		if nulls == nil || !nulls[i] {
			v.Data = append(v.Data, dict[c]...)
		}
		v.Offsets = append(v.Offsets, int32(len(v.Data)))
	}
}

// AppendValue appends a boxed value (nested types, wide decimals).
func (v *Vector) AppendValue(x any) {
	if x == nil {
		v.AppendNull()
		return
	}
	v.Values = append(v.Values, x)
	v.markValid()
}

// Bytes returns the string or binary value of row i (aliasing Data, or
// the dictionary's entry), empty for a null.
func (v *Vector) Bytes(i int) []byte {
	if v.DictID != 0 {
		return v.codedBytes(i)
	}
	return v.Data[v.Offsets[i]:v.Offsets[i+1]:v.Offsets[i+1]]
}

func (v *Vector) codedBytes(i int) []byte {
	if v.Nulls != nil && v.Nulls[i] {
		return nil
	}
	e := v.Dict[v.Codes[i]]
	return e[:len(e):len(e)]
}

// Str returns the string value of row i as a new string.
func (v *Vector) Str(i int) string {
	return string(v.Bytes(i))
}

// AppendFrom appends row i of src, which must have the same type.
func (v *Vector) AppendFrom(src *Vector, i int) {
	if src.IsNull(i) {
		v.AppendNull()
		return
	}
	switch {
	case v.Type.UsesInts():
		v.AppendInt(src.Ints[i])
	case v.Type.Kind == Float || v.Type.Kind == Double:
		v.AppendFloat(src.Floats[i])
	case v.Type.Kind == Boolean:
		v.AppendBool(src.Bools[i])
	case v.Type.Kind == String || v.Type.Kind == Binary:
		v.AppendBytes(src.Bytes(i))
	case v.Type.Kind == Void:
		v.AppendNull()
	default:
		v.AppendValue(src.Values[i])
	}
}

// SameValue reports whether rows i and j hold the same value (two nulls are
// the same), without boxing primitive values. Floats compare by bits, so NaN
// equals NaN and -0 differs from 0, as partition values do.
func (v *Vector) SameValue(i, j int) bool {
	if ni, nj := v.IsNull(i), v.IsNull(j); ni || nj {
		return ni == nj
	}
	switch {
	case v.Type.UsesInts():
		return v.Ints[i] == v.Ints[j]
	case v.Type.Kind == Float || v.Type.Kind == Double:
		return math.Float64bits(v.Floats[i]) == math.Float64bits(v.Floats[j])
	case v.Type.Kind == Boolean:
		return v.Bools[i] == v.Bools[j]
	case v.Type.Kind == String || v.Type.Kind == Binary:
		return bytes.Equal(v.Bytes(i), v.Bytes(j))
	case v.Type.Kind == Void:
		return true
	}
	return reflect.DeepEqual(v.Values[i], v.Values[j])
}

// Value returns row i boxed: nil, bool, int64, float64, string ([]byte for
// binary), or the boxed nested value. Decimals with precision ≤ 18 come back
// as their unscaled int64; callers format them with the type's scale.
func (v *Vector) Value(i int) any {
	if v.IsNull(i) {
		return nil
	}
	switch {
	case v.Type.UsesInts():
		return v.Ints[i]
	case v.Type.Kind == Float || v.Type.Kind == Double:
		return v.Floats[i]
	case v.Type.Kind == Boolean:
		return v.Bools[i]
	case v.Type.Kind == String:
		return v.Str(i)
	case v.Type.Kind == Binary:
		return append([]byte(nil), v.Bytes(i)...)
	}
	return v.Values[i]
}

// Batch is a set of equally long column vectors following a schema.
type Batch struct {
	Schema *Schema
	Cols   []*Vector
}

// NewBatch returns an empty batch for schema with room for capacity rows.
func NewBatch(schema *Schema, capacity int) *Batch {
	b := &Batch{Schema: schema, Cols: make([]*Vector, len(schema.Fields))}
	for i := range schema.Fields {
		b.Cols[i] = NewVector(schema.Fields[i].Type, capacity)
	}
	return b
}

// Len returns the number of rows.
func (b *Batch) Len() int {
	if len(b.Cols) == 0 {
		return 0
	}
	return b.Cols[0].Len
}

// Reset empties every column.
func (b *Batch) Reset() {
	for _, c := range b.Cols {
		c.Reset()
	}
}

// Col returns the vector of the column called name, or nil.
func (b *Batch) Col(name string) *Vector {
	if i := b.Schema.Index(name); i >= 0 {
		return b.Cols[i]
	}
	return nil
}

// AppendRow appends row i of src, which must have the same schema.
func (b *Batch) AppendRow(src *Batch, i int) {
	for c := range b.Cols {
		b.Cols[c].AppendFrom(src.Cols[c], i)
	}
}
