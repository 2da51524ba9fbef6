//go:build unix

package benchutil

import "syscall"

// ProcessCPU is the CPU time (user and system) the process has used,
// garbage collection included, in nanoseconds. Unlike wall time it does not
// grow while other processes hold the CPU.
func ProcessCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
