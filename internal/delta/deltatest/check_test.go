package deltatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta/deltatest"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

func goodSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "id", Type: column.TypeLong},
		{Name: "s", Type: column.TypeString, Nullable: true},
		{Name: "f", Type: column.TypeFloat, Nullable: true},
		{Name: "x", Type: column.TypeDouble, Nullable: true},
		{Name: "dec", Type: column.DecimalType(10, 2), Nullable: true},
		{Name: "ts", Type: column.TypeTimestamp, Nullable: true},
		{Name: "dt", Type: column.TypeDate, Nullable: true},
		{Name: "ok", Type: column.TypeBoolean, Nullable: true},
		{Name: "bin", Type: column.TypeBinary, Nullable: true},
		{Name: "p", Type: column.TypeString, Nullable: true},
	}}
}

func goodBatch(s *column.Schema, part string, from, n int) *column.Batch {
	b := column.NewBatch(s, n)
	for i := from; i < from+n; i++ {
		b.Cols[0].AppendInt(int64(i))
		if i%5 == 3 {
			for c := 1; c < 9; c++ {
				b.Cols[c].AppendNull()
			}
		} else {
			if i%7 == 0 { // long ASCII: the max gets the U+007F tie-breaker
				b.Cols[1].AppendString(strings.Repeat("z", 30+i%10) + "tail")
			} else { // long non-ASCII: U+10FFFF tie-breaker
				b.Cols[1].AppendString(fmt.Sprintf("row %d %s", i, strings.Repeat("é", i%40)))
			}
			b.Cols[2].AppendFloat(float64(i) / 3)
			b.Cols[3].AppendFloat(-float64(i) * 1.5)
			b.Cols[4].AppendInt(int64(i*137 - 500))
			b.Cols[5].AppendInt(int64(i)*1_000_001 - 3_000_000)
			b.Cols[6].AppendInt(int64(i - 10))
			b.Cols[7].AppendBool(i%2 == 0)
			b.Cols[8].AppendBytes([]byte{byte(i), 0xff})
		}
		if part == "" {
			b.Cols[9].AppendNull()
		} else {
			b.Cols[9].AppendString(part)
		}
	}
	return b
}

