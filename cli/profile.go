package cli

import (
	"os"
	"runtime/pprof"
)

// profile writes CPU and heap profiles for performance work
// (OPSDECK_CPUPROFILE, OPSDECK_MEMPROFILE; see docs/PERFORMANCE.md).
func profile(cpuPath, memPath string) (stop func()) {
	var cpu *os.File
	if cpuPath != "" {
		if f, err := os.Create(cpuPath); err == nil && pprof.StartCPUProfile(f) == nil {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if memPath != "" {
			if f, err := os.Create(memPath); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}
