package delta

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta/deltatest"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/faultstore"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// crashOp is a write whose every storage operation the sweep crashes at.
type crashOp struct {
	name string
	run  func(ctx context.Context, s *Snapshot) error
}

var crashOps = []crashOp{
	{"append", func(ctx context.Context, s *Snapshot) error {
		_, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), 20000, "n1", "n2"), eventsBatch(s.Schema(), 20002, "n3")), CommitOptions{AppID: "crash", AppVersion: 9})
		return err
	}},
	{"replaceWhere", func(ctx context.Context, s *Snapshot) error {
		_, err := s.ReplaceWhere(ctx, Eq("day", int64(20001)), Batches(eventsBatch(s.Schema(), 20001, "r1")), CommitOptions{})
		return err
	}},
	{"merge", func(ctx context.Context, s *Snapshot) error {
		_, err := s.Merge(ctx, eventsBatch(s.Schema(), 20000, "a0", "m1"), MergeOptions{Keys: []string{"id"}})
		return err
	}},
}

// crashBase writes versions 0..2 of a table partitioned by day; with
// CheckpointInterval 3 the commit under test (version 3) also writes a
// checkpoint and _last_checkpoint.
func crashBase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tbl := localTable(t, dir, Options{CheckpointInterval: 3})
	s, err := tbl.Create(context.Background(), CreateOptions{Schema: eventsSchema(), PartitionColumns: []string{"day"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, day := range []int64{20000, 20001} {
		r, err := s.Append(context.Background(), Batches(eventsBatch(s.Schema(), day, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))), CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	return dir
}

// runWithFaults copies base, opens it through a faultstore, loads the
// snapshot, installs rules and runs op. It returns the table directory,
// op's error and the operations op performed.
func runWithFaults(t *testing.T, base string, op crashOp, rules ...faultstore.Rule) (string, error, []faultstore.Record) {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, base, dir)
	inner, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fst := faultstore.New(inner)
	s, err := Open(fst, Options{CheckpointInterval: 3}).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fst.ResetLog()
	if err := fst.Inject(rules...); err != nil {
		t.Fatal(err)
	}
	err = op.run(context.Background(), s)
	return dir, err, fst.Log()
}

// TestCrashAtEveryStep crashes the store before and after each storage
// operation of a commit (data file create/write/close, the put-if-absent
// of the commit, the checkpoint, _last_checkpoint). Reopened, the table
// must be at the old or the new version, never in between, with exactly
// that version's rows, and pass the conformance check; a write that
// reported success must be there.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	base := crashBase(t)
	oldRows, err := scanRows(t, mustSnapshot(t, localTable(t, base, Options{})))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range crashOps {
		t.Run(op.name, func(t *testing.T) {
			dir, err, ops := runWithFaults(t, base, op)
			if err != nil {
				t.Fatal(err)
			}
			newSnap := mustSnapshot(t, localTable(t, dir, Options{}))
			newRows, err := scanRows(t, newSnap)
			if err != nil || newSnap.Version() != 3 {
				t.Fatalf("fault-free run: v%d, %v", newSnap.Version(), err)
			}
			var trace []string
			for _, r := range ops {
				if r.Op != faultstore.OpWrite && r.Op != faultstore.OpReadAt {
					trace = append(trace, r.String())
				}
			}
			t.Logf("%d storage operations; without writes and ranged reads:\n%s", len(ops), strings.Join(trace, "\n"))
			for _, action := range []faultstore.Action{faultstore.CrashBefore, faultstore.CrashAfter} {
				landed := 0
				for n := 1; n <= len(ops); n++ {
					dir, opErr, _ := runWithFaults(t, base, op, faultstore.Rule{Nth: n, Action: action})
					where := fmt.Sprintf("%s at operation %d (%s)", action, n, ops[n-1])
					s, err := localTable(t, dir, Options{}).Snapshot(ctx)
					if err != nil {
						t.Errorf("%s: table does not load: %v", where, err)
						continue
					}
					rows, err := scanRows(t, s)
					if err != nil {
						t.Errorf("%s: scan v%d: %v", where, s.Version(), err)
						continue
					}
					switch s.Version() {
					case 2:
						if opErr == nil {
							t.Errorf("%s: the write reported success but the table is at version 2", where)
						}
						if diff := cmp.Diff(oldRows, rows); diff != "" {
							t.Errorf("%s: v2 rows (-want +got):\n%s", where, diff)
						}
					case 3:
						landed++
						if diff := cmp.Diff(newRows, rows); diff != "" {
							t.Errorf("%s: v3 rows (-want +got):\n%s", where, diff)
						}
					default:
						t.Errorf("%s: table at version %d, want 2 or 3", where, s.Version())
					}
					if probs := deltatest.Validate(ctx, dir); len(probs) > 0 {
						t.Errorf("%s: %d conformance problems, first: %s", where, len(probs), probs[0])
					}
				}
				if landed == 0 || landed == len(ops) {
					t.Errorf("%s: the commit landed in %d of %d crash points; the sweep missed the commit point", action, landed, len(ops))
				}
			}
		})
	}
}

// helperCommitLoop appends rowsPerCommit rows per commit until killed. It
// prints "ready" once the table is open.
func helperCommitLoop(tbl *Table) error {
	ctx := context.Background()
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, "ready")
	for seq := 0; ; seq++ {
		r, err := s.Append(ctx, Batches(raceBatch(s.Schema(), int(s.Version()), seq)), CommitOptions{})
		if err != nil {
			return err
		}
		s = r.Snapshot
	}
}

