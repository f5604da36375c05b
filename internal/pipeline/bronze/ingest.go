package bronze

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// IngestOptions configure Ingest.
type IngestOptions struct {
	Workers int // writer goroutines; default GOMAXPROCS
	// GroupBytes commits after this much input (default 1 GiB), so that a
	// crash loses at most one group of work; each file is in one group.
	GroupBytes int64
	// MaxLineBytes bounds one line (default 64 MiB); a longer line fails
	// the file with an error naming the line.
	MaxLineBytes int
	// PieceBytes is the size of the parts big uncompressed files are read
	// in, in parallel (default PieceBytes).
	PieceBytes int64
	Now        func() time.Time
	// Progress, when set, is called after each file.
	Progress func(f FileResult)
}

// FileResult reports one input file.
type FileResult struct {
	Path    string // absolute path, also the rows' source
	Rows    int64
	Bytes   int64 // bytes read (compressed size for .gz)
	Skipped bool  // already ingested by an earlier run
}

// IngestResult reports an ingest run.
type IngestResult struct {
	BatchID  string
	Files    []FileResult
	Rows     int64
	Bytes    int64
	Versions []int64 // bronze versions committed
}

// AppID returns the txn app id recording that the file at abs was ingested.
func AppID(abs string) string {
	h := sha256.Sum256([]byte(abs))
	return "lakehouse.ingest:" + hex.EncodeToString(h[:16])
}

// ResolvePaths expands files and folders into the list of files to ingest:
// folders are walked recursively for *.ndjson, *.jsonl, *.json (optionally
// .gz), skipping names that start with "." or "_" as Spark does. Any path
// that does not exist or cannot be read is an error, before anything runs.
func ResolvePaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("ingest: no input paths given")
	}
	var out []string
	seen := map[string]bool{}
	add := func(p string) error {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		f.Close()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
		return nil
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("ingest: %s: %w", p, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("ingest: %s: no such file or directory", p)
			}
			return nil, fmt.Errorf("ingest: %w", err)
		}
		if !st.IsDir() {
			if err := add(abs); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != abs && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && isNDJSONName(name) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("ingest: %s: no .ndjson, .jsonl or .json files (plain or .gz) in this folder", p)
		}
		slices.Sort(found)
		for _, f := range found {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func isNDJSONName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".json")
}

