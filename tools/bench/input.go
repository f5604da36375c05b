package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// genEnd pins the generator's time window so that cached input is the same
// whenever it was made.
const genEnd = "2026-11-20T00:00:00Z"

// bytesPerRow is a generous estimate of one generated NDJSON line, used only
// to check for disk space before generating.
const bytesPerRow = 450

// input is the NDJSON both sides read.
type input struct {
	Dir       string   `json:"dir"`
	Files     []string `json:"files"`
	Bytes     int64    `json:"bytes"`
	Rows      int64    `json:"rows"`
	RowsFrom  string   `json:"rows_from"` // "manifest" or "counted"
	Generated bool     `json:"generated"`
	GenerateS float64  `json:"generate_s,omitempty"`
	// CatS is a timed cat of the warmed files to /dev/null: the floor for
	// reading the input from the page cache.
	CatS float64 `json:"cat_s"`
}

// defaultCacheRoot is $LAKEHOUSE_BENCH_CACHE, else <user cache>/lakehouse-bench.
func defaultCacheRoot() (string, error) {
	if d := os.Getenv("LAKEHOUSE_BENCH_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache folder: %w (pass --cache DIR)", err)
	}
	return filepath.Join(d, "lakehouse-bench"), nil
}

// cacheDir is where input of rows events in files files is cached. The
// generator's seed and time window are fixed, so rows, files and a
// non-default invalid rate (negative: the default) name it.
func cacheDir(root string, rows int64, files int, invalidRate float64) string {
	name := fmt.Sprintf("ndjson-%dr-%df-seed1", rows, files)
	if invalidRate >= 0 {
		name += "-invalid" + strconv.FormatFloat(invalidRate, 'g', -1, 64)
	}
	return filepath.Join(root, name)
}

// prepareInput finds, or generates into the cache, the input folder, then
// warms it with an untimed cat and times a second cat.
func prepareInput(ctx context.Context, o options, bin string, log io.Writer) (input, error) {
	var in input
	if o.Input != "" {
		in.Dir = o.Input
	} else {
		root := o.Cache
		if root == "" {
			var err error
			if root, err = defaultCacheRoot(); err != nil {
				return in, err
			}
		}
		in.Dir = cacheDir(root, o.Rows, o.Files, o.InvalidRate)
		if _, err := os.Stat(in.Dir); errors.Is(err, fs.ErrNotExist) {
			secs, err := generate(ctx, bin, root, in.Dir, o, log)
			if err != nil {
				return in, err
			}
			in.Generated, in.GenerateS = true, secs
		} else if err != nil {
			return in, fmt.Errorf("input cache: %w", err)
		} else {
			fmt.Fprintf(log, "bench: reusing input %s\n", in.Dir)
		}
	}
	abs, err := filepath.Abs(in.Dir)
	if err != nil {
		return in, fmt.Errorf("input folder: %w", err)
	}
	in.Dir = abs
	paths, size, err := listNDJSON(in.Dir)
	if err != nil {
		return in, err
	}
	in.Bytes = size
	for _, p := range paths {
		in.Files = append(in.Files, filepath.Base(p))
	}

	fmt.Fprintf(log, "bench: warming the page cache with cat (%s)\n", mb(size))
	if _, err := run(ctx, child{argv: append([]string{"cat"}, paths...), discardStdout: true}); err != nil {
		return in, fmt.Errorf("warm-up cat: %w", err)
	}
	m, err := run(ctx, child{argv: append([]string{"cat"}, paths...), discardStdout: true})
	if err != nil {
		return in, fmt.Errorf("timed cat: %w", err)
	}
	in.CatS = m.Wall.Seconds()

	if rows, ok := manifestRows(in.Dir); ok {
		in.Rows, in.RowsFrom = rows, "manifest"
	} else {
		if in.Rows, err = countLines(ctx, paths); err != nil {
			return in, err
		}
		in.RowsFrom = "counted"
	}
	return in, nil
}

