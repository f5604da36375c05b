package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

var cpuProfileFile, traceFile *os.File

func (e *env) startProfiles() error {
	if e.trace != "" {
		f, err := os.Create(e.trace)
		if err != nil {
			return fmt.Errorf("execution trace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return fmt.Errorf("execution trace: %w", err)
		}
		traceFile = f
	}
	if e.cpuprof == "" {
		return nil
	}
	f, err := os.Create(e.cpuprof)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	cpuProfileFile = f
	return nil
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
