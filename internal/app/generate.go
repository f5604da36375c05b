package app

import (
	"bufio"
	"bytes"
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
	if int64(files) > max(1, cfg.Rows) {
		files = int(max(1, cfg.Rows))
	}
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
	// File k holds lines [k*rows/files, (k+1)*rows/files): the files
	// concatenated are the generator's stream.
	var line int64
	cur := 0
	boundary := func(k int) int64 { return int64(k+1) * cfg.Rows / int64(files) }
	err = gen.GenerateChunks(ctx, g, a.workers(), func(_ int, data []byte, m gen.Manifest) error {
		res.Manifest.Merge(m)
		for len(data) > 0 {
			for cur < files-1 && line >= boundary(cur) {
				cur++
			}
			take := len(data)
			if cur < files-1 {
				need := boundary(cur) - line
				take = 0
				for need > 0 && take < len(data) {
					i := bytes.IndexByte(data[take:], '\n')
					if i < 0 {
						take = len(data)
						break
					}
					take += i + 1
					need--
				}
			}
			line += int64(bytes.Count(data[:take], []byte{'\n'}))
			if _, err := outs[cur].w.Write(data[:take]); err != nil {
				return err
			}
			data = data[take:]
		}
		return nil
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
