package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is one process to run and measure.
type child struct {
	argv []string
	dir  string   // working folder; "" for ours
	env  []string // added to the environment
	// discardStdout sends stdout to /dev/null instead of capturing it (cat).
	discardStdout bool
}

// measurement is what the kernel and /proc say about one child run.
type measurement struct {
	Wall       time.Duration
	CPU        time.Duration // user + system, of the child and its waited-for descendants
	MaxRSS     int64         // bytes; the largest of the child and its descendants
	Load       loadavg       // at start
	OtherCores float64       // average cores busy in other processes while it ran; -1 if unknown
	Stdout     []byte
	StderrTail string
}

// childError reports a failed child precisely enough to act on: the command,
// how it ended, and the end of what it wrote on stderr.
type childError struct {
	argv   []string
	err    error
	stderr string
}

func (e *childError) Error() string {
	msg := fmt.Sprintf("%s: %v", strings.Join(e.argv, " "), e.err)
	if t := errorText(e.stderr); t != "" {
		msg += ": " + t
	}
	return msg
}

func (e *childError) Unwrap() error { return e.err }

// run starts c, waits for it and measures it. The child gets its own process
// group so that canceling ctx kills its descendants too (run.sh starts node).
// The measurement is returned with the error when the child fails, so that a
// failure still reports how long it ran and how much memory it had taken.
func run(ctx context.Context, c child) (measurement, error) {
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Dir = c.dir
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	tail := &tailBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = io.Writer(&out), io.Writer(tail)
	if c.discardStdout {
		cmd.Stdout = nil
	}

	m := measurement{Load: readLoadavg(), OtherCores: -1}
	busy0 := hostBusySeconds()
	start := time.Now()
	err := cmd.Run()
	m.Wall = time.Since(start)
	busy1 := hostBusySeconds()
	m.Stdout, m.StderrTail = out.Bytes(), tail.String()
	if ps := cmd.ProcessState; ps != nil {
		m.CPU = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			m.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	if busy0 >= 0 && busy1 >= 0 && m.Wall > 0 {
		m.OtherCores = max(0, (busy1-busy0-m.CPU.Seconds())/m.Wall.Seconds())
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return m, &childError{argv: c.argv, err: err, stderr: m.StderrTail}
	}
	return m, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

// errorText picks what explains a failure from a child's stderr: the last
// line that names an error (lakehouse prints one "lakehouse: ..." line; node
// prints a stack around "[Error: ...]"), else the last lines.
func errorText(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "lakehouse:") || strings.Contains(l, "Error") || strings.Contains(l, "error:") {
			return l
		}
	}
	return lastLines(stderr, 4)
}

// lastLines returns the last n non-empty lines of s joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
