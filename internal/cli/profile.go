package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

var cpuProfileFile, traceFile *os.File

func (e *env) startProfiles() error {
	var err error
	if e.trace != "" {
		if traceFile, err = startToFile(e.trace, "execution trace", trace.Start); err != nil {
			return err
		}
	}
	if e.cpuprof != "" {
		if cpuProfileFile, err = startToFile(e.cpuprof, "cpu profile", pprof.StartCPUProfile); err != nil {
			return err
		}
	}
	return nil
}

// startToFile creates path and starts what (a trace or a profile) writing
// to it.
func startToFile(path, what string, start func(io.Writer) error) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return f, nil
}

func (e *env) stopProfiles() error {
	if traceFile != nil {
		trace.Stop()
		traceFile.Close()
		traceFile = nil
	}
	if cpuProfileFile != nil {
		pprof.StopCPUProfile()
		cpuProfileFile.Close()
		cpuProfileFile = nil
	}
	if e.memprof != "" {
		f, err := os.Create(e.memprof)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		defer f.Close()
		runtime.GC()
		return pprof.WriteHeapProfile(f)
	}
	return nil
}
