package testenv

import (
	"testing"
	"time"
)

// CPUMeter measures the CPU time (user + system, every goroutine and the
// garbage collector) the process uses from StartCPU on. Benchmarks report
// it next to wall-clock time: on a machine shared with other work, CPU time
// per row is the steadier figure.
type CPUMeter struct {
	start time.Duration
	ok    bool
}

// StartCPU starts a CPUMeter.
func StartCPU() CPUMeter {
	d, ok := processCPU()
	return CPUMeter{d, ok}
}

// Used returns the CPU time used since StartCPU; ok is false where the
// platform cannot tell.
func (m CPUMeter) Used() (time.Duration, bool) {
	end, ok := processCPU()
	if !m.ok || !ok {
		return 0, false
	}
	return end - m.start, true
}

// ReportNsPer adds the CPU nanoseconds used since StartCPU per n units
// (rows, lines) to b as the metric unit, e.g. "cpu-ns/row". Nothing is
// reported where CPU time is unavailable or n is not positive.
func (m CPUMeter) ReportNsPer(b *testing.B, n int64, unit string) {
	if d, ok := m.Used(); ok && n > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(n), unit)
	}
}
