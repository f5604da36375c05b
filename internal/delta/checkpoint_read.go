package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
)

// readCheckpoint returns the actions stored in a checkpoint (all parts).
func (t *Table) readCheckpoint(ctx context.Context, cp checkpointRef) ([]Action, error) {
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
	// Read only the action columns we understand.
	var want column.Schema
	for _, name := range []string{"txn", "add", "remove", "metaData", "protocol", "domainMetadata", "checkpointMetadata", "sidecar"} {
		if fd, ok := fileSchema.Field(name); ok && fd.Type.Kind == column.Struct {
			want.Fields = append(want.Fields, *fd)
		}
	}
	r, err := f.NewReader(&want, parquetio.ReaderOptions{BatchRows: 4096})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := column.NewBatch(&want, 4096)
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
		for i := 0; i < b.Len(); i++ {
			for c, fd := range want.Fields {
				sv, ok := b.Cols[c].Value(i).(column.StructValue)
				if !ok {
					continue
				}
				a, err := checkpointAction(fd.Name, structView{fd.Type, sv})
				if err != nil {
					return nil, err
				}
				if a != nil {
					out = append(out, *a)
				}
				break
			}
		}
	}
	return out, nil
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

func checkpointAction(kind string, s structView) (*Action, error) {
	switch kind {
	case "txn":
		v, _ := s.int("version")
		return &Action{Txn: &Txn{AppID: s.str("appId"), Version: v, LastUpdated: s.intPtr("lastUpdated")}}, nil
	case "add":
		a := &Add{Path: s.str("path"), PartitionValues: s.partitionValues("partitionValues"), Stats: s.str("stats"), Tags: s.strMap("tags")}
		a.Size, _ = s.int("size")
		a.ModificationTime, _ = s.int("modificationTime")
		a.DataChange, _ = s.bool("dataChange")
		a.BaseRowID = s.intPtr("baseRowId")
		a.DefaultRowCommitVersion = s.intPtr("defaultRowCommitVersion")
		a.DeletionVector = checkpointDV(s)
		if a.PartitionValues == nil {
			a.PartitionValues = map[string]*string{}
		}
		if a.Stats == "" {
			if sp, ok := s.sub("stats_parsed"); ok {
				a.statsParsed = statsFromParsed(sp)
			}
		}
		if a.Path == "" {
			return nil, fmt.Errorf("%w: checkpoint add without a path", ErrCorrupt)
		}
		return &Action{Add: a}, nil
	case "remove":
		r := &Remove{Path: s.str("path"), DeletionTimestamp: s.intPtr("deletionTimestamp"), Size: s.intPtr("size"),
			PartitionValues: s.partitionValues("partitionValues"), Tags: s.strMap("tags")}
		r.DataChange, _ = s.bool("dataChange")
		if b, ok := s.bool("extendedFileMetadata"); ok {
			r.ExtendedFileMetadata = &b
		}
		r.DeletionVector = checkpointDV(s)
		if r.Path == "" {
			return nil, fmt.Errorf("%w: checkpoint remove without a path", ErrCorrupt)
		}
		return &Action{Remove: r}, nil
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
		return &Action{Metadata: md}, nil
	case "protocol":
		r, _ := s.int("minReaderVersion")
		w, _ := s.int("minWriterVersion")
		return &Action{Protocol: &Protocol{MinReaderVersion: int(r), MinWriterVersion: int(w),
			ReaderFeatures: s.strList("readerFeatures"), WriterFeatures: s.strList("writerFeatures")}}, nil
	case "domainMetadata":
		rm, _ := s.bool("removed")
		return &Action{DomainMetadata: &DomainMetadata{Domain: s.str("domain"), Configuration: s.str("configuration"), Removed: rm}}, nil
	case "checkpointMetadata":
		return &Action{CheckpointMetadata: json.RawMessage("{}")}, nil
	case "sidecar":
		return &Action{Sidecar: json.RawMessage(fmt.Sprintf("{%q:%q}", "path", s.str("path")))}, nil
	}
	return nil, nil
}

func checkpointDV(s structView) *DeletionVector {
	d, ok := s.sub("deletionVector")
	if !ok {
		return nil
	}
	st := d.str("storageType")
	if st == "" {
		return nil
	}
	dv := &DeletionVector{StorageType: st, PathOrInlineDv: d.str("pathOrInlineDv")}
	if o, ok := d.int("offset"); ok {
		o32 := int32(o)
		dv.Offset = &o32
	}
	sz, _ := d.int("sizeInBytes")
	dv.SizeInBytes = int32(sz)
	dv.Cardinality, _ = d.int("cardinality")
	return dv
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
			out[f.Name] = formatMicrosUTC(v.(int64))
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
