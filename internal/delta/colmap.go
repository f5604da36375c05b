package delta

import (
	"encoding/json"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// Column mapping (reader feature columnMapping, or reader version 2): data
// files, partition values and statistics name columns by their physical
// names (delta.columnMapping.physicalName in the field metadata) instead
// of their logical names. Reading resolves columns by physical name in
// both "name" and "id" modes (Spark writes both names and field ids).

// columnMappingMode returns the table's mapping mode ("" when none).
func columnMappingMode(md *Metadata) string {
	switch m := md.Configuration["delta.columnMapping.mode"]; m {
	case "name", "id":
		return m
	}
	return ""
}

// physicalName returns a field's physical name, or its name when unmapped.
func physicalName(f *column.Field) string {
	if len(f.Metadata) == 0 {
		return f.Name
	}
	var m struct {
		Physical string `json:"delta.columnMapping.physicalName"`
	}
	if json.Unmarshal(f.Metadata, &m) != nil || m.Physical == "" {
		return f.Name
	}
	return m.Physical
}

// physicalField returns f renamed to its physical name, nested fields too.
func physicalField(f column.Field) column.Field {
	f.Name = physicalName(&f)
	f.Type = physicalType(f.Type)
	return f
}

func physicalType(t *column.Type) *column.Type {
	switch t.Kind {
	case column.Struct:
		c := *t
		c.Fields = make([]column.Field, len(t.Fields))
		for i, f := range t.Fields {
			c.Fields[i] = physicalField(f)
		}
		return &c
	case column.Array:
		c := *t
		c.Elem = physicalType(t.Elem)
		return &c
	case column.Map:
		c := *t
		c.Key, c.Value = physicalType(t.Key), physicalType(t.Value)
		return &c
	}
	return t
}

// storedName is the name under which column i is stored in files,
// partition values and stats.
func (s *Snapshot) storedName(i int) string {
	if columnMappingMode(&s.metadata) == "" {
		return s.schema.Fields[i].Name
	}
	return physicalName(&s.schema.Fields[i])
}

// storedField is column i as stored in data files.
func (s *Snapshot) storedField(i int) column.Field {
	if columnMappingMode(&s.metadata) == "" {
		return s.schema.Fields[i]
	}
	f := physicalField(s.schema.Fields[i])
	return f
}
