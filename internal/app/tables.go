package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
)

// TableInfo summarises a table for `table list` and `table describe`.
type TableInfo struct {
	Name             string            `json:"name"`
	Version          int64             `json:"version"`
	Files            int               `json:"files"`
	Rows             int64             `json:"rows"`
	RowsExact        bool              `json:"rows_exact"`
	SizeBytes        int64             `json:"size_bytes"`
	PartitionColumns []string          `json:"partition_columns"`
	Protocol         delta.Protocol    `json:"protocol"`
	Properties       map[string]string `json:"properties"`
	Description      string            `json:"description,omitempty"`
	Columns          []ColumnInfo      `json:"columns"`
	LastModified     time.Time         `json:"last_modified"`
	Error            string            `json:"error,omitempty"`
}

// ColumnInfo is one column of a table.
type ColumnInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

func describe(name string, s *delta.Snapshot) TableInfo {
	md := s.Metadata()
	ti := TableInfo{Name: name, Version: s.Version(), Files: s.NumFiles(), SizeBytes: s.SizeInBytes(),
		PartitionColumns: s.PartitionColumns(), Protocol: s.Protocol(), Properties: md.Configuration,
		LastModified: s.Timestamp().UTC(), RowsExact: true}
	if md.Description != nil {
		ti.Description = *md.Description
	}
	if ti.PartitionColumns == nil {
		ti.PartitionColumns = []string{}
	}
	for _, a := range s.Files() {
		n, ok := a.NumRecords()
		if !ok {
			ti.RowsExact = false
		}
		ti.Rows += n
	}
	for _, f := range s.Schema().Fields {
		ti.Columns = append(ti.Columns, ColumnInfo{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable})
	}
	return ti
}

// ListTables describes every table of the warehouse.
func (a *App) ListTables(ctx context.Context) ([]TableInfo, error) {
	names, err := a.wh.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TableInfo, 0, len(names))
	for _, n := range names {
		t, err := a.wh.Table(n)
		if err != nil {
			return nil, err
		}
		s, err := t.Snapshot(ctx)
		if err != nil {
			out = append(out, TableInfo{Name: n, Error: err.Error()})
			continue
		}
		out = append(out, describe(n, s))
	}
	return out, nil
}

// WriteTableList renders `table list`.
func WriteTableList(w io.Writer, tables []TableInfo, format string) error {
	if format == "json" {
		return WriteJSON(w, tables)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tVERSION\tFILES\tROWS\tSIZE\tPARTITIONED BY")
	for _, t := range tables {
		if t.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\n", t.Name, t.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", t.Name, t.Version, t.Files, rowsText(t), humanBytes(t.SizeBytes), strings.Join(t.PartitionColumns, ", "))
	}
	return tw.Flush()
}

func rowsText(t TableInfo) string {
	if t.RowsExact {
		return fmt.Sprint(t.Rows)
	}
	return fmt.Sprintf("≥%d", t.Rows)
}

// Describe loads a table's description.
func (a *App) Describe(ctx context.Context, ref string, version int64, ts string) (TableInfo, error) {
	s, name, err := a.snapshot(ctx, ref, version, ts)
	if err != nil {
		return TableInfo{}, err
	}
	return describe(name, s), nil
}

