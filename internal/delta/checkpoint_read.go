package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
)

// readCheckpoint returns the actions stored in a checkpoint (all parts, and
// for a V2 checkpoint the add and remove actions of its sidecar files).
func (t *Table) readCheckpoint(ctx context.Context, cp checkpointRef) ([]Action, error) {
	acts, err := t.readCheckpointParts(ctx, cp)
	if err != nil {
		return nil, err
	}
	out := acts[:0:0]
	for _, a := range acts {
		if a.Sidecar == nil {
			out = append(out, a)
			continue
		}
		var sc struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(a.Sidecar, &sc); err != nil || sc.Path == "" {
			return nil, fmt.Errorf("%w: sidecar action without a path", ErrCorrupt)
		}
		name := decodePath(sc.Path)
		if strings.Contains(name, "://") || strings.HasPrefix(name, "/") {
			return nil, &UnsupportedError{What: "sidecar location", Name: sc.Path}
		}
		side, err := t.readCheckpointParquet(ctx, LogDir+"/_sidecars/"+name)
		if err != nil {
			return nil, fmt.Errorf("sidecar %s: %w", sc.Path, err)
		}
		for _, sa := range side {
			if sa.Add != nil || sa.Remove != nil {
				out = append(out, sa)
			}
		}
	}
	return out, nil
}

func (t *Table) readCheckpointParts(ctx context.Context, cp checkpointRef) ([]Action, error) {
	var out []Action
	for _, part := range cp.parts {
		if strings.HasSuffix(part.Name, ".json") {
			data, err := t.store.Get(ctx, part.Name)
			if err != nil {
				return nil, err
			}
			acts, err := ParseCommit(data)
			if err != nil {
				return nil, err
			}
			out = append(out, acts...)
			continue
		}
		acts, err := t.readCheckpointParquet(ctx, part.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part.Name, err)
		}
		out = append(out, acts...)
	}
	return out, nil
}

// Checkpoint columns read leaf by leaf (fast, no per-row boxing); the
// rarely populated action columns (metaData, protocol, …) and the maps are
// assembled as nested values.
var cpFlat = []string{
	"txn.appId", "txn.version", "txn.lastUpdated",
	"add.path", "add.size", "add.modificationTime", "add.dataChange", "add.stats", "add.baseRowId",
	"add.defaultRowCommitVersion", "add.deletionVector.storageType", "add.deletionVector.pathOrInlineDv",
	"add.deletionVector.offset", "add.deletionVector.sizeInBytes", "add.deletionVector.cardinality",
	"remove.path", "remove.deletionTimestamp", "remove.dataChange", "remove.extendedFileMetadata", "remove.size",
	"remove.deletionVector.storageType", "remove.deletionVector.pathOrInlineDv", "remove.deletionVector.offset",
	"remove.deletionVector.sizeInBytes", "remove.deletionVector.cardinality",
}

var cpNested = []string{
	"add.partitionValues", "add.tags", "add.stats_parsed", "remove.partitionValues", "remove.tags",
	"metaData", "protocol", "domainMetadata", "checkpointMetadata", "sidecar",
}

// fieldAt finds the type of a dotted path in a schema.
func fieldAt(s *column.Schema, path string) (*column.Type, bool) {
	parts := strings.Split(path, ".")
	fields := s.Fields
	var t *column.Type
	for _, p := range parts {
		found := false
		for i := range fields {
			if fields[i].Name == p {
				t, found = fields[i].Type, true
				break
			}
		}
		if !found {
			return nil, false
		}
		fields = nil
		if t.Kind == column.Struct {
			fields = t.Fields
		}
	}
	return t, true
}

func (t *Table) readCheckpointParquet(ctx context.Context, name string) ([]Action, error) {
	obj, err := t.store.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	f, err := parquetio.Open(obj, obj.Size())
	if err != nil {
		return nil, err
	}
	fileSchema, err := f.Schema()
	if err != nil {
		return nil, err
	}
	var want column.Schema
	col := map[string]int{}
	for _, p := range append(append([]string{}, cpFlat...), cpNested...) {
		ft, ok := fieldAt(fileSchema, p)
		if !ok {
			continue
		}
		if slices.Contains(cpFlat, p) && !ft.IsPrimitive() {
			continue
		}
		col[p] = len(want.Fields)
		want.Fields = append(want.Fields, column.Field{Name: p, Type: ft, Nullable: true})
	}
	r, err := f.NewReader(&want, parquetio.ReaderOptions{BatchRows: 8192})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := column.NewBatch(&want, 8192)
	var out []Action
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := r.Next(b)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		c := cpBatch{b: b, col: col}
		for i := 0; i < b.Len(); i++ {
			a, err := c.action(i)
			if err != nil {
				return nil, err
			}
			if a != nil {
				out = append(out, *a)
			}
		}
	}
	return out, nil
}

// cpBatch reads checkpoint actions from a batch of leaf columns.
type cpBatch struct {
	b   *column.Batch
	col map[string]int
}

