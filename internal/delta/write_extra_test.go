package delta

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta/deltatest"
)

// primitivesSchema has a column of every primitive type our writer writes,
// and three partition columns of different types.
func primitivesSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "id", Type: column.TypeLong},
		{Name: "b", Type: column.TypeBoolean, Nullable: true},
		{Name: "i8", Type: column.TypeByte, Nullable: true},
		{Name: "i16", Type: column.TypeShort, Nullable: true},
		{Name: "i32", Type: column.TypeInt, Nullable: true},
		{Name: "f32", Type: column.TypeFloat, Nullable: true},
		{Name: "f64", Type: column.TypeDouble, Nullable: true},
		{Name: "s", Type: column.TypeString, Nullable: true},
		{Name: "bin", Type: column.TypeBinary, Nullable: true},
		{Name: "d", Type: column.TypeDate, Nullable: true},
		{Name: "ts", Type: column.TypeTimestamp, Nullable: true},
		{Name: "ntz", Type: column.TypeTimestampNTZ, Nullable: true},
		{Name: "dec9", Type: column.DecimalType(9, 2), Nullable: true},
		{Name: "dec18", Type: column.DecimalType(18, 4), Nullable: true},
		{Name: "dec30", Type: column.DecimalType(30, 6), Nullable: true},
		{Name: "ps", Type: column.TypeString, Nullable: true},
		{Name: "pd", Type: column.TypeDate, Nullable: true},
		{Name: "pi", Type: column.TypeInt, Nullable: true},
	}}
}

// part is one partition of the primitives table; nil means null.
type part struct {
	s    *string
	d, i *int64
}

func sp(s string) *string { return &s }
func ip(i int64) *int64   { return &i }

// primitiveParts exercise Hive escaping and URI encoding: '/', '=', '%',
// space, characters that are special in URIs, unicode, a tab, the empty
// string (written as null) and nulls in every partition column.
var primitiveParts = []part{
	{sp("a/b"), ip(19000), ip(1)},
	{sp("x=y"), ip(19001), ip(-5)},
	{sp("100%"), ip(19000), ip(0)},
	{sp("sp ace"), nil, ip(7)},
	{sp("ünï €"), ip(-3), nil},
	{nil, nil, nil},
	{sp(""), ip(19000), ip(3)},
	{sp("#?:[]{}^'\"*\\"), ip(19002), ip(2)},
	{sp("tab\tx"), ip(19000), ip(1)},
}

// rowSpec is what the model knows of a row: its values derive from id and
// tag (a version counter, so updates change every value).
type rowSpec struct {
	id, tag int64
	p       part
}

