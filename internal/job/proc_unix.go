//go:build unix

package job

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processAlive reports whether a process with this PID exists and is not a
// zombie (killed, not yet reaped by its parent); known is false when the OS
// would not say.
func processAlive(pid int) (alive, known bool) {
	err := syscall.Kill(pid, 0)
	switch {
	case err == nil, errors.Is(err, syscall.EPERM):
		if _, state := procStat(pid); state == "Z" || state == "X" {
			return false, true
		}
		return true, true
	case errors.Is(err, syscall.ESRCH):
		return false, true
	}
	return false, false
}

// processStart returns the process start time in clock ticks since boot from
// /proc/PID/stat, or "" where /proc does not exist.
func processStart(pid int) string {
	start, _ := procStat(pid)
	return start
}

// procStat returns fields 22 (start time) and 3 (state) of /proc/PID/stat,
// or empty strings.
func procStat(pid int) (start, state string) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", ""
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return "", ""
	}
	return fields[19], fields[0]
}
