package reliability

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

const mib = 1 << 20

// hostileCase is one input of the hostile corpus: a file of
// testdata/hostile, or one the test makes (too big to commit, or not a
// file at all), with what must become of it.
type hostileCase struct {
	name string
	file string                                // in testdata/hostile
	make func(t *testing.T, dir string) string // or: makes the input in dir and returns the path to ingest
	want []string                              // per record, in file order: "" = valid (a silver row), else the exact quarantine reason
	err  string                                // the exact error of a rejected input; %s stands for the path
}

// Short names for the expected outcomes.
const (
	valid     = ""
	malformed = "malformed_json"
	tooLarge  = "record_too_large"
	allFour   = "missing_event_id,missing_event_ts,missing_event_name,missing_user_id"
)

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// pageView returns a valid page_view line whose unknown field "pad" makes
// it exactly size bytes long.
func pageView(id string, size int) []byte {
	head := `{"event_id":"` + id + `","event_ts":"2026-11-19T10:00:00Z","event_name":"page_view","user_id":"u_1","pad":"`
	n := size - len(head) - len(`"}`)
	return []byte(head + strings.Repeat("x", n) + `"}`)
}

// writeLines writes lines, each ending in "\n", to dir/name.
func writeLines(t *testing.T, dir, name string, lines ...[]byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(p, b.Bytes(), 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostileCases is the corpus. Expected reasons follow the contract
// (shared/contracts/event.md): every code in contract order, a wrong type
// gets invalid_type only, per-event rules only for a valid event_name,
// duplicate keys: the last one counts.
var hostileCases = []hostileCase{
	{name: "the contract's examples", file: "contract_examples.ndjson", want: []string{
		"negative_price,invalid_quantity,missing_order_id",
		"missing_event_id,invalid_event_ts,invalid_event_name",
		malformed,
	}},
	{name: "malformed_json: truncated, arrays, scalars, trailing data, bad syntax", file: "malformed_json.ndjson", want: repeat(malformed, 13)},
	{name: "missing required fields: absent, null or empty", file: "missing_required.ndjson", want: []string{
		"missing_event_id", "missing_event_id", "missing_event_ts", "missing_event_ts",
		"missing_event_name", "missing_event_name", "missing_user_id", "missing_user_id",
		allFour, allFour,
	}},
	{name: "invalid_type per field, in field order", file: "invalid_type.ndjson", want: []string{
		"invalid_type:price",
		"invalid_type:quantity",
		"invalid_type:event_id,invalid_type:user_id",
		"invalid_type:session_id",
		"invalid_type:event_ts",
		"invalid_type:event_name",
		"invalid_type:currency",
		"invalid_type:order_id",
		"invalid_type:city,invalid_type:utm_source,invalid_type:category",
		valid, // event_date is ignored, whatever its type
	}},
	{name: "invalid_event_ts, and the accepted forms", file: "invalid_event_ts.ndjson", want: []string{
		"invalid_event_ts", // yesterday
		"invalid_event_ts", // February 30
		"invalid_event_ts", // hour 25
		"invalid_event_ts", // a date without a time
		"invalid_event_ts", // offset +2:00
		"invalid_event_ts", // 10 fractional digits
		valid,              // a space for the T, no offset
		valid,              // 9 fractional digits, offset -0330
	}},
	{name: "invalid_event_name", file: "invalid_event_name.ndjson", want: []string{
		"invalid_event_name", "invalid_event_name", "invalid_event_name",
		"negative_price,missing_product_id,missing_quantity,missing_currency,missing_order_id",
	}},
	{name: "price: negative, over decimal(18,2), rounding at the edge, currency needed", file: "price_rules.ndjson", want: []string{
		"negative_price",
		"invalid_price",                // 1e20
		"invalid_price",                // 9999999999999999.995 rounds up past 18 digits
		valid,                          // 9999999999999999.994
		"negative_price,invalid_price", // -1e20
		"missing_currency",             // a price on a page_view needs a currency
		"missing_price",
	}},
	{name: "quantity bounds", file: "quantity_rules.ndjson", want: []string{
		"invalid_quantity", "invalid_quantity", "invalid_quantity", valid, "missing_quantity",
	}},
	{name: "currency: three upper-case letters", file: "currency_rules.ndjson", want: []string{
		"invalid_currency", "invalid_currency", "invalid_currency", "invalid_currency", "missing_currency", "missing_currency",
	}},
	{name: "fields required by event_name", file: "per_event_required.ndjson", want: []string{
		"missing_product_id", "missing_product_id", "missing_order_id",
		"missing_product_id,missing_price,missing_quantity,missing_currency,missing_order_id",
		valid, valid,
	}},
	{name: "a code from every group at once", file: "every_code_at_once.ndjson", want: []string{
		"missing_event_id,invalid_type:city,invalid_event_ts,negative_price,invalid_price,invalid_quantity,invalid_currency,missing_product_id,missing_order_id",
	}},
	{name: "invalid UTF-8", file: "invalid_utf8.ndjson", want: []string{
		malformed, malformed, malformed, malformed, malformed, // \xff\xfe, overlong, cut sequence, encoded surrogate, after the object
		valid, valid, // real UTF-8, and \u escapes with a surrogate pair
	}},
	{name: "NUL bytes", file: "nul_bytes.ndjson", want: []string{malformed, malformed, malformed, valid /* escaped \u0000 */}},
	{name: "UTF-8 BOM", file: "bom.ndjson", want: []string{valid, valid, malformed, malformed}},
	{name: "CRLF line ends", file: "crlf.ndjson", want: []string{valid, valid, valid}},
	{name: "numbers: 1e400, -0, 1e-400, NaN, leading zeros", file: "numbers.ndjson", want: []string{
		"invalid_price",                                                  // 1e400
		valid,                                                            // -0
		valid,                                                            // 1e-400 rounds to 0.00
		"negative_price,invalid_price",                                   // -1e400
		"invalid_quantity",                                               // -0
		"invalid_quantity",                                               // 1e400
		valid,                                                            // 2.675
		"invalid_type:price",                                             // "NaN"
		malformed, malformed, malformed, malformed, malformed, malformed, // NaN Infinity 01 +1 .5 1.
		valid, valid, // -0.0e5, 1E2
	}},
	{name: "quantity 1.0 is an integer, 2.50 is not", file: "quantity_float.ndjson", want: []string{
		valid, "invalid_type:quantity", valid, "invalid_type:quantity", valid,
	}},
	{name: "duplicate keys: the last one counts", file: "duplicate_keys.ndjson", want: []string{
		"missing_event_id", valid, valid, valid, "missing_user_id", valid,
	}},
	{name: "whitespace, unknown and nested fields", file: "whitespace_and_unknown_fields.ndjson", want: []string{valid, valid, valid}},
	{name: "an empty file", file: "empty.ndjson", want: nil},
	{name: "a file of blank lines", file: "blank_lines.ndjson", want: nil},
	{name: "no newline at the end", file: "no_final_newline.ndjson", want: []string{valid, valid}},
	{name: "gzip", file: "valid.ndjson.gz", want: []string{valid, valid}},
	{name: "a truncated gzip file", file: "truncated.ndjson.gz",
		err: "ingest: %s: truncated input near line 1 (a cut-off gzip stream?): read line 1: unexpected EOF"},
	{name: "a gzip magic number without a gzip stream", file: "bad_gzip_header.ndjson.gz",
		err: "ingest: %s: bad gzip header: gzip: invalid header"},
	{name: "a line over 1 MiB", make: func(t *testing.T, dir string) string {
		return writeLines(t, dir, "big.ndjson", pageView("big-1", mib), pageView("big-2", mib+1), pageView("big-3", 5*mib), pageView("big-4", 200))
	}, want: []string{valid, tooLarge, tooLarge, valid}},
	{name: "deep nesting", make: func(t *testing.T, dir string) string {
		deepArray := append(append(pageView("deep-1", 200)[:199], `,"x":`+strings.Repeat("[", 400_000)...), strings.Repeat("]", 400_000)+"}"...)
		deepObject := strings.Repeat(`{"a":`, 150_000) + "1" + strings.Repeat("}", 150_000)
		return writeLines(t, dir, "deep.ndjson",
			bytes.Repeat([]byte("["), mib),   // at the limit: parsed, and not JSON
			bytes.Repeat([]byte("["), mib+1), // over it
			deepArray,                        // a valid event with a 400,000-deep unknown field
			[]byte(deepObject),               // an object 150,000 deep without the required fields
			bytes.Repeat([]byte("{"), mib-1),
		)
	}, want: []string{malformed, tooLarge, valid, allFour, malformed}},
	{name: "a line over the 64 MiB ingest limit", make: func(t *testing.T, dir string) string {
		return writeLines(t, dir, "huge.ndjson", pageView("ok-1", 200), pageView("huge-1", 65*mib))
	}, err: "ingest: %s: line 2: longer than 64 MiB"},
	{name: "a directory named x.ndjson", make: func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "x.ndjson")
		if err := os.Mkdir(p, 0o777); err != nil {
			t.Fatal(err)
		}
		return p
	}, err: "ingest: %s: no .ndjson, .jsonl or .json files (plain or .gz) in this folder"},
	{name: "a path that does not exist", make: func(t *testing.T, dir string) string { return filepath.Join(dir, "missing.ndjson") },
		err: "ingest: %s: no such file or directory"},
	{name: "a folder with a good file and a truncated gzip: nothing of the group is committed", make: func(t *testing.T, dir string) string {
		d := filepath.Join(dir, "mixed")
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		writeLines(t, d, "a.ndjson", pageView("mixed-1", 200))
		gz, err := os.ReadFile(filepath.Join("testdata", "hostile", "truncated.ndjson.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "b.ndjson.gz"), gz, 0o666); err != nil {
			t.Fatal(err)
		}
		return d
	}, err: "ingest: %s/b.ndjson.gz: truncated input near line 1 (a cut-off gzip stream?): read line 1: unexpected EOF"},
}

// records frames a file the contract's way: lines end with "\n", one "\r"
// before it is dropped, lines of spaces, tabs and "\r" are not records.
func records(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	var out [][]byte
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(bytes.Trim(l, " \t\r")) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// scanTable calls fn for every row of the table (nothing if it does not
// exist).
func scanTable(t *testing.T, wh *pipeline.Warehouse, name string, cols []string, fn func(b *column.Batch, r int)) {
	t.Helper()
	ctx := context.Background()
	snap, err := wh.Snapshot(ctx, name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if snap == nil {
		return
	}
	sc, err := snap.Scan(delta.ScanOptions{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			fn(b, r)
		}
		return nil
	}); err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
}

// TestHostileInput ingests every case of the corpus into a fresh
// warehouse, runs silver and gold, and checks what became of each record:
// bronze holds it byte for byte, and it is in silver or in quarantine with
// the exact reason; a rejected input fails with the exact error and leaves
// no row behind. `lakehouse check` must pass after every accepted case.
func TestHostileInput(t *testing.T) {
	for _, tt := range hostileCases {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join("testdata", "hostile", tt.file)
			if tt.make != nil {
				path = tt.make(t, t.TempDir())
			}
			path, err := filepath.Abs(path) // errors name the absolute path
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.Open(app.Options{Warehouse: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			wh := a.Warehouse()
			_, err = a.Ingest(ctx, []string{path})
			if tt.err != "" {
				want := fmt.Sprintf(tt.err, path)
				if err == nil {
					t.Fatalf("ingest %s succeeded, want the error %q", path, want)
				}
				if err.Error() != want {
					t.Errorf("ingest error:\n got %q\nwant %q", err.Error(), want)
				}
				var rows int
				scanTable(t, wh, pipeline.Bronze, []string{"raw_json"}, func(*column.Batch, int) { rows++ })
				if rows != 0 {
					t.Errorf("the rejected input left %d bronze rows, want none", rows)
				}
				return
			}
			if err != nil {
				t.Fatalf("ingest %s: %v", path, err)
			}
			for _, task := range []string{app.TaskSilver, app.TaskGold} {
				if _, err := a.Registry()[task](ctx, nil); err != nil {
					t.Fatalf("task %s: %v", task, err)
				}
			}

			recs := records(t, path)
			if len(recs) != len(tt.want) {
				t.Fatalf("the file holds %d records, the case expects %d outcomes", len(recs), len(tt.want))
			}
			inBronze := map[string]int{}
			var bronzeRows int
			scanTable(t, wh, pipeline.Bronze, []string{"raw_json"}, func(b *column.Batch, r int) {
				inBronze[b.Cols[0].Str(r)]++
				bronzeRows++
			})
			reasons := map[string]string{}
			scanTable(t, wh, pipeline.Quarantine, []string{"raw_json", "reason"}, func(b *column.Batch, r int) {
				reasons[b.Cols[0].Str(r)] = b.Cols[1].Str(r)
			})
			var silverRows int
			scanTable(t, wh, pipeline.Silver, []string{"event_id"}, func(*column.Batch, int) { silverRows++ })

			var got []string
			wantValid := 0
			for i, rec := range recs {
				if n := inBronze[string(rec)]; n != 1 {
					got = append(got, fmt.Sprintf("<%d copies in bronze>", n))
				} else {
					got = append(got, reasons[string(rec)])
				}
				if tt.want[i] == valid {
					wantValid++
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome per record (-want +got):\n%s", diff)
			}
			if bronzeRows != len(recs) {
				t.Errorf("bronze holds %d rows, want the file's %d records", bronzeRows, len(recs))
			}
			if silverRows != wantValid {
				t.Errorf("silver holds %d rows, want %d", silverRows, wantValid)
			}
			if err := checkInProcess(ctx, wh); err != nil {
				t.Error(err)
			}
		})
	}
}