// appendPrimitiveRow appends the row of spec r to b.
func appendPrimitiveRow(b *column.Batch, r rowSpec) {
	id, tag := r.id, r.tag
	c := b.Cols
	c[0].AppendInt(id)
	if (id+tag)%7 == 3 {
		for i := 1; i <= 14; i++ {
			c[i].AppendNull()
		}
	} else {
		c[1].AppendBool((id+tag)%2 == 0)
		c[2].AppendInt(int64(int8(id*3 + tag)))
		c[3].AppendInt(int64(int16(id*300 - tag)))
		c[4].AppendInt(int64(int32(id*100_000 + tag)))
		switch id % 50 {
		case 17:
			c[5].AppendFloat(math.Inf(-1))
		default:
			c[5].AppendFloat(float64(float32(id)/4 + float32(tag)))
		}
		switch id % 50 {
		case 13:
			c[6].AppendFloat(math.NaN())
		default:
			c[6].AppendFloat(float64(id)/3 - float64(tag)*1e10)
		}
		switch id % 4 {
		case 0:
			c[7].AppendString(strings.Repeat("long ascii ", 4) + strconv.FormatInt(id, 10))
		case 1:
			c[7].AppendString(strings.Repeat("ü", 30+int(id%5)) + "x")
		default:
			c[7].AppendString(fmt.Sprintf("v%d-%d", id, tag))
		}
		c[8].AppendBytes([]byte{byte(id), 0, byte(tag), 0xff})
		c[9].AppendInt(id - 1000)
		c[10].AppendInt(id*1_000_001_111 - 5e12 + tag)
		c[11].AppendInt(id*999_999 + tag)
		c[12].AppendInt((id*137 - 50_000 + tag) % 999_999_999)
		c[13].AppendInt(id*1_000_000_000_000 + tag)
		big1 := new(big.Int).Mul(big.NewInt(id-100), new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
		c[14].AppendValue(big1.Add(big1, big.NewInt(tag-7)))
	}
	for i, v := range []any{r.p.s, r.p.d, r.p.i} {
		switch x := v.(type) {
		case *string:
			if x == nil {
				c[15+i].AppendNull()
			} else {
				c[15+i].AppendString(*x)
			}
		case *int64:
			if x == nil {
				c[15+i].AppendNull()
			} else {
				c[15+i].AppendInt(*x)
			}
		}
	}
}

func primitivesBatch(s *column.Schema, rows []rowSpec) *column.Batch {
	b := column.NewBatch(s, len(rows))
	for _, r := range rows {
		appendPrimitiveRow(b, r)
	}
	return b
}

// expectedRows renders the model like scanRows renders a table.
func expectedRows(s *column.Schema, model map[int64]rowSpec) []string {
	ids := make([]int64, 0, len(model))
	for id := range model {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var rows []rowSpec
	for _, id := range ids {
		rows = append(rows, model[id])
	}
	return rowStrings(s, []*column.Batch{primitivesBatch(s, rows)})
}

func sameString(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// TestWriterConformance writes 30 versions with Append, ReplaceWhere and
// Merge over every primitive type, nulls, NaN/Inf, long strings and
// partitions of three types with special characters and nulls; the
// deltatest checker must find nothing, checkpoints must exist at 10, 20
// and 30, and every snapshot must hold exactly the modelled rows.
func TestWriterConformance(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tbl := localTable(t, dir, Options{})
	s, err := tbl.Create(ctx, CreateOptions{Name: "primitives", Schema: primitivesSchema(), PartitionColumns: []string{"ps", "pd", "pi"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Protocol(); p.MinReaderVersion != 3 || p.MinWriterVersion != 7 {
		t.Fatalf("protocol %+v, want (3,7) for timestamp_ntz", p)
	}
	schema := s.Schema()
	model := map[int64]rowSpec{}
	history := map[int64][]string{0: nil}
	nextID, tag := int64(0), int64(0)
	normalize := func(p part) part {
		if p.s != nil && *p.s == "" {
			p.s = nil // the writer stores an empty string partition as null
		}
		return p
	}
	for op := 1; op <= 30; op++ {
		tag++
		p := primitiveParts[op%len(primitiveParts)]
		var err error
		switch {
		case op%6 == 0: // replace everything in one string partition
			p = normalize(p)
			var rows []rowSpec
			for range 5 {
				rows = append(rows, rowSpec{nextID, tag, p})
				nextID++
			}
			pred := IsNull("ps")
			if p.s != nil {
				pred = Eq("ps", *p.s)
			}
			var r *Result
			if r, err = s.ReplaceWhere(ctx, pred, Batches(primitivesBatch(schema, rows)), CommitOptions{}); err == nil {
				s = r.Snapshot
				for id, m := range model {
					if sameString(normalize(m.p).s, p.s) {
						delete(model, id)
					}
				}
				for _, r := range rows {
					r.p = normalize(r.p)
					model[r.id] = r
				}
			}
		case op%5 == 0: // upsert: update three old rows (moving one to another partition), insert two
			var rows []rowSpec
			for _, id := range slices.Sorted(maps.Keys(model))[:3] {
				rows = append(rows, rowSpec{id, tag, model[id].p})
			}
			if len(rows) > 0 {
				rows[0].p = p
			}
			for range 2 {
				rows = append(rows, rowSpec{nextID, tag, p})
				nextID++
			}
			var m *MergeResult
			m, err = s.Merge(ctx, primitivesBatch(schema, rows), MergeOptions{Keys: []string{"id"}})
			if err == nil {
				s = m.Snapshot
				for _, r := range rows {
					r.p = normalize(r.p)
					model[r.id] = r
				}
			}
		default: // append rows to two partitions in one commit
			var rows []rowSpec
			q := primitiveParts[(op*5+1)%len(primitiveParts)]
			for k := range 12 {
				pp := p
				if k%3 == 2 {
					pp = q
				}
				rows = append(rows, rowSpec{nextID, tag, pp})
				nextID++
			}
			var r *Result
			r, err = s.Append(ctx, Batches(primitivesBatch(schema, rows)), CommitOptions{AppID: "conformance", AppVersion: int64(op)})
			if err == nil {
				s = r.Snapshot
				for _, r := range rows {
					r.p = normalize(r.p)
					model[r.id] = r
				}
			}
		}
		if err != nil {
			t.Fatalf("op %d: %v", op, err)
		}
		if s.Version() != int64(op) {
			t.Fatalf("op %d committed version %d", op, s.Version())
		}
		history[s.Version()] = expectedRows(schema, model)
	}

	deltatest.Check(t, dir)
	for _, v := range []int64{10, 20, 30} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(CheckpointName(v)))); err != nil {
			t.Errorf("checkpoint %d: %v", v, err)
		}
	}
	fresh := localTable(t, dir, Options{})
	for _, v := range []int64{1, 9, 10, 11, 20, 25, 30} {
		snap, err := fresh.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		got, err := scanRows(t, snap)
		if err != nil {
			t.Fatalf("scan version %d: %v", v, err)
		}
		if diff := cmp.Diff(history[v], got); diff != "" {
			t.Errorf("version %d rows (-model +table):\n%s", v, diff)
		}
	}
	latest := mustSnapshot(t, fresh)
	if v, ok := latest.TxnVersion("conformance"); !ok || v != 29 {
		t.Errorf("txn version %d,%v, want 29", v, ok)
	}
	if len(latest.Tombstones()) == 0 {
		t.Error("no tombstones: replaceWhere and merge removed nothing")
	}
}

// TestSchemaEnforcement: a batch that does not match the table fails with
// ErrSchemaMismatch naming the column, and nothing is committed.
func TestSchemaEnforcement(t *testing.T) {
	ctx := context.Background()
	table := &column.Schema{Fields: []column.Field{
		{Name: "id", Type: column.TypeLong},
		{Name: "name", Type: column.TypeString, Nullable: true},
		{Name: "amount", Type: column.DecimalType(18, 2), Nullable: true},
	}}
	with := func(mutate func(fs []column.Field) []column.Field) *column.Schema {
		return &column.Schema{Fields: mutate(slices.Clone(table.Fields))}
	}
	cases := []struct {
		name   string
		schema *column.Schema
		fill   func(b *column.Batch)
		column string
	}{
		{"wrong type", with(func(fs []column.Field) []column.Field {
			fs[2].Type = column.TypeDouble
			return fs
		}), nil, "amount"},
		{"wrong decimal scale", with(func(fs []column.Field) []column.Field {
			fs[2].Type = column.DecimalType(18, 3)
			return fs
		}), nil, "amount"},
		{"missing column", with(func(fs []column.Field) []column.Field { return fs[:2] }), nil, "amount"},
		{"extra column", with(func(fs []column.Field) []column.Field {
			return append(fs, column.Field{Name: "extra", Type: column.TypeInt, Nullable: true})
		}), nil, "extra"},
		{"columns out of order", with(func(fs []column.Field) []column.Field {
			fs[1], fs[2] = fs[2], fs[1]
			return fs
		}), nil, "name"},
		{"nullable data for a NOT NULL column", with(func(fs []column.Field) []column.Field {
			fs[0].Nullable = true
			return fs
		}), nil, "id"},
		{"null in a NOT NULL column", table, func(b *column.Batch) {
			b.Cols[0].Reset()
			b.Cols[0].AppendInt(1)
			b.Cols[0].AppendNull()
		}, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tbl := localTable(t, t.TempDir(), Options{})
			s, err := tbl.Create(ctx, CreateOptions{Schema: table})
			if err != nil {
				t.Fatal(err)
			}
			schema := tc.schema
			if schema == table {
				schema = s.Schema() // the table's own schema object: only the data is wrong
			}
			b := column.NewBatch(schema, 2)
			for range 2 {
				for _, v := range b.Cols {
					switch v.Type.Kind {
					case column.String:
						v.AppendString("x")
					case column.Double:
						v.AppendFloat(1.5)
					default:
						v.AppendInt(7)
					}
				}
			}
			if tc.fill != nil {
				tc.fill(b)
			}
			ops := map[string]func() error{
				"append": func() error { _, err := s.Append(ctx, Batches(b), CommitOptions{}); return err },
				"merge": func() error {
					_, err := s.Merge(ctx, b, MergeOptions{Keys: []string{"id"}})
					return err
				},
			}
			for op, run := range ops {
				err := run()
				if !errors.Is(err, ErrSchemaMismatch) || !strings.Contains(err.Error(), strconv.Quote(tc.column)) {
					t.Errorf("%s: err = %v, want ErrSchemaMismatch naming %q", op, err, tc.column)
				}
			}
			if v := mustSnapshot(t, tbl).Version(); v != 0 {
				t.Errorf("a refused write committed version %d", v)
			}
		})
	}
}

// TestAppendOnlyRefusesRemoves: delta.appendOnly=true lets appends and
// insert-only merges through and refuses every operation that removes.
func TestAppendOnlyRefusesRemoves(t *testing.T) {
	ctx := context.Background()
	tbl := localTable(t, t.TempDir(), Options{})
	s, err := tbl.Create(ctx, CreateOptions{Schema: eventsSchema(), PartitionColumns: []string{"day"},
		Configuration: map[string]string{"delta.appendOnly": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), 20000, "a", "b")), CommitOptions{})
	if err != nil {
		t.Fatalf("append to an append-only table: %v", err)
	}
	s = r.Snapshot
	m, err := s.Merge(ctx, eventsBatch(s.Schema(), 20001, "c"), MergeOptions{Keys: []string{"id"}})
	if err != nil {
		t.Fatalf("insert-only merge: %v", err)
	}
	s = m.Snapshot
	refused := []struct {
		name string
		run  func() error
	}{
		{"replaceWhere", func() error {
			_, err := s.ReplaceWhere(ctx, Eq("day", int64(20000)), Batches(eventsBatch(s.Schema(), 20000, "z")), CommitOptions{})
			return err
		}},
		{"merge that updates", func() error {
			_, err := s.Merge(ctx, eventsBatch(s.Schema(), 20000, "a"), MergeOptions{Keys: []string{"id"}})
			return err
		}},
		{"transaction removing a file", func() error {
			tx := s.NewTransaction("DELETE")
			tx.Remove(s.Files()[0])
			_, err := tx.Commit(ctx)
			return err
		}},
	}
	for _, tc := range refused {
		if err := tc.run(); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", tc.name, err)
		}
	}
	after := mustSnapshot(t, tbl)
	if after.Version() != 2 {
		t.Errorf("version %d after refused writes, want 2", after.Version())
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids(t, after)); diff != "" {
		t.Error(diff)
	}
	deltatest.Check(t, tbl.Store().(interface{ Root() string }).Root())
}

