package delta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

// The snapshot-load table: commits 1..benchCommits each add benchFilesPer
// fake files (log-only: the data files do not exist), with a checkpoint at
// the last multiple of 10 before the end, so a load reads one checkpoint of
// ~100,000 adds plus the commits after it. Building it takes a while, so
// it is built once and cached under os.TempDir(), keyed by benchTableKey;
// change the key when the layout changes.
const (
	benchCommits   = 10_000
	benchFilesPer  = 10
	benchCheckTail = 5 // commits after the checkpoint
	benchTableKey  = "lakehouse-bench-snapshot-v1-10000x10"
)

// benchLogTable returns the directory of the cached log-only table,
// building it if needed.
func benchLogTable(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), benchTableKey)
	done := filepath.Join(dir, "_complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	ctx := context.Background()
	st, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	// A fixed clock keeps the tombstone-free checkpoint independent of when it is built.
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tbl := Open(st, Options{Now: func() time.Time { return now }})
	s, err := tbl.Create(ctx, CreateOptions{Name: "bench", Schema: eventsSchema(), PartitionColumns: []string{"day"}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cpVersion := int64(benchCommits - benchCheckTail)
	cpVersion -= cpVersion % 10
	state := s.clone()
	for v := int64(1); v <= benchCommits; v++ {
		acts := make([]Action, 0, benchFilesPer+1)
		ts := now.UnixMilli() + v
		acts = append(acts, Action{CommitInfo: &CommitInfo{Timestamp: &ts, Operation: "WRITE", EngineInfo: "bench"}})
		for i := range benchFilesPer {
			day := FormatDate(19_000 + (v*benchFilesPer+int64(i))%365)
			n := 1000 + rng.Int64N(100_000)
			stats := fmt.Sprintf(`{"numRecords":%d,"minValues":{"id":"u%08d","amount":%d.25,"ts":"%sT00:00:00.000Z"},`+
				`"maxValues":{"id":"u%08d","amount":%d.75,"ts":"%sT23:59:59.999Z"},"nullCount":{"id":0,"amount":%d,"ts":0}}`,
				n, rng.IntN(1e8), rng.IntN(1000), day, rng.IntN(1e8), 1000+rng.IntN(1000), day, rng.IntN(10))
			acts = append(acts, Action{Add: &Add{
				Path:            fmt.Sprintf("day=%s/part-%05d-%016x%016x.c000.zstd.parquet", day, i, rng.Uint64(), rng.Uint64()),
				PartitionValues: map[string]*string{"day": &day}, Size: n * 40, ModificationTime: ts, DataChange: true, Stats: stats,
			}})
		}
		var body []byte
		for i := range acts {
			body, err = acts[i].marshal(body, []string{"day"})
			if err != nil {
				b.Fatal(err)
			}
			body = append(body, '\n')
		}
		if err := st.PutIfAbsent(ctx, CommitName(v), body); err != nil {
			b.Fatal(err)
		}
		if v <= cpVersion {
			state.apply(acts)
		}
		if v == cpVersion {
			state.version = v
			if err := tbl.WriteCheckpoint(ctx, state); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s in %s", dir, time.Since(start).Round(time.Millisecond))
	return dir
}

// BenchmarkSnapshotLoad loads the latest snapshot of a table with 10,000
// commits and 100,000 files: _last_checkpoint, a listing from it, the
// checkpoint, and the commits after it. Target: under 1 s per load.
func BenchmarkSnapshotLoad(b *testing.B) {
	dir := benchLogTable(b)
	st, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var s *Snapshot
	cpu := testenv.StartCPU()
	for b.Loop() {
		if s, err = Open(st, Options{}).Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if s.Version() != benchCommits || s.NumFiles() != benchCommits*benchFilesPer {
		b.Fatalf("loaded v%d with %d files, want v%d with %d", s.Version(), s.NumFiles(), benchCommits, benchCommits*benchFilesPer)
	}
	b.ReportMetric(float64(s.NumFiles())*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	reportCPU(b, cpu)
}

// reportCPU adds the process CPU seconds per operation since the meter
// started: wall-clock ns/op is unreliable on a shared machine, CPU time
// much less so.
func reportCPU(b *testing.B, cpu testenv.CPUMeter) {
	if d, ok := cpu.Used(); ok {
		b.ReportMetric(d.Seconds()/float64(b.N), "cpu-s/op")
	}
}

// benchWriteSchema: 10 columns of the kinds the pipeline writes.
func benchWriteSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "event_id", Type: column.TypeString},
		{Name: "user_id", Type: column.TypeString, Nullable: true},
		{Name: "event_type", Type: column.TypeString, Nullable: true},
		{Name: "session", Type: column.TypeLong, Nullable: true},
		{Name: "quantity", Type: column.TypeLong, Nullable: true},
		{Name: "seq", Type: column.TypeLong},
		{Name: "price", Type: column.DecimalType(9, 2), Nullable: true},
		{Name: "amount", Type: column.DecimalType(18, 2), Nullable: true},
		{Name: "event_ts", Type: column.TypeTimestamp},
		{Name: "ingest_ts", Type: column.TypeTimestamp, Nullable: true},
	}}
}

// benchWriteBatches builds rows rows in batches of 100,000 and returns them
// with their raw size (string bytes plus 8 bytes per other value).
func benchWriteBatches(rows int) ([]*column.Batch, int64) {
	s := benchWriteSchema()
	rng := rand.New(rand.NewPCG(7, 7))
	types := []string{"page_view", "add_to_cart", "purchase", "search", "login"}
	var out []*column.Batch
	var raw int64
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).UnixMicro()
	for start := 0; start < rows; start += 100_000 {
		n := min(100_000, rows-start)
		bt := column.NewBatch(s, n)
		for i := start; i < start+n; i++ {
			id := fmt.Sprintf("evt-%012d-%08x", i, rng.Uint32())
			user := fmt.Sprintf("user-%07d", rng.IntN(1_000_000))
			typ := types[rng.IntN(len(types))]
			bt.Cols[0].AppendString(id)
			bt.Cols[1].AppendString(user)
			bt.Cols[2].AppendString(typ)
			bt.Cols[3].AppendInt(rng.Int64N(1 << 40))
			bt.Cols[4].AppendInt(rng.Int64N(10))
			bt.Cols[5].AppendInt(int64(i))
			bt.Cols[6].AppendInt(rng.Int64N(100_000))
			bt.Cols[7].AppendInt(rng.Int64N(10_000_000))
			bt.Cols[8].AppendInt(base + int64(i)*1_000 + rng.Int64N(1_000))
			bt.Cols[9].AppendInt(base + int64(i)*1_000 + 5_000_000)
			raw += int64(len(id)+len(user)+len(typ)) + 7*8
		}
		out = append(out, bt)
	}
	return out, raw
}

// BenchmarkWrite appends 1M rows of a 10-column schema (strings, longs,
// decimals, timestamps) to a table on local disk (fsync on) in one commit.
// MB/s counts the Parquet bytes written; raw-MB/s the input data.
func BenchmarkWrite(b *testing.B) {
	const rows = 1_000_000
	batches, raw := benchWriteBatches(rows)
	ctx := context.Background()
	st, err := local.New(b.TempDir(), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(st, Options{}).Create(ctx, CreateOptions{Schema: benchWriteSchema()})
	if err != nil {
		b.Fatal(err)
	}
	var written int64
	cpu := testenv.StartCPU()
	for b.Loop() {
		r, err := s.Append(ctx, Batches(batches...), CommitOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if r.RowsWritten != rows {
			b.Fatalf("wrote %d rows", r.RowsWritten)
		}
		written = r.BytesWritten
		b.SetBytes(written)
		s = r.Snapshot
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(float64(raw)*float64(b.N)/secs/1e6, "raw-MB/s")
	b.ReportMetric(float64(written)/float64(rows), "file-bytes/row")
	reportCPU(b, cpu)
}
