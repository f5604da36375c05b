//go:build !unix

package testenv

import "time"

// processCPU is not available here; benchmarks then leave the CPU metric out.
func processCPU() (time.Duration, bool) { return 0, false }
