package app

import (
	"context"
	"fmt"
	"io"

	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/check"
)

// Check runs `lakehouse check`.
func (a *App) Check(ctx context.Context, sampleDays int) (*check.Report, error) {
	return check.Run(ctx, a.wh, check.Options{SampleDays: sampleDays, Seed: uint64(a.opts.Now().UnixNano())})
}

// WriteCheck renders a check report.
func WriteCheck(w io.Writer, r *check.Report, format string) error {
	if format == "json" {
		return WriteJSON(w, struct {
			OK bool `json:"ok"`
			*check.Report
		}{r.OK(), r})
	}
	for _, it := range r.Items {
		mark := "ok  "
		if !it.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s  %s: %s\n", mark, it.Name, it.Detail)
	}
	if r.OK() {
		fmt.Fprintf(w, "\nAll checks passed: bronze %s = silver %s + quarantine %s + superseded %s\n",
			thousands(r.Bronze), thousands(r.Silver), thousands(r.Quarantine), thousands(r.Superseded))
	} else {
		fmt.Fprintln(w, "\nSome checks FAILED.")
	}
	return nil
}