// TestUnsupportedWriterFeatureRefused: a table whose protocol needs a
// writer feature we do not implement is readable, but every write is
// refused with an *UnsupportedError naming the feature, before any file
// is written.
func TestUnsupportedWriterFeatureRefused(t *testing.T) {
	ctx := context.Background()
	const schema = `{"type":"struct","fields":[{"name":"id","type":"string","nullable":false,"metadata":{}},` +
		`{"name":"day","type":"date","nullable":true,"metadata":{}}]}`
	const invariantSchema = `{"type":"struct","fields":[{"name":"id","type":"string","nullable":false,"metadata":{}},` +
		`{"name":"day","type":"date","nullable":true,"metadata":{"delta.invariants":"{\"expression\":{\"expression\":\"day > '2000-01-01'\"}}"}}]}`
	md := func(schemaString string) string {
		return `{"metaData":{"id":"7d2f0a4e-0c53-4f1e-9a55-1e1f3c1b9a01","format":{"provider":"parquet","options":{}},"schemaString":` +
			strconv.Quote(schemaString) + `,"partitionColumns":[],"configuration":{}}}`
	}
	cases := []struct {
		name, protocol, schema string
		what, feature          string
	}{
		{"changeDataFeed", `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly","changeDataFeed"]}}`, schema, "writer feature", "changeDataFeed"},
		{"generatedColumns", `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["generatedColumns"]}}`, schema, "writer feature", "generatedColumns"},
		{"inCommitTimestamp", `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["inCommitTimestamp"]}}`, schema, "writer feature", "inCommitTimestamp"},
		{"rowTracking", `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["domainMetadata","rowTracking"]}}`, schema, "writer feature", "domainMetadata"},
		{"checkConstraints on (3,7)", `{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz"],"writerFeatures":["timestampNtz","checkConstraints"]}}`, schema, "writer feature", "checkConstraints"},
		{"legacy writer version 4", `{"protocol":{"minReaderVersion":1,"minWriterVersion":4}}`, schema, "writer version", "4 (checkConstraints)"},
		{"invariants in column metadata", `{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`, invariantSchema, "writer feature", "invariants (column day)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCommitFile(t, dir, 0, tc.protocol, md(tc.schema))
			tbl := localTable(t, dir, Options{})
			s, err := tbl.Snapshot(ctx)
			if err != nil {
				t.Fatalf("the table must stay readable: %v", err)
			}
			b := column.NewBatch(s.Schema(), 1)
			b.Cols[0].AppendString("a")
			b.Cols[1].AppendInt(20000)
			writes := map[string]func() error{
				"append": func() error { _, err := s.Append(ctx, Batches(b), CommitOptions{}); return err },
				"replaceWhere": func() error {
					_, err := s.ReplaceWhere(ctx, True(), Batches(b), CommitOptions{})
					return err
				},
				"merge": func() error { _, err := s.Merge(ctx, b, MergeOptions{Keys: []string{"id"}}); return err },
			}
			for op, run := range writes {
				err := run()
				var ue *UnsupportedError
				if !errors.As(err, &ue) || ue.What != tc.what || ue.Name != tc.feature {
					t.Errorf("%s: err = %v, want unsupported %s %q", op, err, tc.what, tc.feature)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("refused writes left files in the table: %v", entries)
			}
		})
	}
	t.Run("delta-rs cdc_ict_table", func(t *testing.T) {
		tbl := localTable(t, copySharedTable(t, "delta-rs/cdc_ict_table"), Options{})
		s := mustSnapshot(t, tbl)
		b := column.NewBatch(s.Schema(), 1)
		b.Cols[0].AppendString("Zed")
		b.Cols[1].AppendInt(2000)
		b.Cols[2].AppendInt(26)
		_, err := s.Append(ctx, Batches(b), CommitOptions{})
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Name != "inCommitTimestamp" {
			t.Errorf("append: err = %v, want unsupported writer feature inCommitTimestamp", err)
		}
	})
}

// TestUnsupportedReaderFeatureRefused: a table whose protocol needs a
// reader feature we do not implement is refused on open, with the feature
// named, rather than read wrongly.
func TestUnsupportedReaderFeatureRefused(t *testing.T) {
	const md = `{"metaData":{"id":"7d2f0a4e-0c53-4f1e-9a55-1e1f3c1b9a02","format":{"provider":"parquet","options":{}},` +
		`"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}",` +
		`"partitionColumns":[],"configuration":{}}}`
	for _, feature := range []string{"variantType", "catalogManaged", "someFutureFeature"} {
		t.Run(feature, func(t *testing.T) {
			dir := t.TempDir()
			writeCommitFile(t, dir, 0,
				`{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["`+feature+`"],"writerFeatures":["`+feature+`"]}}`, md)
			_, err := localTable(t, dir, Options{}).Snapshot(context.Background())
			want := "unsupported reader feature: " + feature
			if !errors.Is(err, ErrUnsupported) || err.Error() != want {
				t.Errorf("err = %v, want %q", err, want)
			}
		})
	}
}
