package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// duckDBScript runs the SQL queries of a JSON file with DuckDB and prints
// their first rows as one JSON array.
const duckDBScript = `
import { DuckDBInstance } from %q;
import { readFileSync } from 'node:fs';
const queries = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const con = await (await DuckDBInstance.create(':memory:')).connect();
const out = [];
for (const q of queries) {
  const r = await con.runAndReadAll(q);
  out.push(r.getRowsJson()[0]);
}
console.log(JSON.stringify(out));
`

// duckDB returns node and the @duckdb/node-api module the DuckDB reference
// benchmark installs (../shared/bench/duckdb-reference/run.sh, .ci/run).
// Without them the test is skipped, unless LAKEHOUSE_REQUIRE_DUCKDB is set
// (as .ci/run sets it), when it fails.
func duckDB(t *testing.T) (node, module string) {
	t.Helper()
	cache := os.Getenv("DUCKDB_REF_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "duckdb-reference")
	}
	module = filepath.Join(cache, "node_modules", "@duckdb", "node-api", "lib", "index.js")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(module)
	}
	if err != nil {
		msg := fmt.Sprintf("DuckDB is not installed (node and %s): .ci/run installs it, as does ../shared/bench/duckdb-reference/run.sh (%v)", module, err)
		if os.Getenv("LAKEHOUSE_REQUIRE_DUCKDB") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, module
}

