package app

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// rowWriter prints rows in one output format.
type rowWriter struct {
	format string
	schema *column.Schema
	w      *bufio.Writer
	csv    *csv.Writer
	tw     *tabwriter.Writer
	buf    []byte
	first  bool
	rec    []string
}

func newRowWriter(w *bufio.Writer, format string, schema *column.Schema) (*rowWriter, error) {
	rw := &rowWriter{format: format, schema: schema, w: w, first: true}
	switch format {
	case "", "ndjson":
		rw.format = "ndjson"
	case "json":
		w.WriteByte('[')
	case "csv":
		rw.csv = csv.NewWriter(w)
		if err := rw.csv.Write(schema.Names()); err != nil {
			return nil, err
		}
	case "table":
		rw.tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(rw.tw, strings.Join(schema.Names(), "\t"))
	default:
		return nil, fmt.Errorf("--format %q: want ndjson, csv, table or json", format)
	}
	return rw, nil
}

// text renders a value for csv and table output: JSON forms without the
// quotes of strings, empty for null.
func text(t *column.Type, v any) string {
	if v == nil {
		return ""
	}
	b := column.AppendJSON(nil, t, v)
	if len(b) >= 2 && b[0] == '"' && t.IsPrimitive() {
		switch x := v.(type) {
		case string:
			return x
		default:
			return string(b[1 : len(b)-1])
		}
	}
	return string(b)
}

func (rw *rowWriter) row(b *column.Batch, r int) error {
	switch rw.format {
	case "ndjson", "json":
		if rw.format == "json" && !rw.first {
			rw.w.WriteByte(',')
		}
		rw.first = false
		rw.buf = append(rw.buf[:0], '{')
		for i, f := range rw.schema.Fields {
			if i > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = column.AppendJSONString(rw.buf, f.Name)
			rw.buf = append(rw.buf, ':')
			rw.buf = column.AppendJSON(rw.buf, f.Type, b.Cols[i].Value(r))
		}
		rw.buf = append(rw.buf, '}')
		if rw.format == "ndjson" {
			rw.buf = append(rw.buf, '\n')
		}
		_, err := rw.w.Write(rw.buf)
		return err
	case "csv":
		rw.rec = rw.rec[:0]
		for i, f := range rw.schema.Fields {
			rw.rec = append(rw.rec, text(f.Type, b.Cols[i].Value(r)))
		}
		return rw.csv.Write(rw.rec)
	}
	cells := make([]string, len(rw.schema.Fields))
	for i, f := range rw.schema.Fields {
		s := text(f.Type, b.Cols[i].Value(r))
		if b.Cols[i].IsNull(r) {
			s = "NULL"
		}
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:39]) + "…"
		}
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
	}
	_, err := fmt.Fprintln(rw.tw, strings.Join(cells, "\t"))
	return err
}

func (rw *rowWriter) close() error {
	switch rw.format {
	case "json":
		_, err := rw.w.WriteString("]\n")
		return err
	case "csv":
		rw.csv.Flush()
		return rw.csv.Error()
	case "table":
		return rw.tw.Flush()
	}
	return nil
}