func (c cpBatch) vec(p string) *column.Vector {
	if i, ok := c.col[p]; ok {
		return c.b.Cols[i]
	}
	return nil
}

func (c cpBatch) str(p string, r int) (string, bool) {
	v := c.vec(p)
	if v == nil || v.IsNull(r) || v.Offsets == nil {
		return "", false
	}
	return v.Str(r), true
}

func (c cpBatch) int(p string, r int) (int64, bool) {
	v := c.vec(p)
	if v == nil || v.IsNull(r) || v.Ints == nil {
		return 0, false
	}
	return v.Ints[r], true
}

func (c cpBatch) intPtr(p string, r int) *int64 {
	if x, ok := c.int(p, r); ok {
		return &x
	}
	return nil
}

func (c cpBatch) bool(p string, r int) (bool, bool) {
	v := c.vec(p)
	if v == nil || v.IsNull(r) || v.Bools == nil {
		return false, false
	}
	return v.Bools[r], true
}

func (c cpBatch) nested(p string, r int) structView {
	v := c.vec(p)
	if v == nil {
		return structView{}
	}
	sv, _ := v.Value(r).(column.StructValue)
	return structView{v.Type, sv}
}

// view wraps a nested value (map, struct) as a one-field struct view.
func (c cpBatch) view(p, field string, r int) structView {
	v := c.vec(p)
	if v == nil {
		return structView{t: &column.Type{Kind: column.Struct}}
	}
	return structView{&column.Type{Kind: column.Struct, Fields: []column.Field{{Name: field, Type: v.Type}}}, column.StructValue{v.Value(r)}}
}

func (c cpBatch) dv(prefix string, r int) *DeletionVector {
	st, ok := c.str(prefix+".deletionVector.storageType", r)
	if !ok || st == "" {
		return nil
	}
	dv := &DeletionVector{StorageType: st}
	dv.PathOrInlineDv, _ = c.str(prefix+".deletionVector.pathOrInlineDv", r)
	if o, ok := c.int(prefix+".deletionVector.offset", r); ok {
		o32 := int32(o)
		dv.Offset = &o32
	}
	sz, _ := c.int(prefix+".deletionVector.sizeInBytes", r)
	dv.SizeInBytes = int32(sz)
	dv.Cardinality, _ = c.int(prefix+".deletionVector.cardinality", r)
	return dv
}

func (c cpBatch) action(r int) (*Action, error) {
	if path, ok := c.str("add.path", r); ok {
		a := &Add{Path: path, PartitionValues: c.view("add.partitionValues", "v", r).partitionValues("v"),
			Tags: c.view("add.tags", "v", r).strMap("v"), DeletionVector: c.dv("add", r),
			BaseRowID: c.intPtr("add.baseRowId", r), DefaultRowCommitVersion: c.intPtr("add.defaultRowCommitVersion", r)}
		a.Stats, _ = c.str("add.stats", r)
		a.Size, _ = c.int("add.size", r)
		a.ModificationTime, _ = c.int("add.modificationTime", r)
		a.DataChange, _ = c.bool("add.dataChange", r)
		if a.PartitionValues == nil {
			a.PartitionValues = map[string]*string{}
		}
		if a.Stats == "" {
			if sp := c.nested("add.stats_parsed", r); sp.v != nil {
				a.statsParsed = statsFromParsed(sp)
			}
		}
		if path == "" {
			return nil, fmt.Errorf("%w: checkpoint add without a path", ErrCorrupt)
		}
		return &Action{Add: a}, nil
	}
	if path, ok := c.str("remove.path", r); ok {
		rm := &Remove{Path: path, DeletionTimestamp: c.intPtr("remove.deletionTimestamp", r), Size: c.intPtr("remove.size", r),
			PartitionValues: c.view("remove.partitionValues", "v", r).partitionValues("v"),
			Tags:            c.view("remove.tags", "v", r).strMap("v"), DeletionVector: c.dv("remove", r)}
		rm.DataChange, _ = c.bool("remove.dataChange", r)
		if b, ok := c.bool("remove.extendedFileMetadata", r); ok {
			rm.ExtendedFileMetadata = &b
		}
		return &Action{Remove: rm}, nil
	}
	if app, ok := c.str("txn.appId", r); ok {
		v, _ := c.int("txn.version", r)
		return &Action{Txn: &Txn{AppID: app, Version: v, LastUpdated: c.intPtr("txn.lastUpdated", r)}}, nil
	}
	for _, kind := range []string{"metaData", "protocol", "domainMetadata", "checkpointMetadata", "sidecar"} {
		if sv := c.nested(kind, r); sv.v != nil {
			return checkpointAction(kind, sv), nil
		}
	}
	return nil, nil
}

// structView reads boxed struct values by field name.
type structView struct {
	t *column.Type
	v column.StructValue
}

func (s structView) get(name string) any {
	for i, f := range s.t.Fields {
		if f.Name == name {
			return s.v[i]
		}
	}
	return nil
}

func (s structView) str(name string) string {
	v, _ := s.get(name).(string)
	return v
}

