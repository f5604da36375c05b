//go:build !unix

package delta

import "time"

// processCPU is not available here; benchmarks then skip the CPU metric.
func processCPU() (time.Duration, bool) { return 0, false }
