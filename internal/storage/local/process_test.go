package local_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// Child processes read their parameters from these variables.
const (
	envRoot   = "LAKEHOUSE_HELPER_ROOT"
	envID     = "LAKEHOUSE_HELPER_ID"
	envStart  = "LAKEHOUSE_HELPER_START" // Unix nanoseconds of round 0
	envRounds = "LAKEHOUSE_HELPER_ROUNDS"
)

// roundGap separates the shared start times of two race rounds; it is far
// longer than one PutIfAbsent, so every process is waiting when a round
// starts.
const roundGap = 15 * time.Millisecond

func runHelper(role string) error {
	s, err := local.New(os.Getenv(envRoot), local.Options{})
	if err != nil {
		return err
	}
	switch role {
	case "race":
		return helperRace(s)
	case "crash":
		return helperCrash(s)
	}
	return fmt.Errorf("unknown helper role %q", role)
}

func racePayload(id, round int) []byte {
	return fmt.Appendf(nil, "process %d round %d %s", id, round, strings.Repeat("x", 1000*id+round))
}

// helperRace tries PutIfAbsent on the name of each round at the round's
// shared start time and prints "round winner|loser".
func helperRace(s *local.Store) error {
	id, _ := strconv.Atoi(os.Getenv(envID))
	rounds, _ := strconv.Atoi(os.Getenv(envRounds))
	startNS, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		return err
	}
	start := time.Unix(0, startNS)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintf(out, "lead %d\n", time.Until(start).Milliseconds())
	for round := range rounds {
		time.Sleep(time.Until(start.Add(time.Duration(round) * roundGap)))
		name := fmt.Sprintf("t/_delta_log/%020d.json", round)
		err := s.PutIfAbsent(context.Background(), name, racePayload(id, round))
		switch {
		case err == nil:
			fmt.Fprintf(out, "%d winner\n", round)
		case errors.Is(err, storage.ErrExist):
			fmt.Fprintf(out, "%d loser\n", round)
		default:
			return err
		}
	}
	return nil
}

// TestMultiProcessPutIfAbsent runs 8 processes that race PutIfAbsent on the
// same names for 50 rounds: each round has exactly one winner, and the
// object holds the winner's bytes.
func TestMultiProcessPutIfAbsent(t *testing.T) {
	const procs, rounds = 8, 50
	root := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(400 * time.Millisecond) // time for all to start
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for id := range procs {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(),
			helperEnv+"=race", envRoot+"="+root, envID+"="+strconv.Itoa(id),
			envStart+"="+strconv.FormatInt(start.UnixNano(), 10), envRounds+"="+strconv.Itoa(rounds))
		outs[id] = new(bytes.Buffer)
		cmd.Stdout = outs[id]
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[id] = cmd
	}
	for id, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v", id, err)
		}
	}
	winners := make([][]int, rounds)
	for id, out := range outs {
		lines := strings.Fields(strings.ReplaceAll(out.String(), " ", "_"))
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "lead_") {
			t.Fatalf("process %d output has no lead line:\n%s", id, out)
		}
		// A process that started after the shared start time (negative
		// lead) still races, only with less overlap in the first rounds.
		t.Logf("process %d was ready %s ms before the start", id, strings.TrimPrefix(lines[0], "lead_"))
		lines = lines[1:]
		if len(lines) != rounds {
			t.Fatalf("process %d reported %d rounds, want %d:\n%s", id, len(lines), rounds, out)
		}
		for round, line := range lines {
			if want := strconv.Itoa(round) + "_"; !strings.HasPrefix(line, want) {
				t.Fatalf("process %d line %d = %q, want round %d", id, round, line, round)
			}
			if strings.HasSuffix(line, "_winner") {
				winners[round] = append(winners[round], id)
			}
		}
	}
	s, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for round, ids := range winners {
		if len(ids) != 1 {
			t.Errorf("round %d: winners %v, want exactly one", round, ids)
			continue
		}
		got, err := s.Get(t.Context(), fmt.Sprintf("t/_delta_log/%020d.json", round))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !bytes.Equal(got, racePayload(ids[0], round)) {
			t.Errorf("round %d: object holds %.40q, want the winner's (process %d)", round, got, ids[0])
		}
	}
	infos, err := s.List(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != rounds {
		t.Errorf("List found %d objects, want %d", len(infos), rounds)
	}
	if tmp := tempFiles(t, root); len(tmp) != 0 {
		t.Errorf("temporary files left by processes that exited normally: %v", tmp)
	}
}

