//go:build !unix

package benchutil

// ProcessCPU is not measured here.
func ProcessCPU() (int64, bool) { return 0, false }
