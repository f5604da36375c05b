package bronze_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/pipelinetest"
)

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolvePaths(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "in", "a.ndjson"), "{}\n")
	b := write(t, filepath.Join(dir, "in", "sub", "b.jsonl.gz"), "")
	write(t, filepath.Join(dir, "in", ".hidden.ndjson"), "{}\n")
	write(t, filepath.Join(dir, "in", "_manifest.json"), "{}\n")
	write(t, filepath.Join(dir, "in", "_skip", "c.ndjson"), "{}\n")
	write(t, filepath.Join(dir, "in", "notes.txt"), "x\n")
	other := write(t, filepath.Join(dir, "data.log"), "{}\n")
	os.MkdirAll(filepath.Join(dir, "empty"), 0o777)

	got, err := bronze.ResolvePaths([]string{filepath.Join(dir, "in"), other, a})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{a, b, other}, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{filepath.Join(dir, "nope.ndjson")}, "nope.ndjson: no such file or directory"},
		{[]string{filepath.Join(dir, "empty")}, "no .ndjson, .jsonl or .json files"},
		{nil, "no input paths"},
	} {
		if _, err := bronze.ResolvePaths(c.paths); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ResolvePaths(%v) = %v, want an error containing %q", c.paths, err, c.want)
		}
	}
}

func TestIngestFramingAndBadGzip(t *testing.T) {
	ctx := context.Background()
	wh := pipelinetest.Warehouse(t)
	dir := t.TempDir()
	// CRLF, blank lines, a last line without newline, a BOM kept byte for byte.
	plain := write(t, filepath.Join(dir, "a.ndjson"), "\ufeff{\"a\":1}\r\n\r\n   \n{\"b\":2}\n{\"c\":3}")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"d\":4}\n{\"e\":5}\n"))
	zw.Close()
	good := write(t, filepath.Join(dir, "b.ndjson.gz"), gz.String())
	res, err := bronze.Ingest(ctx, wh, []string{plain, good}, bronze.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 5 {
		t.Fatalf("ingested %d rows, want 5", res.Rows)
	}
	s, err := wh.Snapshot(ctx, pipeline.Bronze)
	if err != nil {
		t.Fatal(err)
	}
	// Bronze files are snappy (chosen by measurement; see writeOptions),
	// named the way Spark names them.
	for _, a := range s.Files() {
		if !strings.HasSuffix(a.Path, ".c000.snappy.parquet") {
			t.Errorf("bronze file %s: want a .c000.snappy.parquet name", a.Path)
		}
	}
	var lines []string
	sc, err := s.Scan(delta.ScanOptions{Columns: []string{"raw_json", "source", "ingest_batch_id", "ingest_ts"}})
	if err != nil {
		t.Fatal(err)
	}
	var ts []int64
	if err := sc.Each(ctx, func(b *batchT) error {
		for r := 0; r < b.Len(); r++ {
			lines = append(lines, b.Cols[0].Str(r)+" @"+filepath.Base(b.Cols[1].Str(r)))
			if id := b.Cols[2].Str(r); id != res.BatchID {
				t.Errorf("row %d: ingest_batch_id %q, want %q", r, id, res.BatchID)
			}
			ts = append(ts, b.Cols[3].Ints[r])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := sortStrings([]string{"\ufeff{\"a\":1} @a.ndjson", "{\"b\":2} @a.ndjson", "{\"c\":3} @a.ndjson", "{\"d\":4} @b.ndjson.gz", "{\"e\":5} @b.ndjson.gz"})
	if diff := cmp.Diff(want, sortStrings(lines)); diff != "" {
		t.Errorf("bronze rows (-want +got):\n%s", diff)
	}
	if len(ts) != 5 || ts[0] == 0 || slices.ContainsFunc(ts, func(x int64) bool { return x != ts[0] }) {
		t.Errorf("ingest_ts %v: want one non-zero time for the whole ingest", ts)
	}

	// A truncated gzip file: a clear error naming it, nothing committed.
	cut := write(t, filepath.Join(dir, "c.ndjson.gz"), gz.String()[:gz.Len()-10])
	before := s.Version()
	_, err = bronze.Ingest(ctx, wh, []string{cut}, bronze.IngestOptions{})
	if err == nil || !strings.Contains(err.Error(), "c.ndjson.gz") {
		t.Fatalf("truncated gzip: %v", err)
	}
	s2, _ := wh.Snapshot(ctx, pipeline.Bronze)
	if s2.Version() != before {
		t.Errorf("a failed ingest committed version %d", s2.Version())
	}
}

// A file read in many pieces lands in bronze in input order (the data files
// in add order, rows in file order), each line once, and a framing error in
// a later piece names the line's number in the whole file.
func TestIngestPiecesKeepInputOrder(t *testing.T) {
	ctx := context.Background()
	wh := pipelinetest.Warehouse(t)
	dir := t.TempDir()
	var in strings.Builder
	var want []string
	for i := range 2000 {
		line := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i%37))
		want = append(want, line)
		in.WriteString(line)
		if i%5 == 0 {
			in.WriteString("\r\n\n") // CRLF and a blank line across piece bounds
		} else {
			in.WriteString("\n")
		}
	}
	path := write(t, filepath.Join(dir, "big.ndjson"), in.String())
	res, err := bronze.Ingest(ctx, wh, []string{path}, bronze.IngestOptions{PieceBytes: 1000, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2000 || res.Files[0].Bytes != int64(in.Len()) {
		t.Fatalf("ingested %d rows, %d bytes; want 2000, %d", res.Rows, res.Files[0].Bytes, in.Len())
	}
	s, got, _ := lastCommitLines(t, wh) // in the commit's add order
	if n := len(s.Files()); n < 20 {
		t.Fatalf("%d data files: the input was not read in pieces", n)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bronze rows in add order (-input +bronze):\n%s", diff)
	}

	// Line 1702 is too long; it sits in a late piece.
	lines := strings.Split(in.String(), "\n")
	lines[1701] = `{"long":"` + strings.Repeat("y", 300) + `"}`
	bad := write(t, filepath.Join(dir, "bad.ndjson"), strings.Join(lines, "\n"))
	_, err = bronze.Ingest(ctx, wh, []string{bad}, bronze.IngestOptions{PieceBytes: 1000, MaxLineBytes: 200})
	if err == nil || !strings.Contains(err.Error(), "bad.ndjson: line 1702: longer than 200 bytes") {
		t.Fatalf("too long line: error %v, want it to name line 1702", err)
	}
}

// The last pieces of an ingest are cut in quarters at line starts, so that
// the workers finish together: a 40 MB file (one piece) becomes four data
// files holding its lines in input order. A gzip file stays whole.
func TestIngestSplitsTheLastPieces(t *testing.T) {
	ctx := context.Background()
	wh := pipelinetest.Warehouse(t)
	dir := t.TempDir()
	var in strings.Builder
	var want []string
	for i := 0; in.Len() < 40<<20; i++ {
		line := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 40+i%61))
		want = append(want, line)
		in.WriteString(line + "\n")
	}
	path := write(t, filepath.Join(dir, "big.ndjson"), in.String())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in.String()))
	zw.Close()
	gzPath := write(t, filepath.Join(dir, "big2.ndjson.gz"), gz.String())
	for _, tt := range []struct {
		path  string
		files int
	}{{path, 4}, {gzPath, 1}} {
		res, err := bronze.Ingest(ctx, wh, []string{tt.path}, bronze.IngestOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != int64(len(want)) {
			t.Fatalf("%s: ingested %d rows, want %d", tt.path, res.Rows, len(want))
		}
		_, got, files := lastCommitLines(t, wh)
		if files != tt.files {
			t.Errorf("%s: %d data files, want %d", tt.path, files, tt.files)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: bronze rows in add order differ from the input", tt.path)
		}
	}
}

