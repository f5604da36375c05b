package app

import (
	"context"
	"fmt"

	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
)

// Ingest appends NDJSON files to bronze (see bronze.Ingest), printing a
// line per file as progress when enabled.
func (a *App) Ingest(ctx context.Context, paths []string) (*bronze.IngestResult, error) {
	opts := bronze.IngestOptions{Workers: a.opts.Workers, Now: a.opts.Now}
	if a.opts.Progress {
		opts.Progress = func(f bronze.FileResult) {
			if f.Skipped {
				fmt.Fprintf(a.opts.Stderr, "skipped %s (already ingested)\n", f.Path)
			} else {
				fmt.Fprintf(a.opts.Stderr, "ingested %s: %d rows\n", f.Path, f.Rows)
			}
		}
	}
	return bronze.Ingest(ctx, a.wh, paths, opts)
}
