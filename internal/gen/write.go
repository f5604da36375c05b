package gen

import (
	"context"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sync/errgroup"
)

// writeBatchLines is how many lines WriteNDJSON buffers per Write (~380 KB,
// small enough to stay in a core's L2 cache while it is filled).
const writeBatchLines = 1024

// WriteNDJSON writes every line of g to w, chunk after chunk, each line
// ending in '\n', and returns the manifest of what it wrote. On error the
// manifest covers the chunks written whole before it.
func WriteNDJSON(ctx context.Context, w io.Writer, g *Generator) (Manifest, error) {
	m := NewManifest()
	buf := make([]byte, 0, writeBatchLines*512)
	for i := range g.NumChunks() {
		c := g.Chunk(i)
		for !c.Done() {
			if err := ctx.Err(); err != nil {
				return m, fmt.Errorf("write chunk %d: %w", i, err)
			}
			buf, _ = c.Fill(buf[:0], writeBatchLines)
			if _, err := w.Write(buf); err != nil {
				return m, fmt.Errorf("write chunk %d: %w", i, err)
			}
		}
		m.Merge(c.Manifest())
	}
	return m, nil
}

// WriteNDJSONParallel writes the same bytes as WriteNDJSON, generating
// chunks on workers goroutines (at least 1) while one writer goroutine
// writes them to w in chunk order. At most workers+1 chunks are held in
// memory at once (about 30 MB each).
func WriteNDJSONParallel(ctx context.Context, w io.Writer, g *Generator, workers int) (Manifest, error) {
	out := NewManifest()
	err := GenerateChunks(ctx, g, workers, func(i int, data []byte, cm Manifest) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write chunk %d: %w", i, err)
		}
		out.Merge(cm)
		return nil
	})
	return out, err
}

// Manifest generates the whole run on workers goroutines without keeping
// the lines, and returns its manifest: what WriteNDJSON would return.
func (g *Generator) Manifest(ctx context.Context, workers int) (Manifest, error) {
	workers = max(1, workers)
	m := NewManifest()
	var mu sync.Mutex // guards m
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(workers)
	bufs := make(chan []byte, workers)
	for range workers {
		bufs <- make([]byte, 0, writeBatchLines*512)
	}
	for i := range g.NumChunks() {
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("manifest of chunk %d: %w", i, err)
			}
			buf := <-bufs
			defer func() { bufs <- buf }()
			c := g.Chunk(i)
			for !c.Done() {
				buf, _ = c.Fill(buf[:0], writeBatchLines)
			}
			cm := c.Manifest()
			mu.Lock()
			m.Merge(cm) // summation: the order chunks finish in does not matter
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return NewManifest(), err
	}
	return m, nil
}

// GenerateChunks generates every chunk of g on workers goroutines (at least
// 1) and calls emit with each chunk's lines (each ending in '\n') and
// manifest, in chunk order, from a single goroutine. data is only valid
// during the call: its buffer is reused. At most workers+1 chunks are in
// memory at once. The first error from emit or ctx stops everything.
func GenerateChunks(ctx context.Context, g *Generator, workers int, emit func(i int, data []byte, m Manifest) error) error {
	workers = max(1, workers)
	n := g.NumChunks()
	type result struct {
		data []byte
		m    Manifest
	}
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	// free holds the buffers; taking one is the right to generate a chunk,
	// which bounds memory to len(free) chunks. The dispatcher takes them in
	// chunk order, so the chunk the writer waits for always holds one.
	free := make(chan []byte, workers+1)
	for range workers + 1 {
		free <- nil
	}
	type job struct {
		i   int
		buf []byte
	}
	jobs := make(chan job)

	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(jobs)
		for i := range n {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return nil
			}
			select {
			case jobs <- job{i, buf}:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range workers {
		eg.Go(func() error {
			for j := range jobs {
				c := g.Chunk(j.i)
				buf := j.buf
				if cap(buf) == 0 {
					buf = make([]byte, 0, c.Lines()*460)
				}
				for !c.Done() {
					buf, _ = c.Fill(buf, writeBatchLines)
					if ctx.Err() != nil {
						return nil
					}
				}
				results[j.i] <- result{data: buf, m: c.Manifest()}
			}
			return nil
		})
	}
	eg.Go(func() error {
		for i := range n {
			var r result
			select {
			case r = <-results[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := emit(i, r.data, r.m); err != nil {
				return err
			}
			free <- r.data[:0]
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("generate chunks: %w", err)
	}
	return nil
}
