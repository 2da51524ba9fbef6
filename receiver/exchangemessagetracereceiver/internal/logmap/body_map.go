package logmap

import "go.opentelemetry.io/collector/pdata/pcommon"

// mapWriter puts a body's fields into a pcommon.Map.
type mapWriter struct {
	m pcommon.Map
}

func (w *mapWriter) str(k, v string) { w.m.PutStr(k, v) }

// null leaves the value empty: the OTLP form of JSON's null.
func (w *mapWriter) null(k string) { w.m.PutEmpty(k) }

func (w *mapWriter) int(k string, v int64) { w.m.PutInt(k, v) }