// tempFiles returns the temporary files under root.
func tempFiles(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".lakehouse-tmp-") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// sealed returns an object of n bytes that carries its own checksum: a
// 8-byte length, a body, and the SHA-256 of both. A truncated, padded or
// mixed object fails verify.
func sealed(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n+8)
	binary.LittleEndian.PutUint64(b, uint64(n))
	for i := 8; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func verify(b []byte) error {
	if len(b) < 8+sha256.Size {
		return fmt.Errorf("only %d bytes", len(b))
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if n := binary.LittleEndian.Uint64(body); n != uint64(len(body)-8) {
		return fmt.Errorf("length field %d, body %d bytes", n, len(body)-8)
	}
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return errors.New("checksum mismatch")
	}
	return nil
}

// helperCrash writes sealed objects forever, by streamed Create, by Put over
// a fixed name and by PutIfAbsent of new names, until it is killed. It
// prints "ready" once it has started.
func helperCrash(s *local.Store) error {
	id, _ := strconv.Atoi(os.Getenv(envID))
	ctx := context.Background()
	fmt.Println("ready")
	for seq := uint64(0); ; seq++ {
		data := sealed(uint64(id)<<32|seq, 64<<10+int(seq%7)*40<<10)
		switch seq % 3 {
		case 0:
			w, err := s.Create(ctx, "crash/streamed.bin")
			if err != nil {
				return err
			}
			for off := 0; off < len(data); off += 4096 {
				if _, err := w.Write(data[off:min(off+4096, len(data))]); err != nil {
					return err
				}
			}
			if err := w.Close(); err != nil {
				return err
			}
		case 1:
			if err := s.Put(ctx, "crash/put.bin", data); err != nil {
				return err
			}
		case 2:
			if err := s.PutIfAbsent(ctx, fmt.Sprintf("crash/pia/%d-%d.bin", id, seq), data); err != nil {
				return err
			}
		}
	}
}

// TestCrashLeavesNoPartialObject kills writer processes with SIGKILL at
// random moments; every object visible afterwards must be whole.
func TestCrashLeavesNoPartialObject(t *testing.T) {
	const kills = 30
	root := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	s, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(8 * time.Second)
	for i := 0; i < kills && time.Now().Before(deadline); i++ {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), helperEnv+"=crash", envRoot+"="+root, envID+"="+strconv.Itoa(i))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child %d did not start: %q, %v; stderr:\n%s", i, line, err, stderr.String())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(40 * time.Millisecond))))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, stdout)
		err = cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Exited() {
			t.Fatalf("child %d ended by itself (%v), not by the kill; stderr:\n%s", i, err, stderr.String())
		}
		checkWhole(t, s)
	}
	infos, err := s.List(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	left := len(tempFiles(t, root))
	t.Logf("%d objects checked; %d temporary files left by killed writers", len(infos), left)
	if left == 0 {
		// Writers spend nearly all their time mid-write, so this means
		// the kills did not land where the test needs them.
		t.Errorf("no kill interrupted a write; the test checked nothing")
	}
}

func checkWhole(t *testing.T, s *local.Store) {
	t.Helper()
	infos, err := s.List(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		data, err := s.Get(t.Context(), info.Name)
		if err != nil {
			t.Fatalf("Get(%s) = %v", info.Name, err)
		}
		if err := verify(data); err != nil {
			t.Fatalf("partial object visible under %s: %v", info.Name, err)
		}
	}
}