// writeGoodTable writes a partitioned table with appends, a replaceWhere
// and a merge, with checkpoints at versions 3 and 6, and an append at 7.
func writeGoodTable(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	tbl := delta.Open(st, delta.Options{CheckpointInterval: 3})
	s, err := tbl.Create(ctx, delta.CreateOptions{Name: "good", Schema: goodSchema(), PartitionColumns: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	parts := []string{"a b/c", "x=y%z", "", "ü"}
	for i, p := range parts {
		r, err := s.Append(ctx, delta.Batches(goodBatch(s.Schema(), p, i*20, 20)), delta.CommitOptions{AppID: "app", AppVersion: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	rw, err := s.ReplaceWhere(ctx, delta.Eq("p", "x=y%z"), delta.Batches(goodBatch(s.Schema(), "x=y%z", 100, 7)), delta.CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := rw.Snapshot.Merge(ctx, goodBatch(s.Schema(), "ü", 65, 10), delta.MergeOptions{Keys: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 6 {
		t.Fatalf("merge committed version %d, want 6", m.Version)
	}
	// version 7, after the last checkpoint: the cases below break it
	if _, err := m.Snapshot.Append(ctx, delta.Batches(goodBatch(s.Schema(), "ü", 200, 30)), delta.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestGoodTablePasses(t *testing.T) {
	dir := t.TempDir()
	writeGoodTable(t, dir)
	if probs := deltatest.Check(t, dir); len(probs) != 0 {
		t.Errorf("%d problems in a table written by the writer", len(probs))
	}
	cps, _ := filepath.Glob(filepath.Join(dir, "_delta_log", "*.checkpoint.parquet"))
	if len(cps) != 2 {
		t.Errorf("checkpoints %v, want versions 3 and 6", cps)
	}
}

// copyDir copies a table directory into the directory to.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func commitPath(dir string, v int) string {
	return filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v))
}

// editCommit rewrites the lines of commit v with fn.
func editCommit(t *testing.T, dir string, v int, fn func(lines []string) []string) {
	t.Helper()
	data, err := os.ReadFile(commitPath(dir, v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	lines = fn(lines)
	if err := os.WriteFile(commitPath(dir, v), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editFirstAdd decodes the first add of commit v, lets fn change it and
// writes it back.
func editFirstAdd(t *testing.T, dir string, v int, fn func(add map[string]any)) {
	t.Helper()
	editCommit(t, dir, v, func(lines []string) []string {
		for i, l := range lines {
			var a map[string]map[string]any
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatal(err)
			}
			if add, ok := a["add"]; ok {
				fn(add)
				b, err := json.Marshal(a)
				if err != nil {
					t.Fatal(err)
				}
				lines[i] = string(b)
				return lines
			}
		}
		t.Fatalf("commit %d has no add", v)
		return nil
	})
}

func firstAddPath(t *testing.T, dir string, v int) string {
	t.Helper()
	var path string
	editFirstAdd(t, dir, v, func(add map[string]any) { path = add["path"].(string) })
	rel, err := url.PathUnescape(path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, filepath.FromSlash(rel))
}

func TestBrokenTablesFail(t *testing.T) {
	good := t.TempDir()
	writeGoodTable(t, good)
	cases := []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    []deltatest.Code
		what    string // a fragment of one problem's text
	}{
		{"wrong size", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) { add["size"] = add["size"].(float64) + 1 })
		}, []deltatest.Code{deltatest.CodeSize}, "the file has"},
		{"wrong numRecords", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) {
				add["stats"] = strings.Replace(add["stats"].(string), `"numRecords":`, `"numRecords":1`, 1)
			})
		}, []deltatest.Code{deltatest.CodeStats}, "the Parquet footer says"},
		{"wrong max", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) {
				var st map[string]any
				json.Unmarshal([]byte(add["stats"].(string)), &st)
				st["maxValues"].(map[string]any)["id"] = 1e6
				b, _ := json.Marshal(st)
				add["stats"] = string(b)
			})
		}, []deltatest.Code{deltatest.CodeStats}, "maxValues.id"},
		{"untruncated string min", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) {
				var st map[string]any
				json.Unmarshal([]byte(add["stats"].(string)), &st)
				st["minValues"].(map[string]any)["s"] = "row 65 " + strings.Repeat("é", 25) + "!"
				b, _ := json.Marshal(st)
				add["stats"] = string(b)
			})
		}, []deltatest.Code{deltatest.CodeStats}, "minValues.s"},
		{"timestamp max not rounded up", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) {
				var st map[string]any
				json.Unmarshal([]byte(add["stats"].(string)), &st)
				mx, err := time.Parse(time.RFC3339Nano, st["maxValues"].(map[string]any)["ts"].(string))
				if err != nil {
					t.Fatal(err)
				}
				st["maxValues"].(map[string]any)["ts"] = mx.Add(-time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
				b, _ := json.Marshal(st)
				add["stats"] = string(b)
			})
		}, []deltatest.Code{deltatest.CodeStats}, "maxValues.ts"},
		{"gap in versions", func(t *testing.T, dir string) {
			os.Remove(commitPath(dir, 5))
		}, []deltatest.Code{deltatest.CodeVersionGap}, "commits 5 are missing"},
		{"missing data file", func(t *testing.T, dir string) {
			os.Remove(firstAddPath(t, dir, 4))
		}, []deltatest.Code{deltatest.CodeMissingFile}, "is not on disk"},
		{"truncated data file", func(t *testing.T, dir string) {
			p := firstAddPath(t, dir, 4)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, []deltatest.Code{deltatest.CodeParquet, deltatest.CodeSize}, "not a readable Parquet file"},
		{"path not encoded", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 1, func(add map[string]any) {
				p, _ := url.PathUnescape(add["path"].(string))
				add["path"] = p
			})
		}, []deltatest.Code{deltatest.CodeCheckpoint, deltatest.CodeMissingFile, deltatest.CodePath}, "must be percent-encoded"},
		{"remove of an unknown file", func(t *testing.T, dir string) {
			editCommit(t, dir, 7, func(l []string) []string {
				return append(l, `{"remove":{"path":"p=zz/part-0.parquet","deletionTimestamp":1,"dataChange":true}}`)
			})
		}, []deltatest.Code{deltatest.CodeRemove}, "not a live file"},
		{"two actions on one line", func(t *testing.T, dir string) {
			editCommit(t, dir, 7, func(l []string) []string {
				return append(l, `{"txn":{"appId":"z","version":1},"domainMetadata":{"domain":"d","configuration":"","removed":false}}`)
			})
		}, []deltatest.Code{deltatest.CodeAction}, "exactly one action"},
		{"torn commit", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(commitPath(dir, 7))
			os.WriteFile(commitPath(dir, 7), data[:len(data)-20], 0o644)
		}, []deltatest.Code{deltatest.CodeAction}, "does not end with a newline"},
		{"partition value missing", func(t *testing.T, dir string) {
			editFirstAdd(t, dir, 7, func(add map[string]any) { add["partitionValues"] = map[string]any{} })
		}, []deltatest.Code{deltatest.CodePartition, deltatest.CodePath}, "lacks partition column"},
		{"checkpoint of another version", func(t *testing.T, dir string) {
			cp3, _ := os.ReadFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", 3)))
			os.WriteFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", 6)), cp3, 0o644)
		}, []deltatest.Code{deltatest.CodeCheckpoint, deltatest.CodeLastCheckpoint}, "is missing"},
		{"_last_checkpoint size", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "_delta_log", "_last_checkpoint")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(data), `"size":`, `"size":9`, 1)), 0o644)
		}, []deltatest.Code{deltatest.CodeLastCheckpoint}, "holds"},
		{"_last_checkpoint dangling", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "_delta_log", "_last_checkpoint"), []byte(`{"version":5,"size":3}`), 0o644)
		}, []deltatest.Code{deltatest.CodeLastCheckpoint}, "has no checkpoint"},
		{"Spark alias in schema", func(t *testing.T, dir string) {
			editCommit(t, dir, 0, func(l []string) []string {
				for i := range l {
					l[i] = strings.Replace(l[i], `\"type\":\"long\"`, `\"type\":\"bigint\"`, 1)
				}
				return l
			})
		}, []deltatest.Code{deltatest.CodeCheckpoint, deltatest.CodeSchema}, `"bigint" is not a Delta type name`},
		{"stray log file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "_delta_log", "notes.txt"), []byte("x"), 0o644)
		}, []deltatest.Code{deltatest.CodeLog}, "unexpected file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, good, dir)
			tc.breakIt(t, dir)
			probs := deltatest.Validate(context.Background(), dir)
			if diff := cmp.Diff(tc.want, deltatest.Codes(probs)); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nproblems:\n%s", diff, render(probs))
			}
			if !slices.ContainsFunc(probs, func(p deltatest.Problem) bool { return strings.Contains(p.String(), tc.what) }) {
				t.Errorf("no problem mentions %q:\n%s", tc.what, render(probs))
			}
		})
	}
}

