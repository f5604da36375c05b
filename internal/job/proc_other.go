//go:build !unix

package job

// processAlive cannot ask the OS here; heartbeats decide.
func processAlive(pid int) (alive, known bool) { return false, false }

func processStart(pid int) string { return "" }