// Files beyond GroupBytes are committed in several groups, in input order,
// one version each, while the next groups are already being read: each
// version holds exactly its group's lines in input order with a txn a file,
// files ingested before are skipped and reported in their place, and a
// group that fails leaves the groups before it committed and none after.
func TestIngestGroupsCommitInOrder(t *testing.T) {
	ctx := context.Background()
	wh := pipelinetest.Warehouse(t)
	dir := t.TempDir()
	var paths []string
	lines := map[string][]string{}
	for f := range 6 {
		var in strings.Builder
		path := filepath.Join(dir, fmt.Sprintf("f%d.ndjson", f))
		for i := range 300 {
			line := fmt.Sprintf(`{"f":%d,"n":%d,"pad":"%s"}`, f, i, strings.Repeat("x", i%23))
			lines[path] = append(lines[path], line)
			in.WriteString(line + "\n")
		}
		paths = append(paths, write(t, path, in.String()))
	}
	// f1 is ingested first, so the big ingest skips it.
	if _, err := bronze.Ingest(ctx, wh, paths[1:2], bronze.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	var reported []string
	opts := bronze.IngestOptions{GroupBytes: 2 * 8000, PieceBytes: 2000, Workers: 2, Progress: func(fr bronze.FileResult) {
		reported = append(reported, fmt.Sprintf("%s %d %v", filepath.Base(fr.Path), fr.Rows, fr.Skipped))
	}}
	res, err := bronze.Ingest(ctx, wh, paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"f0.ndjson 300 false", "f1.ndjson 0 true", "f2.ndjson 300 false", "f3.ndjson 300 false", "f4.ndjson 300 false", "f5.ndjson 300 false"}
	if diff := cmp.Diff(want, reported); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	if len(res.Versions) < 3 || res.Rows != 1500 {
		t.Fatalf("%d rows in versions %v: want 1500 rows in at least 3 groups", res.Rows, res.Versions)
	}
	s, sc := bronzeRawScan(t, wh)
	changes, err := s.Table().Changes(ctx, res.Versions[0]-1, res.Versions[len(res.Versions)-1])
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for i, c := range changes {
		if c.Version != res.Versions[i] {
			t.Fatalf("commit %d is version %d, want %d", i, c.Version, res.Versions[i])
		}
		got, _ := commitLines(t, sc, c.Actions)
		var files []string
		for _, act := range c.Actions {
			if act.Txn != nil {
				files = append(files, act.Txn.AppID)
			}
		}
		var wantRows []string
		for _, p := range paths {
			if slices.Contains(files, bronze.AppID(p)) {
				wantRows = append(wantRows, lines[p]...)
			}
		}
		if len(files) == 0 || !slices.Equal(got, wantRows) {
			t.Errorf("version %d: %d rows for txns %v, want their files' %d lines in input order", c.Version, len(got), files, len(wantRows))
		}
		all = append(all, got...)
	}
	var wantAll []string
	for _, p := range paths {
		if p != paths[1] {
			wantAll = append(wantAll, lines[p]...)
		}
	}
	if !slices.Equal(all, wantAll) {
		t.Errorf("the versions hold %d rows, want the %d lines of f0, f2..f5 in input order", len(all), len(wantAll))
	}

	// A later group fails (a truncated gzip): the groups before it stay
	// committed, nothing of it or after it is.
	var more []string
	for f := range 4 {
		var in strings.Builder
		for i := range 300 {
			fmt.Fprintf(&in, `{"g":%d,"n":%d,"pad":"%s"}`+"\n", f, i, strings.Repeat("y", i%23))
		}
		content := in.String()
		name := fmt.Sprintf("g%d.ndjson", f)
		if f == 2 {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write([]byte(content))
			zw.Close()
			content, name = gz.String()[:gz.Len()-10], name+".gz"
		}
		more = append(more, write(t, filepath.Join(dir, "more", name), content))
	}
	before := s.Version()
	res, err = bronze.Ingest(ctx, wh, more, bronze.IngestOptions{GroupBytes: 8000, PieceBytes: 2000, Workers: 2})
	if err == nil || !strings.Contains(err.Error(), "g2.ndjson.gz") {
		t.Fatalf("truncated gzip in group 3: %v", err)
	}
	s, err = wh.Snapshot(ctx, pipeline.Bronze)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version() != before+2 || !slices.Equal(res.Versions, []int64{before + 1, before + 2}) {
		t.Errorf("after a failure in the third group: table at version %d, versions %v; want %d, [%d %d]", s.Version(), res.Versions, before+2, before+1, before+2)
	}
	for i, p := range more {
		_, ok := s.TxnVersion(bronze.AppID(p))
		if ok != (i < 2) {
			t.Errorf("%s recorded as ingested: %v, want %v", filepath.Base(p), ok, i < 2)
		}
	}
}

// An ingest cancelled between groups stops: the groups committed stay, the
// rest is not committed, and the error is the context's.
func TestIngestCancelledBetweenGroups(t *testing.T) {
	wh := pipelinetest.Warehouse(t)
	dir := t.TempDir()
	var paths []string
	for f := range 5 {
		var in strings.Builder
		for i := range 400 {
			fmt.Fprintf(&in, `{"f":%d,"n":%d,"pad":"%s"}`+"\n", f, i, strings.Repeat("z", i%29))
		}
		paths = append(paths, write(t, filepath.Join(dir, fmt.Sprintf("c%d.ndjson", f)), in.String()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := bronze.IngestOptions{GroupBytes: 1, PieceBytes: 4000, Workers: 2, Progress: func(bronze.FileResult) { cancel() }}
	res, err := bronze.Ingest(ctx, wh, paths, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled after the first group: %v", err)
	}
	s, err := wh.Snapshot(context.Background(), pipeline.Bronze)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 1 || s.Version() != res.Versions[0] {
		t.Errorf("versions %v, table at %d: want the first group's commit only", res.Versions, s.Version())
	}
	for i, p := range paths {
		if _, ok := s.TxnVersion(bronze.AppID(p)); ok != (i == 0) {
			t.Errorf("%s recorded as ingested: %v, want %v", filepath.Base(p), ok, i == 0)
		}
	}
}
