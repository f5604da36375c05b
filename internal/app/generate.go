package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
)

// GenerateFilesResult reports `lakehouse generate`.
type GenerateFilesResult struct {
	Files    []string
	Manifest gen.Manifest
}

// GenerateFiles writes the generated events as NDJSON files in dir: files
// part-00000.ndjson … (the concatenation is exactly the stream the
// generate_bronze task writes into bronze for the same config), plus
// _manifest.json with what was injected.
func (a *App) GenerateFiles(ctx context.Context, dir string, files int, cfg gen.Config) (*GenerateFilesResult, error) {
	if files < 1 {
		return nil, fmt.Errorf("--files must be at least 1")
	}
	g, err := gen.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	n := g.NumChunks()
	files = min(files, max(1, n))
	res := &GenerateFilesResult{Manifest: gen.NewManifest()}
	type out struct {
		f *os.File
		w *bufio.Writer
	}
	outs := make([]out, files)
	for i := range outs {
		name := filepath.Join(dir, fmt.Sprintf("part-%05d.ndjson", i))
		f, err := os.Create(name)
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		defer f.Close()
		outs[i] = out{f, bufio.NewWriterSize(f, 4<<20)}
		res.Files = append(res.Files, name)
	}
	// Chunk i goes to file i*files/n: contiguous ranges, in order.
	err = gen.GenerateChunks(ctx, g, a.workers(), func(i int, data []byte, m gen.Manifest) error {
		res.Manifest.Merge(m)
		_, err := outs[i*files/max(1, n)].w.Write(data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	for _, o := range outs {
		if err := o.w.Flush(); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		if err := o.f.Close(); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
	}
	mj, _ := json.MarshalIndent(struct {
		Seed   int64  `json:"seed"`
		Days   int    `json:"days"`
		End    string `json:"end"`
		Params gen.Config
		gen.Manifest
	}{cfg.Seed, cfg.Days, cfg.End.UTC().Format("2006-01-02T15:04:05.000Z"), cfg, res.Manifest}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "_manifest.json"), append(mj, '\n'), 0o666); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return res, nil
}

func (a *App) workers() int {
	if a.opts.Workers > 0 {
		return a.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}
