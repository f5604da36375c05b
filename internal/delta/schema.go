package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// ParseSchema parses a Delta schemaString (Spark's JSON schema of a struct).
func ParseSchema(s string) (*column.Schema, error) {
	var raw json.RawMessage = []byte(s)
	t, err := parseType(raw)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	if t.Kind != column.Struct {
		return nil, fmt.Errorf("parse schema: top level is %s, not a struct", t)
	}
	seen := make(map[string]bool, len(t.Fields))
	for _, f := range t.Fields {
		k := strings.ToLower(f.Name)
		if seen[k] {
			return nil, fmt.Errorf("parse schema: column %q appears twice (names are case-insensitive)", f.Name)
		}
		seen[k] = true
	}
	return &column.Schema{Fields: t.Fields}, nil
}

type jsonField struct {
	Name     string          `json:"name"`
	Type     json.RawMessage `json:"type"`
	Nullable *bool           `json:"nullable"`
	Metadata json.RawMessage `json:"metadata"`
}

type jsonComplex struct {
	Type              string          `json:"type"`
	Fields            []jsonField     `json:"fields"`
	ElementType       json.RawMessage `json:"elementType"`
	ContainsNull      *bool           `json:"containsNull"`
	KeyType           json.RawMessage `json:"keyType"`
	ValueType         json.RawMessage `json:"valueType"`
	ValueContainsNull *bool           `json:"valueContainsNull"`
}

func parseType(raw json.RawMessage) (*column.Type, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing type")
	}
	if raw[0] == '"' {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return nil, err
		}
		return parsePrimitive(name)
	}
	var c jsonComplex
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("type %s: %w", truncate(string(raw), 60), err)
	}
	switch c.Type {
	case "struct":
		t := &column.Type{Kind: column.Struct, Fields: make([]column.Field, 0, len(c.Fields))}
		for _, jf := range c.Fields {
			if jf.Name == "" {
				return nil, fmt.Errorf("struct field without a name")
			}
			ft, err := parseType(jf.Type)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", jf.Name, err)
			}
			f := column.Field{Name: jf.Name, Type: ft, Nullable: jf.Nullable == nil || *jf.Nullable}
			if len(bytes.TrimSpace(jf.Metadata)) > 0 && string(bytes.TrimSpace(jf.Metadata)) != "{}" && string(bytes.TrimSpace(jf.Metadata)) != "null" {
				f.Metadata = append(json.RawMessage(nil), jf.Metadata...)
			}
			t.Fields = append(t.Fields, f)
		}
		return t, nil
	case "array":
		et, err := parseType(c.ElementType)
		if err != nil {
			return nil, fmt.Errorf("array element: %w", err)
		}
		return &column.Type{Kind: column.Array, Elem: et, ElemNullable: c.ContainsNull == nil || *c.ContainsNull}, nil
	case "map":
		kt, err := parseType(c.KeyType)
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		vt, err := parseType(c.ValueType)
		if err != nil {
			return nil, fmt.Errorf("map value: %w", err)
		}
		return &column.Type{Kind: column.Map, Key: kt, Value: vt, ValueNullable: c.ValueContainsNull == nil || *c.ValueContainsNull}, nil
	}
	return nil, fmt.Errorf("unknown complex type %q", c.Type)
}

func parsePrimitive(name string) (*column.Type, error) {
	switch name {
	case "void", "null":
		return column.TypeVoid, nil
	case "boolean":
		return column.TypeBoolean, nil
	case "byte", "tinyint":
		return column.TypeByte, nil
	case "short", "smallint":
		return column.TypeShort, nil
	case "integer", "int":
		return column.TypeInt, nil
	case "long", "bigint":
		return column.TypeLong, nil
	case "float", "real":
		return column.TypeFloat, nil
	case "double":
		return column.TypeDouble, nil
	case "string":
		return column.TypeString, nil
	case "binary":
		return column.TypeBinary, nil
	case "date":
		return column.TypeDate, nil
	case "timestamp":
		return column.TypeTimestamp, nil
	case "timestamp_ntz":
		return column.TypeTimestampNTZ, nil
	case "variant":
		return column.TypeVariant, nil
	case "decimal":
		return column.DecimalType(10, 0), nil
	}
	if strings.HasPrefix(name, "decimal(") && strings.HasSuffix(name, ")") {
		parts := strings.Split(name[len("decimal("):len(name)-1], ",")
		if len(parts) == 2 {
			p, err1 := strconv.Atoi(strings.TrimSpace(parts[0]))
			s, err2 := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err1 == nil && err2 == nil && p >= 1 && p <= 38 && s >= 0 && s <= p {
				return column.DecimalType(p, s), nil
			}
		}
		return nil, fmt.Errorf("invalid decimal type %q", name)
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// SchemaString serialises schema the way Spark writes schemaString: keys in
// the order name, type, nullable, metadata, metadata always present.
func SchemaString(schema *column.Schema) string {
	var b bytes.Buffer
	writeStruct(&b, schema.Fields)
	return b.String()
}

func writeStruct(b *bytes.Buffer, fields []column.Field) {
	b.WriteString(`{"type":"struct","fields":[`)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":`)
		writeJSONString(b, f.Name)
		b.WriteString(`,"type":`)
		writeType(b, f.Type)
		b.WriteString(`,"nullable":`)
		b.WriteString(strconv.FormatBool(f.Nullable))
		b.WriteString(`,"metadata":`)
		if len(f.Metadata) == 0 {
			b.WriteString("{}")
		} else {
			var c bytes.Buffer
			if json.Compact(&c, f.Metadata) == nil {
				b.Write(c.Bytes())
			} else {
				b.WriteString("{}")
			}
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
}

func writeType(b *bytes.Buffer, t *column.Type) {
	switch t.Kind {
	case column.Struct:
		writeStruct(b, t.Fields)
	case column.Array:
		b.WriteString(`{"type":"array","elementType":`)
		writeType(b, t.Elem)
		b.WriteString(`,"containsNull":`)
		b.WriteString(strconv.FormatBool(t.ElemNullable))
		b.WriteByte('}')
	case column.Map:
		b.WriteString(`{"type":"map","keyType":`)
		writeType(b, t.Key)
		b.WriteString(`,"valueType":`)
		writeType(b, t.Value)
		b.WriteString(`,"valueContainsNull":`)
		b.WriteString(strconv.FormatBool(t.ValueNullable))
		b.WriteByte('}')
	default:
		writeJSONString(b, t.String())
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(appendJSONString(nil, s))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
