package logmap

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/strarena"
)

const (
	// EventName names every record this package writes.
	EventName = "exchange.message_trace"
	// AttributeStatus is the row's status in Graph's spelling, whichever
	// API sent it, so one query works for both.
	AttributeStatus = "exchange.message_trace.status"
	// AttributePreviousStatus is set only on a row emitted again because its
	// status changed: the status it was emitted with before (Graph spelling).
	AttributePreviousStatus = "exchange.message_trace.previous_status"
)

// Mapper turns rows into LogRecords. It reuses buffers between calls: use
// one Mapper per goroutine.
type Mapper struct {
	opts Options
	json jsonWriter
	body mapWriter
	// bodies backs the JSON bodies: one allocation per block of rows.
	bodies strarena.Arena
}

// New returns a Mapper for opts.
func New(opts Options) *Mapper {
	return &Mapper{opts: opts, json: jsonWriter{buf: make([]byte, 0, 1024)}}
}

// Append adds one LogRecord for row (from api) to lrs. observed is the
// collection time. previousStatus is non-empty when the row is emitted again
// because its status changed since it was first emitted.
func (m *Mapper) Append(lrs plog.LogRecordSlice, row *msgtrace.Row, api msgtrace.API, observed pcommon.Timestamp, previousStatus string) {
	lr := lrs.AppendEmpty()
	if !row.Received.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(row.Received))
	}
	lr.SetObservedTimestamp(observed)
	lr.SetEventName(EventName)

	st := describeStatus(row.Status)
	lr.SetSeverityNumber(st.severity)
	lr.SetSeverityText(row.Status)
	attrs := lr.Attributes()
	if previousStatus == "" {
		attrs.PutStr(AttributeStatus, st.graph)
	} else {
		attrs.EnsureCapacity(2)
		attrs.PutStr(AttributeStatus, st.graph)
		attrs.PutStr(AttributePreviousStatus, describeStatus(previousStatus).graph)
	}

	legacyNames := m.legacyNames(api)
	if m.opts.BodyFormat == BodyJSON {
		if row.Raw != nil && legacyNames == (api == msgtrace.APIReporting) {
			// The API's own bytes under the API's own names: nothing to encode.
			lr.Body().SetStr(m.bodies.Copy(row.Raw))
			return
		}
		m.json.begin()
		m.writeFields(&m.json, row, api, st, legacyNames)
		lr.Body().SetStr(m.bodies.Copy(m.json.end()))
		return
	}
	m.body.m = lr.Body().SetEmptyMap()
	if legacyNames {
		m.body.m.EnsureCapacity(legacyFieldCount)
	} else {
		m.body.m.EnsureCapacity(graphFieldCount)
	}
	m.writeFields(&m.body, row, api, st, legacyNames)
	m.body.m = pcommon.Map{} // keep no reference to the record
}

func (m *Mapper) legacyNames(api msgtrace.API) bool {
	switch m.opts.FieldNames {
	case FieldNamesGraph:
		return false
	case FieldNamesLegacy:
		return true
	}
	return api == msgtrace.APIReporting
}

func (m *Mapper) writeFields(w fieldWriter, row *msgtrace.Row, api msgtrace.API, st statusInfo, legacyNames bool) {
	if legacyNames {
		m.writeLegacyFields(w, row, api, st)
	} else {
		writeGraphFields(w, row, api, st)
	}
}

// Idle drops the mapper's string block between polls: the records built
// from it belong to the pipeline now, and a receiver of many tenants would
// otherwise keep a block for each idle tenant.
func (m *Mapper) Idle() { m.bodies = strarena.Arena{} }
