package logmap

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/benchutil"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// pageRows is how many records a benchmark puts in one slice before starting
// a new one, as the receiver does with one page of the API.
const pageRows = 1000

// benchRows runs append once per iteration into page-sized slices, so the
// numbers include the record's share of the slice, as in the receiver. It
// also reports cpu-ns/op, the process's CPU time per row (garbage collection
// included): steadier than ns/op on a shared machine, and closer to the cost
// that matters.
func benchRows(b *testing.B, appendRow func(lrs plog.LogRecordSlice)) {
	b.ReportAllocs()
	lrs := plog.NewLogRecordSlice()
	cpuStart, cpuOK := benchutil.ProcessCPU()
	for i := 0; b.Loop(); i++ {
		if i%pageRows == 0 {
			lrs = plog.NewLogRecordSlice()
			lrs.EnsureCapacity(pageRows)
		}
		appendRow(lrs)
	}
	if cpuEnd, ok := benchutil.ProcessCPU(); ok && cpuOK {
		b.ReportMetric(float64(cpuEnd-cpuStart)/float64(b.N), "cpu-ns/op")
	}
}

// Run with:
//
//	go test ./receiver/exchangemessagetracereceiver/internal/logmap/ -run XXX -bench . -benchmem
func BenchmarkAppend(b *testing.B) {
	sources := []struct {
		name string
		f    fixture
	}{
		{"graph_row", graphRows[1]},
		{"legacy_row", legacyExtraRows[0]},
	}
	for _, src := range sources {
		src.f.previousStatus = ""
		for _, names := range []FieldNames{FieldNamesAPI, FieldNamesGraph, FieldNamesLegacy} {
			for _, format := range []BodyFormat{BodyMap, BodyJSON} {
				b.Run(src.name+"/"+names.String()+"_names/"+format.String(), func(b *testing.B) {
					m := New(Options{FieldNames: names, BodyFormat: format, Organization: "contoso.onmicrosoft.com"})
					benchRows(b, func(lrs plog.LogRecordSlice) {
						m.Append(lrs, &src.f.row, src.f.api, observedAt, "")
					})
				})
			}
		}
	}
}

// BenchmarkRecordSetup is the floor Append's JSON mode without rename is
// measured against: the same record setup, and the body set from the row's
// bytes, without the mapper.
func BenchmarkRecordSetup(b *testing.B) {
	row := &graphRows[1].row
	b.Run("no_body", func(b *testing.B) {
		benchRows(b, func(lrs plog.LogRecordSlice) { setupOnly(lrs, row) })
	})
	b.Run("raw_body", func(b *testing.B) {
		benchRows(b, func(lrs plog.LogRecordSlice) { setupOnly(lrs, row).Body().SetStr(string(row.Raw)) })
	})
}

func setupOnly(lrs plog.LogRecordSlice, row *msgtrace.Row) plog.LogRecord {
	lr := lrs.AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(row.Received))
	lr.SetObservedTimestamp(observedAt)
	lr.SetEventName(EventName)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText(row.Status)
	lr.Attributes().PutStr(AttributeStatus, "delivered")
	return lr
}

// BenchmarkSourceAddressAttribute measures what a `source.address` attribute
// (fromIP) would add to each record; see FIELDS.md for why it is not set.
func BenchmarkSourceAddressAttribute(b *testing.B) {
	f := graphRows[1]
	for _, format := range []BodyFormat{BodyMap, BodyJSON} {
		m := New(Options{BodyFormat: format})
		b.Run(format.String()+"/without", func(b *testing.B) {
			benchRows(b, func(lrs plog.LogRecordSlice) { m.Append(lrs, &f.row, f.api, observedAt, "") })
		})
		b.Run(format.String()+"/with", func(b *testing.B) {
			benchRows(b, func(lrs plog.LogRecordSlice) {
				m.Append(lrs, &f.row, f.api, observedAt, "")
				lrs.At(lrs.Len()-1).Attributes().PutStr("source.address", f.row.FromIP)
			})
		})
	}
}
