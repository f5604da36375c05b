//go:build !unix

package reliability

import "os"

// killedBySignal reports whether the process was killed (Process.Kill
// makes it exit with code 1 on Windows).
func killedBySignal(ps *os.ProcessState) bool { return !ps.Success() }

// maxRSS is not measured on this OS.
func maxRSS(*os.ProcessState) int64 { return 0 }