func (s structView) strPtr(name string) *string {
	if v, ok := s.get(name).(string); ok {
		return &v
	}
	return nil
}

func (s structView) int(name string) (int64, bool) {
	v, ok := s.get(name).(int64)
	return v, ok
}

func (s structView) intPtr(name string) *int64 {
	if v, ok := s.get(name).(int64); ok {
		return &v
	}
	return nil
}

func (s structView) bool(name string) (bool, bool) {
	v, ok := s.get(name).(bool)
	return v, ok
}

func (s structView) sub(name string) (structView, bool) {
	for i, f := range s.t.Fields {
		if f.Name == name {
			if v, ok := s.v[i].(column.StructValue); ok {
				return structView{f.Type, v}, true
			}
		}
	}
	return structView{}, false
}

func (s structView) strMap(name string) map[string]string {
	m, ok := s.get(name).(column.MapValue)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, e := range m {
		k, _ := e.Key.(string)
		v, _ := e.Value.(string)
		out[k] = v
	}
	return out
}

func (s structView) partitionValues(name string) map[string]*string {
	m, ok := s.get(name).(column.MapValue)
	if !ok {
		return nil
	}
	out := make(map[string]*string, len(m))
	for _, e := range m {
		k, _ := e.Key.(string)
		if v, ok := e.Value.(string); ok {
			out[k] = &v
		} else {
			out[k] = nil
		}
	}
	return out
}

func (s structView) strList(name string) []string {
	l, ok := s.get(name).([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		if v, ok := e.(string); ok {
			out = append(out, v)
		}
	}
	return out
}

// checkpointAction builds one of the rarely populated actions read as a
// nested value (see cpNested); add, remove and txn are read leaf by leaf.
func checkpointAction(kind string, s structView) *Action {
	switch kind {
	case "metaData":
		md := &Metadata{ID: s.str("id"), Name: s.strPtr("name"), Description: s.strPtr("description"),
			SchemaString: s.str("schemaString"), PartitionColumns: s.strList("partitionColumns"),
			Configuration: s.strMap("configuration"), CreatedTime: s.intPtr("createdTime")}
		if f, ok := s.sub("format"); ok {
			md.Format = Format{Provider: f.str("provider"), Options: f.strMap("options")}
		}
		if md.Configuration == nil {
			md.Configuration = map[string]string{}
		}
		if md.PartitionColumns == nil {
			md.PartitionColumns = []string{}
		}
		return &Action{Metadata: md}
	case "protocol":
		r, _ := s.int("minReaderVersion")
		w, _ := s.int("minWriterVersion")
		return &Action{Protocol: &Protocol{MinReaderVersion: int(r), MinWriterVersion: int(w),
			ReaderFeatures: s.strList("readerFeatures"), WriterFeatures: s.strList("writerFeatures")}}
	case "domainMetadata":
		rm, _ := s.bool("removed")
		return &Action{DomainMetadata: &DomainMetadata{Domain: s.str("domain"), Configuration: s.str("configuration"), Removed: rm}}
	case "checkpointMetadata":
		return &Action{CheckpointMetadata: json.RawMessage("{}")}
	case "sidecar":
		b, _ := json.Marshal(map[string]string{"path": s.str("path")})
		return &Action{Sidecar: b}
	}
	return nil
}

// statsFromParsed converts a stats_parsed struct into Stats whose values
// look like parsed JSON stats (numbers as json.Number, dates and timestamps
// as strings), so skipping code has one form to handle.
func statsFromParsed(s structView) *Stats {
	st := &Stats{}
	if n, ok := s.int("numRecords"); ok {
		st.NumRecords, st.hasNumRecords = n, true
	}
	conv := func(name string) map[string]any {
		sub, ok := s.sub(name)
		if !ok {
			return nil
		}
		return structToStats(sub)
	}
	st.MinValues, st.MaxValues, st.NullCount = conv("minValues"), conv("maxValues"), conv("nullCount")
	return st
}

func structToStats(s structView) map[string]any {
	out := make(map[string]any, len(s.t.Fields))
	for i, f := range s.t.Fields {
		v := s.v[i]
		if v == nil {
			continue
		}
		switch f.Type.Kind {
		case column.Struct:
			if sv, ok := v.(column.StructValue); ok {
				out[f.Name] = structToStats(structView{f.Type, sv})
			}
		case column.Date:
			out[f.Name] = FormatDate(v.(int64))
		case column.Timestamp, column.TimestampNTZ:
			out[f.Name] = column.FormatTimestamp(v.(int64))
		case column.Decimal:
			switch x := v.(type) {
			case int64:
				out[f.Name] = json.Number(FormatDecimal(x, f.Type.Scale))
			case *big.Int:
				out[f.Name] = json.Number(formatBigDecimal(x, f.Type.Scale))
			}
		case column.Byte, column.Short, column.Int, column.Long:
			out[f.Name] = json.Number(fmt.Sprint(v))
		case column.Float, column.Double:
			out[f.Name] = json.Number(fmt.Sprint(v))
		default:
			out[f.Name] = v
		}
	}
	return out
}
