package deltatest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// dtype is a Delta data type parsed from a schemaString.
type dtype struct {
	name              string // primitive name, "decimal", "struct", "array" or "map"
	precision, scale  int    // decimal
	fields            []schemaField
	elem              *dtype
	key, value        *dtype
	containsNull      bool
	valueContainsNull bool
}

type schemaField struct {
	name     string
	typ      *dtype
	nullable bool
}

// tableSchema is the top-level struct of a table.
type tableSchema struct {
	fields []schemaField
}

func (s *tableSchema) field(name string) (schemaField, bool) {
	for _, f := range s.fields {
		if f.name == name {
			return f, true
		}
	}
	return schemaField{}, false
}

// primitives are the Delta type names (protocol digest §4); Spark SQL
// aliases such as "int" or "bigint" are not valid in a schemaString.
var primitives = []string{"string", "long", "integer", "short", "byte", "float", "double", "boolean",
	"binary", "date", "timestamp", "timestamp_ntz", "void", "variant"}

var decimalRE = regexp.MustCompile(`^decimal\(([0-9]+),([0-9]+)\)$`)

func (t *dtype) primitive() bool {
	return t.name != "struct" && t.name != "array" && t.name != "map"
}

func (t *dtype) String() string {
	switch t.name {
	case "decimal":
		return fmt.Sprintf("decimal(%d,%d)", t.precision, t.scale)
	case "array":
		return "array<" + t.elem.String() + ">"
	case "map":
		return "map<" + t.key.String() + "," + t.value.String() + ">"
	case "struct":
		return "struct"
	}
	return t.name
}

func (t *dtype) uses(name string) bool {
	switch t.name {
	case name:
		return true
	case "struct":
		return slices.ContainsFunc(t.fields, func(f schemaField) bool { return f.typ.uses(name) })
	case "array":
		return t.elem.uses(name)
	case "map":
		return t.key.uses(name) || t.value.uses(name)
	}
	return false
}