// TestWrongParquetTypes hand-writes a table whose data file stores an
// integer column as INT64 and a timestamp in milliseconds.
func TestWrongParquetTypes(t *testing.T) {
	dir := t.TempDir()
	type row struct {
		I  *int64 `parquet:"i,optional"`
		Ts *int64 `parquet:"ts,optional,timestamp(millisecond)"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	one := int64(1)
	if _, err := w.Write([]row{{I: &one, Ts: &one}, {}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "_delta_log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-0.parquet"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := `{"type":"struct","fields":[{"name":"i","type":"integer","nullable":true,"metadata":{}},` +
		`{"name":"ts","type":"timestamp","nullable":true,"metadata":{}}]}`
	commit0 := `{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}` + "\n" +
		`{"metaData":{"id":"4f9e8a57-5f0c-4a3c-9d4e-0a4a0c1c2d3e","format":{"provider":"parquet","options":{}},"schemaString":` +
		strconv.Quote(schema) + `,"partitionColumns":[],"configuration":{}}}` + "\n"
	commit1 := fmt.Sprintf(`{"add":{"path":"part-0.parquet","partitionValues":{},"size":%d,"modificationTime":1,"dataChange":true,"stats":"{\"numRecords\":2}"}}`+"\n", buf.Len())
	os.WriteFile(commitPath(dir, 0), []byte(commit0), 0o644)
	os.WriteFile(commitPath(dir, 1), []byte(commit1), 0o644)
	probs := deltatest.Validate(context.Background(), dir)
	if diff := cmp.Diff([]deltatest.Code{deltatest.CodeParquet}, deltatest.Codes(probs)); diff != "" {
		t.Errorf("codes (-want +got):\n%s\n%s", diff, render(probs))
	}
	for _, want := range []string{`column "i" (integer): stored as INT64`, `column "ts" (timestamp): stored as INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)`} {
		if !slices.ContainsFunc(probs, func(p deltatest.Problem) bool { return strings.Contains(p.What, want) }) {
			t.Errorf("no problem mentions %q:\n%s", want, render(probs))
		}
	}
}

func render(probs []deltatest.Problem) string {
	var b strings.Builder
	for _, p := range probs {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
