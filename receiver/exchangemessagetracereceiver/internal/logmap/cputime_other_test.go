//go:build !unix

package logmap

func processCPUTime() (int64, bool) { return 0, false }
