// Package benchutil holds what the receiver's benchmarks share: per-row
// costs measured in the process's CPU time. Only tests import it.
package benchutil

import (
	"runtime"
	"testing"
	"time"
)

// MeasureRows runs page once per iteration and reports per-row costs:
// wall ns, process CPU ns (garbage collection included; steadier than wall
// time on a shared machine), rows per CPU-second (rows per second per
// core), allocations and bytes.
func MeasureRows(b *testing.B, rows int, page func()) {
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, cpuOK := ProcessCPU()
	for b.Loop() {
		page()
	}
	cpu1, ok := ProcessCPU()
	runtime.ReadMemStats(&ms1)
	total := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
	if ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/total, "cpu-ns/row")
		b.ReportMetric(total/time.Duration(cpu1-cpu0).Seconds(), "rows/cpu-s")
	}
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/row")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/total, "B/row")
}
