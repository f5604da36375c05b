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
	"time"

	"github.com/google/uuid"

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
	ingestTS := now().UnixMicro()
	for len(files) > 0 {
		// Next group: skip files already ingested, take files up to GroupBytes.
		var group []string
		var size int64
		for len(files) > 0 && (len(group) == 0 || size < opts.GroupBytes) {
			f := files[0]
			files = files[1:]
			if v, ok := snap.TxnVersion(AppID(f)); ok && v >= 1 {
				fr := FileResult{Path: f, Skipped: true}
				res.Files = append(res.Files, fr)
				if opts.Progress != nil {
					opts.Progress(fr)
				}
				continue
			}
			st, err := os.Stat(f)
			if err != nil {
				return res, fmt.Errorf("ingest: %w", err)
			}
			group = append(group, f)
			size += st.Size()
		}
		if len(group) == 0 {
			break
		}
		next, results, err := ingestGroup(ctx, snap, idindex.Bronze(wh.Root(), snap), group, ingestTS, res.BatchID, opts)
		if err != nil {
			return res, err
		}
		snap = next
		res.Versions = append(res.Versions, next.Version())
		for _, fr := range results {
			res.Files = append(res.Files, fr)
			res.Rows += fr.Rows
			res.Bytes += fr.Bytes
			if opts.Progress != nil {
				opts.Progress(fr)
			}
		}
	}
	return res, nil
}

func ingestGroup(ctx context.Context, snap *delta.Snapshot, x *idindex.Index, group []string, ingestTS int64, batchID string, opts IngestOptions) (*delta.Snapshot, []FileResult, error) {
	adds, results, err := writePieces(ctx, snap, x, group, ingestTS, batchID, opts)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		tx := snap.NewTransaction("WRITE")
		tx.SetParameter("mode", "Append")
		tx.SetParameter("ingest_batch_id", batchID)
		tx.SetParameterJSON("sources", jsonStrings(group))
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
			return next, results, nil
		}
		var ce *delta.ConflictError
		if !errors.As(err, &ce) || ce.Kind != "ConcurrentTransaction" || attempt > 0 {
			return nil, nil, fmt.Errorf("commit bronze: %w", err)
		}
		// Another process ingested some of these files at the same time:
		// their rows must not land twice. Re-read and report it.
		fresh, ferr := snap.Table().Snapshot(ctx)
		if ferr != nil {
			return nil, nil, fmt.Errorf("commit bronze: %w", err)
		}
		var done []string
		for _, fr := range results {
			if v, ok := fresh.TxnVersion(AppID(fr.Path)); ok && v >= 1 {
				done = append(done, fr.Path)
			}
		}
		return nil, nil, fmt.Errorf("ingest: %d file(s) were ingested concurrently by another process (%s); nothing of this group was committed, run ingest again to add the rest", len(done), strings.Join(done, ", "))
	}
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
