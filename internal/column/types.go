package column

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the logical kind of a Type.
type Kind uint8

// The kinds, named after their Delta schema strings.
const (
	Void Kind = iota // "void": always null
	Boolean
	Byte
	Short
	Int
	Long
	Float
	Double
	String
	Binary
	Date         // days since 1970-01-01
	Timestamp    // microseconds since the Unix epoch, UTC-adjusted
	TimestampNTZ // microseconds of wall-clock time, no zone
	Decimal
	Struct
	Array
	Map
	Variant
)

var kindNames = [...]string{
	Void: "void", Boolean: "boolean", Byte: "byte", Short: "short", Int: "integer", Long: "long",
	Float: "float", Double: "double", String: "string", Binary: "binary", Date: "date",
	Timestamp: "timestamp", TimestampNTZ: "timestamp_ntz", Decimal: "decimal", Struct: "struct",
	Array: "array", Map: "map", Variant: "variant",
}

// String returns the Delta name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Type is a logical data type. Types are immutable once built; share them freely.
type Type struct {
	Kind Kind

	Precision, Scale int // Decimal

	Fields []Field // Struct

	Elem         *Type // Array
	ElemNullable bool  // Array: containsNull

	Key, Value    *Type // Map
	ValueNullable bool  // Map: valueContainsNull
}

// Field is a named member of a struct (or of a schema).
type Field struct {
	Name     string
	Type     *Type
	Nullable bool
	// Metadata is the field's metadata object as raw JSON, kept verbatim so a
	// table's schema round-trips exactly; nil means {}.
	Metadata json.RawMessage
}

// Schema is the top-level struct of a table.
type Schema struct {
	Fields []Field
}

// Primitive types, shared.
var (
	TypeVoid         = &Type{Kind: Void}
	TypeBoolean      = &Type{Kind: Boolean}
	TypeByte         = &Type{Kind: Byte}
	TypeShort        = &Type{Kind: Short}
	TypeInt          = &Type{Kind: Int}
	TypeLong         = &Type{Kind: Long}
	TypeFloat        = &Type{Kind: Float}
	TypeDouble       = &Type{Kind: Double}
	TypeString       = &Type{Kind: String}
	TypeBinary       = &Type{Kind: Binary}
	TypeDate         = &Type{Kind: Date}
	TypeTimestamp    = &Type{Kind: Timestamp}
	TypeTimestampNTZ = &Type{Kind: TimestampNTZ}
	TypeVariant      = &Type{Kind: Variant}
)

// DecimalType returns decimal(p,s).
func DecimalType(p, s int) *Type { return &Type{Kind: Decimal, Precision: p, Scale: s} }

// IsPrimitive reports whether t holds scalar values (not struct, array, map or variant).
func (t *Type) IsPrimitive() bool {
	return t.Kind < Struct
}

// IsInteger reports whether t is byte, short, integer or long.
func (t *Type) IsInteger() bool {
	return t.Kind >= Byte && t.Kind <= Long
}

// UsesInts reports whether a Vector of t stores its values in Ints.
func (t *Type) UsesInts() bool {
	switch t.Kind {
	case Byte, Short, Int, Long, Date, Timestamp, TimestampNTZ:
		return true
	case Decimal:
		return t.Precision <= 18
	}
	return false
}

// String returns the Delta schema form of t: "decimal(18,2)", "array<string>", ….
func (t *Type) String() string {
	switch t.Kind {
	case Decimal:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case Array:
		return "array<" + t.Elem.String() + ">"
	case Map:
		return "map<" + t.Key.String() + "," + t.Value.String() + ">"
	case Struct:
		var b strings.Builder
		b.WriteString("struct<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.Name)
			b.WriteByte(':')
			b.WriteString(f.Type.String())
		}
		b.WriteByte('>')
		return b.String()
	}
	return t.Kind.String()
}

// Equal reports whether t and u are the same type (nullability of nested
// elements included, field metadata ignored).
func (t *Type) Equal(u *Type) bool {
	if t == u {
		return true
	}
	if t == nil || u == nil || t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case Decimal:
		return t.Precision == u.Precision && t.Scale == u.Scale
	case Array:
		return t.ElemNullable == u.ElemNullable && t.Elem.Equal(u.Elem)
	case Map:
		return t.ValueNullable == u.ValueNullable && t.Key.Equal(u.Key) && t.Value.Equal(u.Value)
	case Struct:
		if len(t.Fields) != len(u.Fields) {
			return false
		}
		for i := range t.Fields {
			a, b := &t.Fields[i], &u.Fields[i]
			if a.Name != b.Name || a.Nullable != b.Nullable || !a.Type.Equal(b.Type) {
				return false
			}
		}
		return true
	}
	return true
}

// StructType returns the schema as a struct type.
func (s *Schema) StructType() *Type { return &Type{Kind: Struct, Fields: s.Fields} }

// Index returns the position of the field called name, or -1. Delta column
// names are case-insensitive for uniqueness, but lookups here are exact.
func (s *Schema) Index(name string) int {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// IndexFold returns the position of the field whose name equals name ignoring
// case, or -1.
func (s *Schema) IndexFold(name string) int {
	for i := range s.Fields {
		if strings.EqualFold(s.Fields[i].Name, name) {
			return i
		}
	}
	return -1
}

// Field returns the field called name.
func (s *Schema) Field(name string) (*Field, bool) {
	if i := s.Index(name); i >= 0 {
		return &s.Fields[i], true
	}
	return nil, false
}

// Names returns the top-level column names in order.
func (s *Schema) Names() []string {
	names := make([]string, len(s.Fields))
	for i := range s.Fields {
		names[i] = s.Fields[i].Name
	}
	return names
}

// Select returns a schema with the named top-level fields, in the given order.
func (s *Schema) Select(names ...string) (*Schema, error) {
	out := &Schema{Fields: make([]Field, 0, len(names))}
	for _, n := range names {
		f, ok := s.Field(n)
		if !ok {
			return nil, fmt.Errorf("no column %q in schema", n)
		}
		out.Fields = append(out.Fields, *f)
	}
	return out, nil
}