// TestDuckDBReadsTables runs the pipeline, then has DuckDB — an engine with
// its own Parquet reader — read every table's live data files and compares,
// column by column, non-null counts, sums and bounds with ours, plus counts
// under range filters that DuckDB answers with our row-group statistics
// (wrong min/max would make it skip row groups it must read).
func TestDuckDBReadsTables(t *testing.T) {
	node, module := duckDB(t)
	ctx := context.Background()
	root := t.TempDir()
	var ticks atomic.Int64 // the writers read the clock from several goroutines
	a, err := Open(Options{Warehouse: root, Now: func() time.Time { return testEnd.Add(time.Duration(ticks.Add(1)) * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	runTask(t, a, "generate_bronze", map[string]string{"rows": "40000", "seed": "7", "end": testEnd.Format("2006-01-02T15:04:05Z")})
	runTask(t, a, "bronze_to_silver", nil)
	runTask(t, a, "silver_to_gold", nil)

	var queries []string
	var want [][]string
	var where []string
	for _, d := range pipeline.Tables {
		s, err := a.Warehouse().Snapshot(ctx, d.Name)
		if err != nil || s == nil {
			t.Fatalf("table %s: %v", d.Name, err)
		}
		var files []string
		for _, f := range s.Files() {
			rel, err := url.PathUnescape(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, "'"+filepath.Join(root, pipeline.Schema, d.Name, rel)+"'")
		}
		if len(files) == 0 {
			t.Fatalf("table %s has no data files", d.Name)
		}
		hive := "hive_partitioning = false"
		if s.Schema().Index("event_date") >= 0 && len(s.Metadata().PartitionColumns) > 0 {
			hive = "hive_partitioning = true, hive_types = {'event_date': DATE}"
		}
		from := fmt.Sprintf("read_parquet([%s], %s)", strings.Join(files, ", "), hive)
		rows := readAll(t, s)
		for i, f := range s.Schema().Fields {
			exprs, ours, filter := columnChecks(f, rows[i])
			queries = append(queries, fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), from))
			want = append(want, ours)
			where = append(where, d.Name+"."+f.Name)
			if filter != "" {
				queries = append(queries, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", from, filter))
				want = append(want, []string{strconv.Itoa(countMatching(f, rows[i], filter))})
				where = append(where, d.Name+"."+f.Name+" WHERE "+filter)
			}
		}
	}
	dir := t.TempDir()
	qf := filepath.Join(dir, "queries.json")
	data, _ := json.Marshal(queries)
	if err := os.WriteFile(qf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "q.mjs")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(duckDBScript, module)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, script, qf).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("duckdb: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("duckdb: %v", err)
	}
	var got [][]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("duckdb output %q: %v", out, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d results for %d queries", len(got), len(want))
	}
	for i := range want {
		var g []string
		for _, v := range got[i] {
			g = append(g, fmt.Sprint(v))
		}
		if !sameResults(g, want[i]) {
			t.Errorf("%s: DuckDB %v, ours %v\n%s", where[i], g, want[i], queries[i])
		}
	}
}

// readAll reads every column of a snapshot as values.
func readAll(t *testing.T, s *delta.Snapshot) [][]any {
	t.Helper()
	sc, err := s.Scan(delta.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cols := make([][]any, len(s.Schema().Fields))
	err = sc.Each(context.Background(), func(b *column.Batch) error {
		for i, v := range b.Cols {
			for r := range b.Len() {
				cols[i] = append(cols[i], v.Value(r))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// columnChecks returns DuckDB expressions over column f, our values for
// them, and a range filter at the middle of the column's values (or "").
func columnChecks(f column.Field, vals []any) (exprs, ours []string, filter string) {
	q := `"` + f.Name + `"`
	var n int
	for _, v := range vals {
		if v != nil {
			n++
		}
	}
	exprs = append(exprs, "count(*)", "count("+q+")")
	ours = append(ours, strconv.Itoa(len(vals)), strconv.Itoa(n))
	if n == 0 {
		return exprs, ours, ""
	}
	switch f.Type.Kind {
	case column.String:
		var total int
		var lo, hi string
		first := true
		for _, v := range vals {
			if s, ok := v.(string); ok {
				total += len(s)
				if first || s < lo {
					lo = s
				}
				if first || s > hi {
					hi = s
				}
				first = false
			}
		}
		exprs = append(exprs, "sum(strlen("+q+"))", "min("+q+")", "max("+q+")")
		ours = append(ours, strconv.Itoa(total), lo, hi)
		filter = fmt.Sprintf("%s >= '%s'", q, strings.ReplaceAll(median(vals).(string), "'", "''"))
	case column.Long, column.Int, column.Short, column.Byte, column.Date, column.Timestamp, column.Decimal:
		var sum int64
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, v := range vals {
			if x, ok := v.(int64); ok {
				sum += x % 1_000_003
				lo, hi = min(lo, x), max(hi, x)
			}
		}
		ex := q
		switch f.Type.Kind {
		case column.Date:
			ex = "(" + q + " - DATE '1970-01-01')"
		case column.Timestamp:
			ex = "epoch_us(" + q + ")"
		case column.Decimal:
			ex = fmt.Sprintf("CAST(%s * %d AS BIGINT)", q, int64(math.Pow10(f.Type.Scale)))
		}
		exprs = append(exprs, "sum("+ex+" % 1000003)", "min("+ex+")", "max("+ex+")")
		ours = append(ours, strconv.FormatInt(sum, 10), strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10))
		filter = fmt.Sprintf("%s > %d", ex, median(vals).(int64))
	case column.Double:
		var sum float64
		for _, v := range vals {
			if x, ok := v.(float64); ok && !math.IsNaN(x) {
				sum += x
			}
		}
		exprs = append(exprs, "sum("+q+") FILTER (WHERE NOT isnan("+q+"))")
		ours = append(ours, strconv.FormatFloat(sum, 'g', -1, 64))
	}
	return exprs, ours, filter
}

// countMatching counts the values that pass a filter made by columnChecks.
func countMatching(f column.Field, vals []any, filter string) int {
	n := 0
	switch f.Type.Kind {
	case column.String:
		bound := filter[strings.Index(filter, "'")+1 : len(filter)-1]
		bound = strings.ReplaceAll(bound, "''", "'")
		for _, v := range vals {
			if s, ok := v.(string); ok && s >= bound {
				n++
			}
		}
	default:
		bound, _ := strconv.ParseInt(filter[strings.LastIndex(filter, " ")+1:], 10, 64)
		for _, v := range vals {
			if x, ok := v.(int64); ok && x > bound {
				n++
			}
		}
	}
	return n
}

// sameResults compares DuckDB's results with ours: floats to 1e-9
// relative, the rest as text.
func sameResults(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if got[i] == want[i] {
			continue
		}
		g, err1 := strconv.ParseFloat(got[i], 64)
		w, err2 := strconv.ParseFloat(want[i], 64)
		if err1 != nil || err2 != nil || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			return false
		}
	}
	return true
}

// median returns the middle one of the non-null values (strings or int64).
func median(vals []any) any {
	var ss []string
	var is []int64
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			ss = append(ss, x)
		case int64:
			is = append(is, x)
		}
	}
	if len(ss) > 0 {
		slices.Sort(ss)
		return ss[len(ss)/2]
	}
	slices.Sort(is)
	return is[len(is)/2]
}
