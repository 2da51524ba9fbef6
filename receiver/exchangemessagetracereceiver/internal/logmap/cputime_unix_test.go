//go:build unix

package logmap

import "syscall"

// processCPUTime is the CPU time (user and system) the test process has
// used, garbage collection included, in nanoseconds. Unlike wall time it
// does not grow while other processes hold the CPU.
func processCPUTime() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