// TestKilledWriter SIGKILLs a process that commits in a loop at random
// instants. After every kill the table loads, holds exactly
// (version × rowsPerCommit) distinct rows, and at the end the conformance
// check passes (checkpoints and _last_checkpoint included).
func TestKilledWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(st, Options{}).Create(ctx, CreateOptions{Schema: raceSchema()}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d", seed)
	const trials = 30
	budget := time.Now().Add(12 * time.Second)
	prev := int64(0)
	for trial := 0; trial < trials && time.Now().Before(budget); trial++ {
		cmd, ready := startLoopHelper(t, dir)
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("trial %d: helper ended with %v before it was killed (ready=%v)", trial, err, ready)
		}
		s, err := Open(st, Options{}).Snapshot(ctx)
		if err != nil {
			t.Fatalf("trial %d: table does not load after the kill: %v", trial, err)
		}
		rows, err := scanRows(t, s)
		if err != nil {
			t.Fatalf("trial %d: scan v%d: %v", trial, s.Version(), err)
		}
		if int64(len(rows)) != s.Version()*rowsPerCommit {
			t.Fatalf("trial %d: v%d holds %d rows, want %d", trial, s.Version(), len(rows), s.Version()*rowsPerCommit)
		}
		t.Logf("trial %d: killed at v%d (+%d commits)", trial, s.Version(), s.Version()-prev)
		prev = s.Version()
	}
	if prev < 10 {
		t.Errorf("only %d commits landed in all trials: the kills came too early to test anything", prev)
	}
	deltatest.Check(t, dir)
	s := mustSnapshot(t, Open(st, Options{}))
	ids := map[string]bool{}
	sc, err := s.Scan(ScanOptions{Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			if ids[b.Cols[0].Str(r)] {
				return fmt.Errorf("row %s is in the table twice", b.Cols[0].Str(r))
			}
			ids[b.Cols[0].Str(r)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startLoopHelper starts a commit-loop helper and waits until it has
// opened the table.
func startLoopHelper(t *testing.T, dir string) (*exec.Cmd, bool) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=commit-loop", envRoot+"="+dir, envSync+"=1", envID+"="+strconv.Itoa(0))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	return cmd, err == nil && line == "ready\n"
}

// TestLostCommitReply: the put-if-absent of the commit takes effect but its
// reply is lost (faultstore.FailAfter), or it fails without effect. The
// storage contract says the outcome of such an error is unknown and the
// committer must look: a write whose commit landed reports success, one
// whose commit did not reports the error, and the table agrees.
func TestLostCommitReply(t *testing.T) {
	base := crashBase(t)
	for _, op := range crashOps {
		for _, tc := range []struct {
			action  faultstore.Action
			version int64
		}{{faultstore.FailAfter, 3}, {faultstore.Fail, 2}} {
			t.Run(op.name+"/"+tc.action.String(), func(t *testing.T) {
				dir, err, _ := runWithFaults(t, base, op, faultstore.Rule{
					Ops: []faultstore.Op{faultstore.OpPutIfAbsent}, Name: "_delta_log/*.json", Nth: 1, Action: tc.action})
				s := mustSnapshot(t, localTable(t, dir, Options{}))
				if s.Version() != tc.version {
					t.Fatalf("table at v%d, want v%d", s.Version(), tc.version)
				}
				if landed := s.Version() == 3; landed != (err == nil) {
					t.Errorf("commit landed=%v but the write returned %v", landed, err)
				}
				if err != nil && !errors.Is(err, faultstore.ErrInjected) {
					t.Errorf("err = %v, want the injected fault", err)
				}
				deltatest.Check(t, dir)
			})
		}
	}
}