// generate runs `lakehouse generate` into a temporary folder under root and
// renames it to dir, so that an interrupted generation is never reused.
func generate(ctx context.Context, bin, root, dir string, o options, log io.Writer) (float64, error) {
	rows, files := o.Rows, o.Files
	if err := os.MkdirAll(root, 0o755); err != nil {
		return 0, fmt.Errorf("input cache: %w", err)
	}
	need := rows * bytesPerRow
	if free, err := freeBytes(root); err == nil && free < need {
		return 0, fmt.Errorf("input cache %s: generating %d rows needs about %s, only %s free: pass --cache DIR on a larger file system",
			root, rows, mb(need), mb(free))
	}
	tmp, err := os.MkdirTemp(root, ".generating-")
	if err != nil {
		return 0, fmt.Errorf("input cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	// generate opens a warehouse it does not write to; keep it out of the
	// caller's working folder.
	wh, err := os.MkdirTemp(root, ".warehouse-")
	if err != nil {
		return 0, fmt.Errorf("input cache: %w", err)
	}
	defer os.RemoveAll(wh)
	fmt.Fprintf(log, "bench: generating %d rows in %d files into %s (about %s; cached for later runs)\n", rows, files, dir, mb(need))
	argv := []string{bin, "--warehouse", wh, "--quiet", "generate", "--out", tmp, "--rows", fmt.Sprint(rows),
		"--files", fmt.Sprint(files), "--seed", "1", "--end", genEnd}
	if o.InvalidRate >= 0 {
		argv = append(argv, "--invalid-rate", strconv.FormatFloat(o.InvalidRate, 'g', -1, 64))
	}
	m, err := run(ctx, child{argv: argv})
	if err != nil {
		return 0, fmt.Errorf("generate input: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return 0, nil // made meanwhile by another harness: use that one
		}
		return 0, fmt.Errorf("input cache: %w", err)
	}
	fmt.Fprintf(log, "bench: generated in %.1f s\n", m.Wall.Seconds())
	return m.Wall.Seconds(), nil
}

// listNDJSON returns the *.ndjson files of dir, sorted, and their total size.
// Both sides read exactly these: the reference globs *.ndjson.
func listNDJSON(dir string) ([]string, int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("input folder: %w", err)
	}
	var paths []string
	var size int64
	var other []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".ndjson"):
			info, err := e.Info()
			if err != nil {
				return nil, 0, fmt.Errorf("input file %s: %w", name, err)
			}
			paths = append(paths, filepath.Join(dir, name))
			size += info.Size()
		case strings.HasSuffix(name, ".ndjson.gz"), strings.HasSuffix(name, ".jsonl"):
			other = append(other, name)
		}
	}
	if len(other) > 0 {
		return nil, 0, fmt.Errorf("input folder %s holds %s: %w (it reads only *.ndjson)", dir, strings.Join(other, ", "), errBadInputMix)
	}
	if len(paths) == 0 {
		return nil, 0, fmt.Errorf("input folder %s: %w", dir, errNoInput)
	}
	sort.Strings(paths)
	return paths, size, nil
}

// manifestRows reads "rows" from the generator's _manifest.json.
func manifestRows(dir string) (int64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err != nil {
		return 0, false
	}
	var m struct {
		Rows *int64 `json:"rows"`
	}
	if json.Unmarshal(b, &m) != nil || m.Rows == nil {
		return 0, false
	}
	return *m.Rows, true
}

// countLines counts the lines of files; a last line without a newline counts.
func countLines(ctx context.Context, paths []string) (int64, error) {
	var n int64
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, fmt.Errorf("count lines: %w", err)
		}
		last := byte('\n')
		for {
			if err := ctx.Err(); err != nil {
				f.Close()
				return 0, err
			}
			k, err := f.Read(buf)
			if k > 0 {
				n += int64(bytes.Count(buf[:k], []byte{'\n'}))
				last = buf[k-1]
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return 0, fmt.Errorf("count lines of %s: %w", p, err)
			}
		}
		f.Close()
		if last != '\n' {
			n++
		}
	}
	return n, nil
}

// mb formats a byte count in MB (10^6) or GB.
func mb(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
