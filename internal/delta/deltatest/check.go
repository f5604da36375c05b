package deltatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Code classifies a Problem, so tests can tell which rule a table broke.
type Code string

// The rules the checker enforces, one code per family.
const (
	CodeLog            Code = "log"             // _delta_log missing or holding names that are not ours
	CodeVersionGap     Code = "version-gap"     // commits are not contiguous from version 0
	CodeAction         Code = "action"          // a line is not one well-formed action
	CodeCommit         Code = "commit"          // per-commit rules (commit 0 content, duplicates)
	CodeProtocol       Code = "protocol"        // protocol versions and features
	CodeSchema         Code = "schema"          // schemaString, partitionColumns, configuration
	CodePath           Code = "path"            // add.path encoding and layout
	CodeMissingFile    Code = "missing-file"    // an added file is not on disk
	CodeSize           Code = "size"            // add.size differs from the file size
	CodePartition      Code = "partition"       // partitionValues keys and values
	CodeStats          Code = "stats"           // add.stats differ from the data
	CodeParquet        Code = "parquet"         // data file types, columns, nulls
	CodeRemove         Code = "remove"          // a remove names a file that is not live
	CodeCheckpoint     Code = "checkpoint"      // checkpoint layout or content
	CodeLastCheckpoint Code = "last-checkpoint" // _last_checkpoint hint
)

// Problem is one way the table breaks the protocol or the writer's promises.
type Problem struct {
	Code  Code
	Where string // the log entry or file: "commit 3 line 2", "file a=1/part-0.parquet"
	What  string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s [%s]", p.Where, p.What, p.Code) }

// Check validates the table at dir and reports every problem with t.Errorf.
// It returns the problems too.
func Check(t testing.TB, dir string) []Problem {
	t.Helper()
	probs := Validate(t.Context(), dir)
	for _, p := range probs {
		t.Errorf("deltatest: %s", p)
	}
	return probs
}

// Codes returns the distinct codes of probs, sorted.
func Codes(probs []Problem) []Code {
	var out []Code
	for _, p := range probs {
		if !slices.Contains(out, p.Code) {
			out = append(out, p.Code)
		}
	}
	slices.Sort(out)
	return out
}

// Validate checks the Delta table whose root is the local directory dir and
// returns its problems in the order found (nil when it conforms). It stops
// early, with a problem, only when ctx is done.
func Validate(ctx context.Context, dir string) []Problem {
	c := &checker{ctx: ctx, dir: dir, state: newState(), checkedFiles: map[string]bool{}, cpCounts: map[int64]checkpointCounts{}}
	c.run()
	return c.probs
}

// checker holds what one validation has found and the replayed table state.
type checker struct {
	ctx   context.Context
	dir   string
	probs []Problem

	commits      map[int64]string // version → file name in _delta_log
	checkpoints  map[int64]string // classic single-file checkpoints
	state        *state
	checkedFiles map[string]bool            // decoded paths whose data file was checked
	cpCounts     map[int64]checkpointCounts // checkpoints checkCheckpoint read, by version
}

func (c *checker) add(code Code, where, format string, args ...any) {
	c.probs = append(c.probs, Problem{Code: code, Where: where, What: fmt.Sprintf(format, args...)})
}

func (c *checker) logPath(name string) string { return filepath.Join(c.dir, "_delta_log", name) }

func (c *checker) run() {
	if !c.listLog() {
		return
	}
	versions := sortedKeys(c.commits)
	last := c.checkContiguous(versions)
	for v := int64(0); v <= last; v++ {
		if err := c.ctx.Err(); err != nil {
			c.add(CodeLog, "_delta_log", "validation stopped: %v", err)
			return
		}
		c.replayCommit(v)
		if name, ok := c.checkpoints[v]; ok {
			c.checkCheckpoint(v, name)
		}
	}
	newest := versions[len(versions)-1] // listLog found at least one commit
	for _, v := range sortedKeys(c.checkpoints) {
		if v > newest {
			c.add(CodeCheckpoint, "checkpoint "+fmt.Sprint(v), "checkpoint of version %d, newer than every commit", v)
		}
	}
	c.checkLastCheckpoint()
}

// listLog sorts the names in _delta_log into commits and checkpoints and
// reports names this writer never creates.
func (c *checker) listLog() bool {
	entries, err := os.ReadDir(filepath.Join(c.dir, "_delta_log"))
	if err != nil {
		c.add(CodeLog, "_delta_log", "cannot list the log: %v", err)
		return false
	}
	c.commits, c.checkpoints = map[int64]string{}, map[int64]string{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			continue // temporary files of writes in flight or killed (local store)
		case e.IsDir():
			c.add(CodeLog, "_delta_log/"+name, "unexpected directory in the log")
		case name == "_last_checkpoint":
		default:
			if v, ok := versionName(name, ".json"); ok {
				c.commits[v] = name
			} else if v, ok := versionName(name, ".checkpoint.parquet"); ok {
				c.checkpoints[v] = name
			} else if _, ok := versionName(name, ".crc"); ok {
				// a version checksum: optional, not produced by our writer yet
			} else {
				c.add(CodeLog, "_delta_log/"+name, "unexpected file in the log (not a commit, classic checkpoint, .crc or _last_checkpoint)")
			}
		}
	}
	if len(c.commits) == 0 {
		c.add(CodeVersionGap, "_delta_log", "no commit files")
		return false
	}
	return true
}

// versionName parses "<20 digits><suffix>".
func versionName(name, suffix string) (int64, bool) {
	if len(name) != 20+len(suffix) || !strings.HasSuffix(name, suffix) {
		return 0, false
	}
	var v int64
	for i := 0; i < 20; i++ {
		d := name[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (1<<63-1-int64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + int64(d-'0')
	}
	return v, true
}

// checkContiguous reports gaps and returns the last version of the
// contiguous run starting at 0 (-1 if there is no commit 0).
func (c *checker) checkContiguous(versions []int64) int64 {
	if versions[0] != 0 {
		c.add(CodeVersionGap, "_delta_log", "the log starts at version %d, not 0 (our writer never cleans up commits)", versions[0])
		return -1
	}
	last := int64(0)
	for _, v := range versions[1:] {
		if v != last+1 {
			c.add(CodeVersionGap, "_delta_log", "commits %s are missing: versions must be contiguous (replay stops at %d; later commits are not checked)", missingRange(last+1, v-1), last)
			return last
		}
		last = v
	}
	return last
}

func missingRange(a, b int64) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d..%d", a, b)
}

func sortedKeys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