// Ingest appends the lines of the files at paths to bronze, each file
// exactly once: a file already recorded (txn AppID(path)) is skipped, and
// the rows of a group of files are committed together with their txns, so a
// crash never leaves a file half-ingested.
func Ingest(ctx context.Context, wh *pipeline.Warehouse, paths []string, opts IngestOptions) (*IngestResult, error) {
	files, err := ResolvePaths(paths)
	if err != nil {
		return nil, err
	}
	snap, err := wh.Ensure(ctx, pipeline.Bronze)
	if err != nil {
		return nil, err
	}
	if opts.GroupBytes <= 0 {
		opts.GroupBytes = 1 << 30
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res := &IngestResult{BatchID: uuid.NewString()}
	groups, err := planGroups(files, snap, opts.GroupBytes, opts.PieceBytes, opts.Workers)
	if err != nil {
		return res, err
	}
	err = ingestGroups(ctx, snap, idindex.Bronze(wh.Root(), snap), groups, now().UnixMicro(), res, opts)
	return res, err
}

// report adds a file's result to res and tells opts.Progress.
func (res *IngestResult) report(fr FileResult, opts IngestOptions) {
	res.Files = append(res.Files, fr)
	res.Rows += fr.Rows
	res.Bytes += fr.Bytes
	if opts.Progress != nil {
		opts.Progress(fr)
	}
}

// planGroups cuts files into groups of about groupBytes each, in input
// order, skipping the files snap records as ingested, and splits each
// group's files into pieces; the last group's last pieces, one a worker,
// are cut in quarters (splitTail).
func planGroups(files []string, snap *delta.Snapshot, groupBytes, pieceBytes int64, workers int) ([]*group, error) {
	if pieceBytes <= 0 {
		pieceBytes = PieceBytes
	}
	g := &group{}
	var out []*group
	var size int64
	for _, f := range files {
		g.order = append(g.order, f)
		if v, ok := snap.TxnVersion(AppID(f)); ok && v >= 1 {
			continue // skipped: already ingested
		}
		st, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		g.files = append(g.files, f)
		if size += st.Size(); size >= groupBytes {
			out, g, size = append(out, g), &group{}, 0
		}
	}
	if len(g.order) > 0 {
		out = append(out, g)
	}
	for i, g := range out {
		g.index = i
		pieces, err := planPieces(g.files, pieceBytes)
		if err != nil {
			return nil, err
		}
		if i == len(out)-1 {
			if pieces, err = splitTail(pieces, workers); err != nil {
				return nil, err
			}
		}
		g.pieces, g.done = pieces, make(chan struct{})
		g.left.Store(int64(len(pieces)))
		for _, p := range pieces {
			p.g = g
		}
		if len(pieces) == 0 {
			close(g.done)
		}
	}
	return out, nil
}

// ingestGroups writes the groups' pieces on opts.Workers goroutines, in
// input order, and commits each group, in order, as soon as its pieces'
// files are closed: the workers go on with the next group meanwhile, so
// the cores do not wait at each commit.
func ingestGroups(ctx context.Context, snap *delta.Snapshot, x *idindex.Index, groups []*group, ingestTS int64, res *IngestResult, opts IngestOptions) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A failure in a group stops the groups after it (their contexts) but
	// not those before it: they are still committed, as when the groups
	// ran one after the other.
	stop := make([]context.CancelFunc, len(groups))
	for i, g := range groups {
		g.ctx, stop[i] = context.WithCancel(pctx)
	}
	fail := func(g *group) {
		for _, s := range stop[g.index+1:] {
			s()
		}
	}
	var closers errgroup.Group
	closers.SetLimit(max(1, opts.Workers)) // bounds the buffers of files being closed
	next := make(chan *piece)
	var workers sync.WaitGroup
	workers.Go(func() {
		defer close(next)
		for _, g := range groups {
			for _, p := range g.pieces {
				select {
				case next <- p:
				case <-g.ctx.Done():
					return
				}
			}
		}
	})
	base := snap // the workers' (the committer moves snap on)
	for range max(1, opts.Workers) {
		workers.Go(func() {
			b := column.NewBatch(pipeline.BronzeSchema, BatchRows)
			meta := newLineMeta(ingestTS, "", res.BatchID)
			for p := range next {
				meta.source = []byte(p.path)
				if err := readPiece(p.g.ctx, pctx, base, x, p, b, &closers, meta, opts.MaxLineBytes); err != nil {
					p.err = err
					fail(p.g)
					p.g.pieceClosed()
				}
			}
		})
	}
	var err error
	for _, g := range groups {
		select {
		case <-g.done:
		case <-g.ctx.Done():
		}
		select {
		case <-g.done: // every piece has reported: their errors can be read
			err = g.closeErr()
		default:
			err = g.ctx.Err() // ctx ended
		}
		if err != nil {
			break
		}
		var results []FileResult
		if len(g.files) > 0 {
			var committed *delta.Snapshot
			if committed, err = commitGroup(ctx, snap, g, res.BatchID); err != nil {
				break
			}
			snap = committed
			res.Versions = append(res.Versions, snap.Version())
			results = g.results()
		}
		// In input order: the files of the group (a subsequence of
		// order) and those skipped.
		for _, path := range g.order {
			if len(results) > 0 && results[0].Path == path {
				res.report(results[0], opts)
				results = results[1:]
			} else {
				res.report(FileResult{Path: path, Skipped: true}, opts)
			}
		}
	}
	cancel() // stops the workers after a failure; a no-op otherwise
	workers.Wait()
	closers.Wait() // their errors are the pieces'
	return err
}

// commitGroup commits the data files of the group's pieces, with a txn a
// file, on snap.
func commitGroup(ctx context.Context, snap *delta.Snapshot, g *group, batchID string) (*delta.Snapshot, error) {
	var adds []*delta.Add
	for _, p := range g.pieces {
		adds = append(adds, p.adds...)
	}
	results := g.results()
	tx := snap.NewTransaction("WRITE")
	tx.SetParameter("mode", "Append")
	tx.SetParameter("ingest_batch_id", batchID)
	tx.SetParameterJSON("sources", jsonStrings(g.files))
	var rows int64
	for _, fr := range results {
		tx.SetTxn(AppID(fr.Path), 1)
		rows += fr.Rows
	}
	tx.Add(adds...)
	tx.SetMetric("numFiles", int64(len(adds)))
	tx.SetMetric("numOutputRows", rows)
	next, err := tx.Commit(ctx)
	if err == nil {
		return next, nil
	}
	var ce *delta.ConflictError
	if !errors.As(err, &ce) || ce.Kind != "ConcurrentTransaction" {
		return nil, fmt.Errorf("commit bronze: %w", err)
	}
	// Another process ingested some of these files at the same time:
	// their rows must not land twice. Re-read and report it.
	fresh, ferr := snap.Table().Snapshot(ctx)
	if ferr != nil {
		return nil, fmt.Errorf("commit bronze: %w", err)
	}
	var done []string
	for _, fr := range results {
		if v, ok := fresh.TxnVersion(AppID(fr.Path)); ok && v >= 1 {
			done = append(done, fr.Path)
		}
	}
	return nil, fmt.Errorf("ingest: %d file(s) were ingested concurrently by another process (%s); nothing of this group was committed, run ingest again to add the rest", len(done), strings.Join(done, ", "))
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// jsonStrings renders v as a JSON array of strings.
func jsonStrings(v []string) []byte {
	out := []byte{'['}
	for i, s := range v {
		if i > 0 {
			out = append(out, ',')
		}
		out = column.AppendJSONString(out, s)
	}
	return append(out, ']')
}