// parseSchemaString parses and validates a schemaString; problems are
// returned as messages, and the schema is nil when it is unusable.
func parseSchemaString(s string) (*tableSchema, []string) {
	var errs []string
	t := parseType(json.RawMessage(s), "schema", &errs)
	if t == nil {
		return nil, errs
	}
	if t.name != "struct" {
		return nil, append(errs, fmt.Sprintf("the top level is %s, not a struct", t))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &tableSchema{fields: t.fields}, nil
}

func parseType(raw json.RawMessage, path string, errs *[]string) *dtype {
	bad := func(format string, args ...any) *dtype {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
		return nil
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if slices.Contains(primitives, name) {
			return &dtype{name: name}
		}
		m := decimalRE.FindStringSubmatch(name)
		if m == nil {
			return bad("%q is not a Delta type name", name)
		}
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		if p < 1 || p > 38 || s > p || m[1][0] == '0' || (len(m[2]) > 1 && m[2][0] == '0') {
			return bad("%q is not a valid decimal type (1 ≤ precision ≤ 38, 0 ≤ scale ≤ precision)", name)
		}
		return &dtype{name: "decimal", precision: p, scale: s}
	}
	keys, obj, err := objectKeys(raw)
	if err != nil {
		return bad("type is neither a name nor an object: %v", err)
	}
	var kind string
	if json.Unmarshal(obj["type"], &kind) != nil {
		return bad("complex type without a \"type\" name (keys %v)", keys)
	}
	boolKey := func(k string) (bool, bool) {
		var b bool
		if json.Unmarshal(obj[k], &b) != nil || isNull(obj[k]) {
			bad("%s type lacks boolean %q", kind, k)
			return false, false
		}
		return b, true
	}
	switch kind {
	case "struct":
		var raws []json.RawMessage
		if json.Unmarshal(obj["fields"], &raws) != nil {
			return bad("struct without a fields array")
		}
		t := &dtype{name: "struct"}
		seen := map[string]bool{}
		for i, fr := range raws {
			_, f, err := objectKeys(fr)
			if err != nil {
				bad("field %d is not an object: %v", i, err)
				continue
			}
			var fname string
			if json.Unmarshal(f["name"], &fname) != nil || fname == "" {
				bad("field %d has no name", i)
				continue
			}
			fpath := path + "." + fname
			if seen[strings.ToLower(fname)] {
				bad("column %q appears twice (names are case-insensitive)", fname)
			}
			seen[strings.ToLower(fname)] = true
			var nullable bool
			if json.Unmarshal(f["nullable"], &nullable) != nil || isNull(f["nullable"]) {
				*errs = append(*errs, fpath+": no boolean \"nullable\"")
			}
			var md map[string]json.RawMessage
			if json.Unmarshal(f["metadata"], &md) != nil || md == nil {
				*errs = append(*errs, fpath+": no \"metadata\" object (Spark always writes one)")
			}
			ft := parseType(f["type"], fpath, errs)
			if ft != nil {
				t.fields = append(t.fields, schemaField{name: fname, typ: ft, nullable: nullable})
			}
		}
		return t
	case "array":
		cn, ok := boolKey("containsNull")
		e := parseType(obj["elementType"], path+"[]", errs)
		if e == nil || !ok {
			return nil
		}
		return &dtype{name: "array", elem: e, containsNull: cn}
	case "map":
		vn, ok := boolKey("valueContainsNull")
		k := parseType(obj["keyType"], path+".key", errs)
		v := parseType(obj["valueType"], path+".value", errs)
		if k == nil || v == nil || !ok {
			return nil
		}
		return &dtype{name: "map", key: k, value: v, valueContainsNull: vn}
	}
	return bad("unknown complex type %q", kind)
}

// Feature names the protocol digest §2 lists (with the -preview variants
// seen in real tables).
var knownFeatures = []string{"appendOnly", "invariants", "checkConstraints", "generatedColumns",
	"allowColumnDefaults", "changeDataFeed", "columnMapping", "identityColumns", "deletionVectors",
	"rowTracking", "timestampNtz", "domainMetadata", "v2Checkpoint", "catalogManaged",
	"icebergCompatV1", "icebergCompatV2", "clustering", "vacuumProtocolCheck", "inCommitTimestamp",
	"typeWidening", "typeWidening-preview", "variantType", "variantType-preview", "variantShredding",
	"variantShredding-preview"}

func (c *checker) checkProtocol(where string, p *protocolAction) {
	if p.MinReaderVersion < 1 || p.MinReaderVersion > 3 {
		c.add(CodeProtocol, where, "minReaderVersion %d is not 1, 2 or 3", p.MinReaderVersion)
	}
	if p.MinWriterVersion < 1 || p.MinWriterVersion > 7 {
		c.add(CodeProtocol, where, "minWriterVersion %d is not in 1..7", p.MinWriterVersion)
	}
	if (p.MinReaderVersion == 3) != (p.ReaderFeatures != nil) {
		c.add(CodeProtocol, where, "readerFeatures must be present exactly when minReaderVersion is 3 (reader version %d)", p.MinReaderVersion)
	}
	if (p.MinWriterVersion == 7) != (p.WriterFeatures != nil) {
		c.add(CodeProtocol, where, "writerFeatures must be present exactly when minWriterVersion is 7 (writer version %d)", p.MinWriterVersion)
	}
	if p.MinReaderVersion == 3 && p.MinWriterVersion != 7 {
		c.add(CodeProtocol, where, "reader version 3 requires writer version 7, not %d", p.MinWriterVersion)
	}
	rf, wf := deref(p.ReaderFeatures), deref(p.WriterFeatures)
	for _, f := range append(slices.Clone(rf), wf...) {
		if !slices.Contains(knownFeatures, f) {
			c.add(CodeProtocol, where, "unknown table feature %q", f)
		}
	}
	for _, f := range rf {
		if !slices.Contains(wf, f) {
			c.add(CodeProtocol, where, "reader feature %q is not also listed in writerFeatures", f)
		}
	}
}

func (c *checker) checkProtocolCoversSchema(where string, p *protocolAction, s *tableSchema) {
	st := &dtype{name: "struct", fields: s.fields}
	if st.uses("timestamp_ntz") {
		if p.MinReaderVersion != 3 || !slices.Contains(deref(p.ReaderFeatures), "timestampNtz") || !slices.Contains(deref(p.WriterFeatures), "timestampNtz") {
			c.add(CodeProtocol, where, "a timestamp_ntz column needs protocol (3,7) with reader and writer feature timestampNtz")
		}
	}
	if md := c.state.metadata; md != nil && strings.EqualFold(md.Configuration["delta.appendOnly"], "true") {
		if p.MinWriterVersion < 2 || (p.MinWriterVersion == 7 && !slices.Contains(deref(p.WriterFeatures), "appendOnly")) {
			c.add(CodeProtocol, where, "delta.appendOnly=true needs writer version 2+ (or feature appendOnly)")
		}
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkMetadata validates a metaData action and returns the parsed schema
// (nil when unusable).
func (c *checker) checkMetadata(where string, md *metadataAction) *tableSchema {
	if !uuidRE.MatchString(md.ID) {
		c.add(CodeSchema, where, "metaData.id %q is not a GUID", md.ID)
	}
	if md.Format.Provider != "parquet" {
		c.add(CodeSchema, where, "format.provider is %q, not parquet", md.Format.Provider)
	}
	s, errs := parseSchemaString(md.SchemaString)
	for _, e := range errs {
		c.add(CodeSchema, where, "schemaString: %s", e)
	}
	seen := map[string]bool{}
	for _, pc := range md.PartitionColumns {
		if seen[pc] {
			c.add(CodeSchema, where, "partition column %q is listed twice", pc)
		}
		seen[pc] = true
		if s == nil {
			continue
		}
		f, ok := s.field(pc)
		switch {
		case !ok:
			c.add(CodeSchema, where, "partition column %q is not a column of the schema", pc)
		case !f.typ.primitive():
			c.add(CodeSchema, where, "partition column %q has non-primitive type %s", pc, f.typ)
		}
	}
	if s != nil && len(md.PartitionColumns) >= len(s.fields) {
		c.add(CodeSchema, where, "every column is a partition column: data files would have no columns")
	}
	for k, v := range md.Configuration {
		switch k {
		case "delta.checkpointInterval":
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				c.add(CodeSchema, where, "configuration %s=%q is not a positive integer", k, v)
			}
		case "delta.dataSkippingNumIndexedCols":
			if n, err := strconv.Atoi(v); err != nil || n < -1 {
				c.add(CodeSchema, where, "configuration %s=%q is not an integer ≥ -1", k, v)
			}
		case "delta.appendOnly":
			if v != "true" && v != "false" {
				c.add(CodeSchema, where, "configuration %s=%q is not true or false", k, v)
			}
		}
	}
	return s
}
