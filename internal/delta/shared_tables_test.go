package delta

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

// openShared opens a shared table in place (read-only use only).
func openShared(t *testing.T, rel string) *Table {
	t.Helper()
	return openSharedOpts(t, rel, Options{})
}

func openSharedOpts(t *testing.T, rel string, opts Options) *Table {
	t.Helper()
	dir := testenv.DeltaTable(t, rel)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared table %s: %v", rel, err)
	}
	st, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Open(st, opts)
}

// rowStrings renders rows as sorted canonical JSON objects (keys sorted), so
// that row sets compare regardless of order and column order.
func rowStrings(s *column.Schema, batches []*column.Batch) []string {
	var out []string
	names := s.Names()
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	for _, b := range batches {
		for r := 0; r < b.Len(); r++ {
			buf := []byte{'{'}
			for k, i := range order {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = column.AppendJSONString(buf, names[i])
				buf = append(buf, ':')
				buf = column.AppendJSON(buf, s.Fields[i].Type, b.Cols[i].Value(r))
			}
			out = append(out, string(append(buf, '}')))
		}
	}
	slices.Sort(out)
	return out
}

func copyBatch(b *column.Batch) *column.Batch {
	c := column.NewBatch(b.Schema, b.Len())
	for r := 0; r < b.Len(); r++ {
		c.AppendRow(b, r)
	}
	return c
}

