package bronze

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// PieceBytes is the size of the parts a large uncompressed input file is
// split into, at line boundaries, as Spark splits files into partitions.
// Each part is read, framed and written by one goroutine into data files
// of its own, and the files are committed in input order: both cores work
// even on one big file, and a row's position in its bronze version is its
// position in the input, which silver's dedup tie-break relies on.
const PieceBytes = 128 << 20

// piece is a byte range of one input file; end < 0 reads to the end of the
// file (gzip files, and the last piece of a file, so a file that grows
// while it is read is read as before).
type piece struct {
	g          *group
	file       int // in g.files
	path       string
	start, end int64
	// filled by the worker, and by the closer of its files
	rows, bytes int64
	adds        []*delta.Add
	err         error // reading it or closing its files
}

// group is a set of input files committed together, and the pieces of
// its files.
type group struct {
	index  int             // in the run's groups
	ctx    context.Context // ends when ctx does or a group before failed
	order  []string        // its input files in order, with those skipped (already ingested)
	files  []string        // those to ingest
	pieces []*piece
	left   atomic.Int64  // pieces whose files are not closed yet
	done   chan struct{} // closed when left reaches 0
}

// pieceClosed records that one more piece's files are closed (or failed).
func (g *group) pieceClosed() {
	if g.left.Add(-1) == 0 {
		close(g.done)
	}
}

// closeErr returns the first error reading the group's pieces or closing
// their files.
func (g *group) closeErr() error {
	for _, p := range g.pieces {
		if p.err != nil {
			return p.err
		}
	}
	return nil
}

// results returns what each of the group's files held.
func (g *group) results() []FileResult {
	out := make([]FileResult, len(g.files))
	for i, path := range g.files {
		out[i].Path = path
	}
	for _, p := range g.pieces {
		out[p.file].Rows += p.rows
		out[p.file].Bytes += p.bytes
	}
	return out
}

// planPieces splits the group's files into pieces, in input order.
func planPieces(group []string, pieceBytes int64) ([]*piece, error) {
	var out []*piece
	for i, path := range group {
		bounds, err := splitFile(path, pieceBytes)
		if err != nil {
			return nil, err
		}
		out = append(out, piecesAt(i, path, bounds, -1)...)
	}
	return out, nil
}

// piecesAt returns the pieces of file i (at path) that start at bounds,
// each ending where the next starts and the last at end.
func piecesAt(i int, path string, bounds []int64, end int64) []*piece {
	out := make([]*piece, len(bounds))
	for j, start := range bounds {
		out[j] = &piece{file: i, path: path, start: start, end: end}
		if j+1 < len(bounds) {
			out[j].end = bounds[j+1]
		}
	}
	return out
}

// tailParts is how many parts splitTail cuts a piece into, and
// minTailPart the least size of a part.
const (
	tailParts   = 4
	minTailPart = 8 << 20
)

