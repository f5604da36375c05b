package job

import (
	"os"
	"time"
)

// self returns the Runner identity of this process.
func self() Runner {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return Runner{Host: host, PID: pid, Start: processStart(pid)}
}

// runnerAlive reports whether the process that runs a run is still there.
// On this host the OS answers (the PID exists and, where the OS tells, it
// started when the runner did); for a runner on another host sharing the
// history, a heartbeat younger than staleAfter does.
func runnerAlive(r, me Runner, now time.Time, staleAfter time.Duration) bool {
	if r.PID == 0 {
		return false
	}
	if r.Host == me.Host {
		if r.PID == me.PID {
			return r.Start == me.Start
		}
		alive, known := processAlive(r.PID)
		if known {
			if !alive {
				return false
			}
			if r.Start != "" {
				if start := processStart(r.PID); start != "" && start != r.Start {
					return false // the PID was recycled
				}
			}
			return true
		}
	}
	return !r.Heartbeat.IsZero() && now.Sub(r.Heartbeat) < staleAfter
}