// WriteDescribe renders `table describe`.
func WriteDescribe(w io.Writer, t TableInfo, format string) error {
	if format == "json" {
		return WriteJSON(w, t)
	}
	fmt.Fprintf(w, "Table:        %s\n", t.Name)
	if t.Description != "" {
		fmt.Fprintf(w, "Description:  %s\n", t.Description)
	}
	fmt.Fprintf(w, "Version:      %d (%s)\n", t.Version, t.LastModified.Format(time.RFC3339))
	fmt.Fprintf(w, "Protocol:     reader %d, writer %d", t.Protocol.MinReaderVersion, t.Protocol.MinWriterVersion)
	if len(t.Protocol.ReaderFeatures)+len(t.Protocol.WriterFeatures) > 0 {
		// Every reader feature is also listed as a writer feature; show each once.
		features := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(t.Protocol.ReaderFeatures), t.Protocol.WriterFeatures...))))
		fmt.Fprintf(w, " (features: %s)", strings.Join(features, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Files:        %d (%s)\n", t.Files, humanBytes(t.SizeBytes))
	fmt.Fprintf(w, "Rows:         %s\n", rowsText(t))
	if len(t.PartitionColumns) > 0 {
		fmt.Fprintf(w, "Partitioned:  %s\n", strings.Join(t.PartitionColumns, ", "))
	}
	if len(t.Properties) > 0 {
		fmt.Fprintln(w, "Properties:")
		for _, k := range SortedKeys(t.Properties) {
			fmt.Fprintf(w, "  %s = %s\n", k, t.Properties[k])
		}
	}
	fmt.Fprintln(w, "Columns:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range t.Columns {
		null := "NULL"
		if !c.Nullable {
			null = "NOT NULL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Type, null)
	}
	return tw.Flush()
}

func (a *App) snapshot(ctx context.Context, ref string, version int64, ts string) (*delta.Snapshot, string, error) {
	t, name, err := a.OpenTable(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	var s *delta.Snapshot
	switch {
	case version >= 0 && ts != "":
		return nil, "", fmt.Errorf("give --version or --timestamp, not both")
	case version >= 0:
		s, err = t.SnapshotAt(ctx, version)
	case ts != "":
		at, perr := parseTimeArg(ts)
		if perr != nil {
			return nil, "", perr
		}
		s, err = t.SnapshotAsOf(ctx, at)
	default:
		s, err = t.Snapshot(ctx)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return s, name, nil
}

func parseTimeArg(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--timestamp %q: want RFC 3339 (2026-11-20T13:45:12Z) or a date (2026-11-20)", s)
}

// HistoryEntry is one line of `table history`.
type HistoryEntry struct {
	Version   int64           `json:"version"`
	Timestamp time.Time       `json:"timestamp"`
	Operation string          `json:"operation"`
	Params    json.RawMessage `json:"operation_parameters,omitempty"`
	Metrics   json.RawMessage `json:"operation_metrics,omitempty"`
	Engine    string          `json:"engine_info,omitempty"`
}

// History returns the commits of a table, newest first.
func (a *App) History(ctx context.Context, ref string, limit int) ([]HistoryEntry, error) {
	t, name, err := a.OpenTable(ctx, ref)
	if err != nil {
		return nil, err
	}
	h, err := t.History(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]HistoryEntry, 0, len(h))
	for _, c := range h {
		e := HistoryEntry{Version: c.Version, Timestamp: c.Timestamp.UTC()}
		if c.Info != nil {
			e.Operation, e.Engine = c.Info.Operation, c.Info.EngineInfo
			if len(c.Info.OperationParameters) > 0 {
				e.Params, _ = json.Marshal(c.Info.OperationParameters)
			}
			if len(c.Info.OperationMetrics) > 0 {
				e.Metrics, _ = json.Marshal(c.Info.OperationMetrics)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// WriteHistory renders `table history`.
func WriteHistory(w io.Writer, h []HistoryEntry, format string) error {
	if format == "json" {
		return WriteJSON(w, h)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTIMESTAMP\tOPERATION\tPARAMETERS\tMETRICS")
	for _, e := range h {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Version, e.Timestamp.Format(time.RFC3339), e.Operation, compactJSON(e.Params), compactJSON(e.Metrics))
	}
	return tw.Flush()
}

func compactJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// ScanOptions select what `table scan` prints.
type ScanOptions struct {
	Version   int64 // -1 = latest
	Timestamp string
	Format    string // ndjson (default), csv, table, json
	Limit     int64  // 0 = no limit
	Columns   []string
}

// Scan prints the rows of a table.
func (a *App) Scan(ctx context.Context, ref string, opts ScanOptions, w io.Writer) error {
	s, name, err := a.snapshot(ctx, ref, opts.Version, opts.Timestamp)
	if err != nil {
		return err
	}
	sc, err := s.Scan(delta.ScanOptions{Columns: opts.Columns})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	defer bw.Flush()
	rw, err := newRowWriter(bw, opts.Format, sc.Schema())
	if err != nil {
		return err
	}
	var n int64
	errLimit := fmt.Errorf("limit reached")
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			if opts.Limit > 0 && n >= opts.Limit {
				return errLimit
			}
			if err := rw.row(b, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil && err != errLimit {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := rw.close(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteJSON writes v as indented JSON without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