// splitTail cuts each of the last n pieces into tailParts parts at line
// starts, in order, so that the workers run out of input together: the last
// part a worker takes is short, instead of one worker reading a whole piece
// while the other waits. Pieces of gzip files and small pieces stay whole.
func splitTail(pieces []*piece, n int) ([]*piece, error) {
	first := max(0, len(pieces)-n)
	out := pieces[:first:first]
	buf := make([]byte, 64<<10)
	for _, p := range pieces[first:] {
		parts, err := splitPiece(p, buf)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

// splitPiece cuts p into up to tailParts pieces at line starts.
func splitPiece(p *piece, buf []byte) ([]*piece, error) {
	f, err := os.Open(p.path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	end := p.end
	if end < 0 {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		end = st.Size()
	}
	part := (end - p.start) / tailParts
	if part < minTailPart || p.start == 0 && isGzip(f) {
		return []*piece{p}, nil
	}
	bounds, err := lineBounds(f, p.path, p.start, end, part, buf)
	if err != nil {
		return nil, err
	}
	return piecesAt(p.file, p.path, bounds, p.end), nil
}

// splitFile returns the start offsets of the pieces of the file at path:
// {0} for a gzip file or one below two pieces, otherwise lineBounds every
// pieceBytes.
func splitFile(path string, pieceBytes int64) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if st.Size() < 2*pieceBytes || isGzip(f) {
		return []int64{0}, nil
	}
	return lineBounds(f, path, 0, st.Size(), pieceBytes, make([]byte, 64<<10))
}

// isGzip reports whether f starts with gzip's magic bytes.
func isGzip(f *os.File) bool {
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

// lineBounds returns start, then every step after it (while half a step
// remains before end) moved forward to the start of the next line. A
// boundary with no line start within the next step is dropped (the piece
// before it grows).
func lineBounds(f *os.File, path string, start, end, step int64, buf []byte) ([]int64, error) {
	bounds := []int64{start}
	for off := start + step; off+step/2 < end; off += step {
		if off <= bounds[len(bounds)-1] {
			continue
		}
		next, err := lineStartAfter(f, off, step, buf)
		if err != nil {
			return nil, fmt.Errorf("ingest: %s: %w", path, err)
		}
		if next > bounds[len(bounds)-1] && next < end {
			bounds = append(bounds, next)
		}
	}
	return bounds, nil
}

// lineStartAfter returns the offset just past the first '\n' at or after
// off, looking at most limit bytes ahead; 0 when there is none.
func lineStartAfter(f *os.File, off, limit int64, buf []byte) (int64, error) {
	for pos := off; pos < off+limit; {
		n, err := f.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(n)
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// readPiece frames the lines of one piece into bronze batches (b is the
// worker's) and writes them to data files of the piece's own, closed on
// closers. ctx stops the reading; fileCtx, the caller's, bounds the files.
func readPiece(ctx, fileCtx context.Context, snap *delta.Snapshot, x *idindex.Index, p *piece, b *column.Batch, closers *errgroup.Group, meta *lineMeta, maxLine int) (err error) {
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	size := int64(1 << 62) // to the end of the file
	if p.end >= 0 {
		size = p.end - p.start
	}
	counted := &countingReader{r: io.NewSectionReader(f, p.start, size)}
	var r io.Reader = counted
	if p.start == 0 {
		br := bufio.NewReaderSize(counted, 64<<10)
		r = br
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			gz, err := gzip.NewReader(br)
			if err != nil {
				return fmt.Errorf("ingest: %s: bad gzip header: %w", p.path, err)
			}
			defer gz.Close()
			r = gz
		}
	}
	// The file outlives ctx (the workers' group, done before the closers).
	fw, err := snap.NewFileWriter(fileCtx, writeOptions(fileCtx, x, idindex.LineEntries(0)))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fw.Abort()
		}
	}()
	b.Reset()
	lr := event.NewLineReader(r, event.LineOptions{MaxLineBytes: maxLine})
	for {
		line, lineNo, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.lineError(err, lineNo)
		}
		appendLine(b, line)
		p.rows++
		if full(b) {
			if err := ctx.Err(); err != nil {
				return err
			}
			meta.fill(b)
			if err := fw.Write(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	if b.Len() > 0 {
		meta.fill(b)
		if err := fw.Write(b); err != nil {
			return err
		}
		b.Reset()
	}
	p.bytes = counted.n
	// Close (the last row group, the footer, fsync) on a goroutine of its
	// own, so the worker moves on to its next piece while the disk works.
	closers.Go(func() error {
		adds, err := fw.Close()
		if err != nil {
			fw.Abort()
		}
		p.adds, p.err = adds, err
		p.g.pieceClosed()
		return err
	})
	return nil
}

// lineError names the file and the line of a framing error, counting the
// lines before the piece (only then: errors are rare, pieces are not).
func (p *piece) lineError(err error, lineNo int64) error {
	var before int64
	if p.start > 0 {
		n, cerr := countLines(p.path, p.start)
		if cerr != nil {
			return fmt.Errorf("ingest: %s: %w (in the part from byte %d)", p.path, err, p.start)
		}
		before = n
		var le *event.LineError
		if errors.As(err, &le) {
			le.Line += before
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("ingest: %s: truncated input near line %d (a cut-off gzip stream?): %w", p.path, before+lineNo+1, err)
	}
	return fmt.Errorf("ingest: %s: %w", p.path, err)
}

// countLines counts the '\n' bytes in the first n bytes of the file.
func countLines(path string, n int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var lines int64
	r := io.LimitReader(f, n)
	for {
		m, err := r.Read(buf)
		lines += int64(bytes.Count(buf[:m], []byte{'\n'}))
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
