//go:build !unix

package gen

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
