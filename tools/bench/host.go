package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// userHZ is the unit of the CPU counters in /proc/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// machine describes the host a report came from.
type machine struct {
	CPUs          int    `json:"nproc"`
	CPUModel      string `json:"cpu_model"`
	MemTotalBytes int64  `json:"mem_total_bytes"`
	Kernel        string `json:"kernel"`
	GoVersion     string `json:"go_version"`
	DuckDBVersion string `json:"duckdb_version,omitempty"`
}

// readMachine reads what it can; unknown fields stay empty.
func readMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = parseCPUModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotalBytes, _ = parseMemTotal(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// parseCPUModel returns the first "model name" of /proc/cpuinfo.
func parseCPUModel(cpuinfo string) string {
	sc := bufio.NewScanner(strings.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// parseMemTotal returns MemTotal of /proc/meminfo in bytes.
func parseMemTotal(meminfo string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("meminfo MemTotal %q: %w", f[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("meminfo: no MemTotal: %w", errBadOutput)
}

// loadavg is the 1, 5 and 15 minute load averages.
type loadavg [3]float64

func (l loadavg) String() string { return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2]) }

// readLoadavg reads /proc/loadavg; on error it returns zeros, since a missing
// load average must not stop a measurement.
func readLoadavg() loadavg {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return loadavg{}
	}
	l, _ := parseLoadavg(string(b))
	return l
}

func parseLoadavg(s string) (loadavg, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return loadavg{}, fmt.Errorf("loadavg %q: %w", s, errBadOutput)
	}
	var l loadavg
	for i := range l {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return loadavg{}, fmt.Errorf("loadavg field %d: %w", i+1, err)
		}
		l[i] = v
	}
	return l, nil
}

// hostBusySeconds is the CPU time all processes of the host have spent busy,
// from /proc/stat (user+nice+system+irq+softirq+steal, as the DuckDB reference
// counts it), or -1 if it cannot be read.
func hostBusySeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	s, err := parseHostBusy(string(b))
	if err != nil {
		return -1
	}
	return s
}

func parseHostBusy(stat string) (float64, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat first line %q: %w", line, errBadOutput)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat field %d: %w", i, err)
		}
		busy += v
	}
	return float64(busy) / userHZ, nil
}

// freeBytes is the space available to this user on the file system of path.
func freeBytes(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