func scanAll(t *testing.T, s *Snapshot) []string {
	t.Helper()
	sc, err := s.Scan(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var batches []*column.Batch
	if err := sc.Each(context.Background(), func(b *column.Batch) error {
		batches = append(batches, copyBatch(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rowStrings(sc.Schema(), batches)
}

// readExpected reads every Parquet file of an expected-results folder.
func readExpected(t *testing.T, path string) []string {
	t.Helper()
	var files []string
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		files = []string{path}
	} else {
		entries, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".parquet") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	var all []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		pf, err := parquetio.Open(fh, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		r, err := pf.NewReader(nil, parquetio.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var batches []*column.Batch
		b := column.NewBatch(r.Schema(), 8192)
		for {
			err := r.Next(b)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			batches = append(batches, copyBatch(b))
		}
		all = append(all, rowStrings(r.Schema(), batches)...)
		fh.Close()
	}
	slices.Sort(all)
	return all
}

func TestSharedDATTables(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"basic_append", "basic_partitioned", "multi_partitioned", "with_schema_change"} {
		t.Run(name, func(t *testing.T) {
			tbl := openShared(t, "dat/"+name+"/delta")
			expDir := testenv.DeltaTable(t, "dat/"+name+"/expected")
			entries, err := os.ReadDir(expDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Run(e.Name(), func(t *testing.T) {
					meta, err := os.ReadFile(filepath.Join(expDir, e.Name(), "table_version_metadata.json"))
					if err != nil {
						t.Fatal(err)
					}
					var vm struct {
						Version          int64 `json:"version"`
						MinReaderVersion int   `json:"min_reader_version"`
						MinWriterVersion int   `json:"min_writer_version"`
					}
					if err := json.Unmarshal(meta, &vm); err != nil {
						t.Fatal(err)
					}
					var s *Snapshot
					if e.Name() == "latest" {
						s, err = tbl.Snapshot(ctx)
					} else {
						s, err = tbl.SnapshotAt(ctx, vm.Version)
					}
					if err != nil {
						t.Fatal(err)
					}
					if s.Version() != vm.Version {
						t.Errorf("version = %d, want %d", s.Version(), vm.Version)
					}
					if p := s.Protocol(); p.MinReaderVersion != vm.MinReaderVersion || p.MinWriterVersion != vm.MinWriterVersion {
						t.Errorf("protocol = (%d,%d), want (%d,%d)", p.MinReaderVersion, p.MinWriterVersion, vm.MinReaderVersion, vm.MinWriterVersion)
					}
					want := readExpected(t, filepath.Join(expDir, e.Name(), "table_content.parquet"))
					if diff := cmp.Diff(want, scanAll(t, s)); diff != "" {
						t.Errorf("rows (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

func TestSharedGoldenTablesWithExpectedRows(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{
		"multi-part-checkpoint", "data-reader-partition-values", "data-reader-escaped-chars",
		"data-reader-primitives", "snapshot-repartitioned", "time-travel-start-start20-start40",
		"data-skipping-basic-stats-all-types", "data-reader-timestamp_ntz", "v2-checkpoint-parquet",
	} {
		t.Run(name, func(t *testing.T) {
			// The golden tables were written by Spark in America/Los_Angeles;
			// zone-less timestamp partition values are in that zone.
			la, err := time.LoadLocation("America/Los_Angeles")
			if err != nil {
				t.Fatal(err)
			}
			tbl := openSharedOpts(t, "golden/"+name+"/delta", Options{SessionTimeZone: la})
			s, err := tbl.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := readExpected(t, testenv.DeltaTable(t, "golden/"+name+"/expected"))
			got := scanAll(t, s)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func countRows(t *testing.T, s *Snapshot) int {
	t.Helper()
	return len(scanAll(t, s))
}

func TestSharedTablesFacts(t *testing.T) {
	ctx := context.Background()
	type fact struct {
		version     int64 // -1 = latest
		files, rows int   // rows < 0: do not read data (log-only tables)
	}
	cases := []struct {
		name  string
		facts []fact
	}{
		{"delta-rs/simple_table", []fact{{0, 6, 5}, {1, 22, 20}, {2, 6, 5}, {3, 6, 5}, {4, 5, 3}}},
		{"delta-rs/simple_table_with_checkpoint", []fact{{10, 11, 11}, {-1, 11, 11}}},
		{"delta-rs/checkpoints", []fact{{12, 12, -1}}},
		{"delta-rs/delta-0.8.0-special-partition", []fact{{-1, 2, 2}}},
		{"delta-rs/delta-1.2.1-only-struct-stats", []fact{{12, 12, 12}}},
		{"delta-rs/table_with_edge_timestamps", []fact{{-1, 2, 2}}},
		{"delta-rs/cdc_ict_table", []fact{{3, 2, 2}}},
		{"golden/kernel-timestamp-partition-col-ISO8601", []fact{{-1, 2, 2}}},
		{"golden/snapshot-repartitioned", []fact{{0, -1, 10}, {1, -1, 20}, {2, -1, 10}, {3, -1, 30}, {4, -1, 20}, {5, -1, 20}}},
		{"kernel-rs/app-txn-no-checkpoint", []fact{{-1, 4, 22}}},
		{"delta-rs/table_with_column_mapping", []fact{{-1, 2, 5}}},
		{"golden/checkpoint", []fact{{14, 1, -1}, {10, 1, -1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := c.name
			if strings.HasPrefix(root, "golden/") {
				root += "/delta"
			}
			tbl := openShared(t, root)
			for _, f := range c.facts {
				var s *Snapshot
				var err error
				if f.version < 0 {
					s, err = tbl.Snapshot(ctx)
				} else {
					s, err = tbl.SnapshotAt(ctx, f.version)
				}
				if err != nil {
					t.Fatalf("version %d: %v", f.version, err)
				}
				if f.files >= 0 && s.NumFiles() != f.files {
					t.Errorf("version %d: %d files, want %d", s.Version(), s.NumFiles(), f.files)
				}
				if f.rows >= 0 {
					if n := countRows(t, s); n != f.rows {
						t.Errorf("version %d: %d rows, want %d", s.Version(), n, f.rows)
					}
				}
			}
		})
	}
}

func TestSharedCheckpointTableState(t *testing.T) {
	ctx := context.Background()
	tbl := openShared(t, "golden/checkpoint/delta")
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version() != 14 || s.Files()[0].Path != "15" || len(s.Tombstones()) != 14 {
		t.Errorf("v%d: files %v, %d tombstones; want v14, [15], 14", s.Version(), s.Files()[0].Path, len(s.Tombstones()))
	}
	s10, err := tbl.SnapshotAt(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s10.Files()[0].Path != "11" {
		t.Errorf("v10 live file %s, want 11", s10.Files()[0].Path)
	}
}

func TestSharedAppTxn(t *testing.T) {
	s, err := openShared(t, "kernel-rs/app-txn-no-checkpoint").Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for app, want := range map[string]int64{"my-app": 3, "my-app2": 2} {
		if v, ok := s.TxnVersion(app); !ok || v != want {
			t.Errorf("txn %s = %d,%v; want %d", app, v, ok, want)
		}
	}
}

func TestSharedTablesRefused(t *testing.T) {
	cases := []struct {
		name, want string
	}{
		{"golden/deltalog-invalid-protocol-version/delta", "unsupported reader version: 99"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := openShared(t, c.name).Snapshot(context.Background())
			if err == nil || !errors.Is(err, ErrUnsupported) || err.Error() != c.want {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestSharedCorruptTables(t *testing.T) {
	cases := []struct {
		name, want string
	}{
		{"golden/deltalog-state-reconstruction-without-metadata/delta", "no metaData action"},
		{"golden/deltalog-state-reconstruction-without-protocol/delta", "no protocol action"},
		{"golden/versions-not-contiguous/delta", "commit 1 is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := openShared(t, c.name).Snapshot(context.Background())
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrCorrupt containing %q", err, c.want)
			}
		})
	}
}

// Column mapping (name mode, Databricks-written): physical column names in
// files, partition values and stats; logical names out.
func TestSharedColumnMapping(t *testing.T) {
	ctx := context.Background()
	s, err := openShared(t, "delta-rs/table_with_column_mapping").Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"Company Very Short":"BME","Super Name":"Timothy Lamb"}`,
		`{"Company Very Short":"BMS","Super Name":"Anthony Johnson"}`,
		`{"Company Very Short":"BMS","Super Name":"Mr. Daniel Ferguson MD"}`,
		`{"Company Very Short":"BMS","Super Name":"Nathan Bennett"}`,
		`{"Company Very Short":"BMS","Super Name":"Stephanie Mcgrath"}`,
	}
	if diff := cmp.Diff(want, scanAll(t, s)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Skipping resolves partition values and stats by physical name.
	for _, c := range []struct {
		pred  Predicate
		files int
	}{
		{Eq("Company Very Short", "BME"), 1},
		{Eq("Super Name", "Timothy Lamb"), 1},
		{Eq("Super Name", "Zed"), 0},
	} {
		sc, err := s.Scan(ScanOptions{Filter: c.pred})
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Files()) != c.files {
			t.Errorf("%s: %d files, want %d", c.pred, len(sc.Files()), c.files)
		}
	}
	if _, err := s.NewFileWriter(ctx, WriteOptions{}); err == nil || !errors.Is(err, ErrUnsupported) {
		t.Errorf("writing a column-mapped table: %v, want an unsupported-feature error", err)
	}
}

// Deletion vectors: rows deleted by Databricks (DV files) and by the kernel
// tests (inline and file DVs, compaction files beside) are not returned.
func TestSharedDeletionVectors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		table string
		want  []string
	}{
		{"delta-rs/table-with-dv-small", []string{`{"value":1}`, `{"value":2}`, `{"value":3}`, `{"value":4}`,
			`{"value":5}`, `{"value":6}`, `{"value":7}`, `{"value":8}`}},
		{"kernel-rs/compacted-log-files-table", []string{`{"comment":"","id":2}`, `{"comment":"after-large-delete","id":1}`,
			`{"comment":"merge1-insert","id":10}`, `{"comment":"merge2-insert","id":12}`, `{"comment":"new","id":0}`}},
	}
	for _, c := range cases {
		t.Run(c.table, func(t *testing.T) {
			s, err := openShared(t, c.table).Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, scanAll(t, s)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
	// Version 0 of the DV table, before the DELETE, has all ten rows.
	s0, err := openShared(t, "delta-rs/table-with-dv-small").SnapshotAt(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s0); n != 10 {
		t.Errorf("v0: %d rows, want 10", n)
	}
}

func TestZ85(t *testing.T) {
	// The ZeroMQ reference vector.
	got, err := z85Decode("HelloWorld")
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}; !slices.Equal(got, want) {
		t.Errorf("z85Decode(HelloWorld) = %x, want %x", got, want)
	}
	for _, bad := range []string{"abcd", "abc\x00e", "%%%%%"} {
		if _, err := z85Decode(bad); err == nil {
			t.Errorf("z85Decode(%q) accepted", bad)
		}
	}
}
