package detailevents

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
)

// appendJSON appends v as JSON, maps in their order: `body_format: json`
// writes the map body built for `map`, so the two formats cannot disagree.
// It knows the value types a body holds (string, int, empty, map, slice);
// others are written as their string form.
func appendJSON(buf []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return append(buf, "null"...)
	case pcommon.ValueTypeInt, pcommon.ValueTypeBool, pcommon.ValueTypeDouble:
		return append(buf, v.AsString()...)
	case pcommon.ValueTypeMap:
		buf = append(buf, '{')
		first := true
		for k, e := range v.Map().All() {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = logmap.AppendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendJSON(buf, e)
		}
		return append(buf, '}')
	case pcommon.ValueTypeSlice:
		buf = append(buf, '[')
		for i, e := range v.Slice().All() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, e)
		}
		return append(buf, ']')
	}
	return logmap.AppendJSONString(buf, v.AsString())
}
