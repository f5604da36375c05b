package column

import (
	"math"
	"math/big"
	"testing"
)

func TestAppendJSON(t *testing.T) {
	wide, _ := new(big.Int).SetString("-123456789012345678901234", 10)
	st := &Type{Kind: Struct, Fields: []Field{{Name: "a", Type: TypeLong}, {Name: "b", Type: TypeString}}}
	cases := []struct {
		name string
		t    *Type
		v    any
		want string
	}{
		{"null", TypeString, nil, `null`},
		{"string escapes", TypeString, "a\"b\\c\n\x01é", `"a\"b\\c\n\u0001é"`},
		{"invalid utf8", TypeString, "a\xffb", `"a\ufffdb"`},
		{"long", TypeLong, int64(-42), `-42`},
		{"double", TypeDouble, 1.5, `1.5`},
		{"float keeps float32 digits", TypeFloat, float64(float32(0.1)), `0.1`},
		{"NaN", TypeDouble, math.NaN(), `"NaN"`},
		{"-Inf", TypeDouble, math.Inf(-1), `"-Infinity"`},
		{"decimal scale 2", DecimalType(18, 2), int64(1250), `"12.50"`},
		{"decimal negative small", DecimalType(18, 2), int64(-5), `"-0.05"`},
		{"decimal scale 0", DecimalType(10, 0), int64(7), `"7"`},
		{"wide decimal", DecimalType(38, 4), wide, `"-12345678901234567890.1234"`},
		{"date", TypeDate, int64(20777), `"2026-11-20"`},
		{"date before 1970", TypeDate, int64(-1), `"1969-12-31"`},
		{"timestamp micros", TypeTimestamp, int64(1795182312345000), `"2026-11-20T13:45:12.345000Z"`},
		{"timestamp negative", TypeTimestamp, int64(-1), `"1969-12-31T23:59:59.999999Z"`},
		{"timestamp_ntz", TypeTimestampNTZ, int64(0), `"1970-01-01T00:00:00.000000"`},
		{"binary", TypeBinary, []byte{0, 1, 2}, `"AAEC"`},
		{"bool", TypeBoolean, true, `true`},
		{"struct", st, StructValue{int64(1), nil}, `{"a":1,"b":null}`},
		{"array", &Type{Kind: Array, Elem: TypeLong}, []any{int64(1), nil}, `[1,null]`},
		{"map string keys", &Type{Kind: Map, Key: TypeString, Value: TypeLong}, MapValue{{"k", int64(1)}}, `{"k":1}`},
		{"map int keys", &Type{Kind: Map, Key: TypeLong, Value: TypeString}, MapValue{{int64(1), "v"}}, `[{"key":1,"value":"v"}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(AppendJSON(nil, c.t, c.v)); got != c.want {
				t.Errorf("AppendJSON = %s, want %s", got, c.want)
			}
		})
	}
}

func TestVectorNullsAndReset(t *testing.T) {
	v := NewVector(TypeString, 4)
	v.AppendString("a")
	v.AppendNull()
	v.AppendBytes([]byte("bc"))
	if v.Len != 3 || !v.IsNull(1) || v.IsNull(0) || v.Str(2) != "bc" || v.Str(1) != "" {
		t.Fatalf("vector state: len %d nulls %v", v.Len, v.Nulls)
	}
	if !v.HasNulls() {
		t.Error("HasNulls = false")
	}
	v.Reset()
	v.AppendString("x")
	if v.Len != 1 || v.IsNull(0) || v.Str(0) != "x" || v.HasNulls() {
		t.Errorf("after reset: len %d, %q, nulls %v", v.Len, v.Str(0), v.Nulls)
	}
	b := NewBatch(&Schema{Fields: []Field{{Name: "n", Type: TypeLong, Nullable: true}, {Name: "s", Type: TypeString, Nullable: true}}}, 2)
	b.Cols[0].AppendInt(5)
	b.Cols[1].AppendNull()
	c := NewBatch(b.Schema, 1)
	c.AppendRow(b, 0)
	if c.Len() != 1 || c.Cols[0].Ints[0] != 5 || !c.Cols[1].IsNull(0) {
		t.Errorf("AppendRow: %+v", c.Cols)
	}
}

func TestTypeStringAndEqual(t *testing.T) {
	m := &Type{Kind: Map, Key: TypeString, Value: &Type{Kind: Array, Elem: DecimalType(10, 2), ElemNullable: true}, ValueNullable: true}
	if got := m.String(); got != "map<string,array<decimal(10,2)>>" {
		t.Errorf("String = %s", got)
	}
	if !m.Equal(&Type{Kind: Map, Key: TypeString, Value: &Type{Kind: Array, Elem: DecimalType(10, 2), ElemNullable: true}, ValueNullable: true}) {
		t.Error("equal types differ")
	}
	if DecimalType(10, 2).Equal(DecimalType(10, 3)) || TypeInt.Equal(TypeLong) {
		t.Error("different types are equal")
	}
}

func TestSameValue(t *testing.T) {
	ints := NewVector(TypeDate, 4)
	ints.AppendInt(7)
	ints.AppendInt(7)
	ints.AppendNull()
	ints.AppendInt(8)
	floats := NewVector(TypeDouble, 4)
	floats.AppendFloat(0)
	floats.AppendFloat(math.Copysign(0, -1))
	floats.AppendFloat(math.NaN())
	floats.AppendFloat(math.NaN())
	strs := NewVector(TypeString, 4)
	strs.AppendString("a")
	strs.AppendString("a")
	strs.AppendString("")
	strs.AppendNull()
	wide := NewVector(DecimalType(30, 2), 2)
	wide.AppendValue(big.NewInt(5))
	wide.AppendValue(big.NewInt(5))
	cases := []struct {
		v    *Vector
		i, j int
		want bool
	}{
		{ints, 0, 1, true}, {ints, 1, 3, false}, {ints, 1, 2, false}, {ints, 2, 2, true},
		{floats, 0, 1, false}, {floats, 2, 3, true}, {floats, 0, 0, true},
		{strs, 0, 1, true}, {strs, 1, 2, false}, {strs, 2, 3, false},
		{wide, 0, 1, true},
	}
	for _, c := range cases {
		if got := c.v.SameValue(c.i, c.j); got != c.want {
			t.Errorf("%s rows %d, %d: SameValue = %v, want %v", c.v.Type, c.i, c.j, got, c.want)
		}
	}
}
