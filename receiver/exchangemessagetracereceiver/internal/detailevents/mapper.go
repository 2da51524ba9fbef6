package detailevents

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgstatus"
)

const (
	// EventName names every record this package writes.
	EventName = "exchange.message_trace.detail"
	// AttributeTraceID is the row's trace id (Graph id, legacy MessageTraceId).
	AttributeTraceID = "exchange.message_trace.id"
	// AttributeRecipient is the row's recipient address.
	AttributeRecipient = "exchange.message_trace.recipient"
	// AttributeMessageID is the message's Message-ID header, when known.
	AttributeMessageID = "exchange.message_trace.message_id"
	// AttributeStatus is the row's status in Graph's spelling, as on rows.
	AttributeStatus = logmap.AttributeStatus
	// AttributeEvent is the event's name as Graph wrote it (Receive, Fail, ...).
	AttributeEvent = "exchange.message_trace.detail.event"
)

// Mapper turns detail events into LogRecords. It is cheap and holds a
// buffer reused between calls: use one per goroutine.
type Mapper struct {
	legacyNames bool
	json        bool
	buf         []byte
}

// New returns a Mapper for opts: `field_names: legacy` writes the legacy
// MessageTraceDetail report's names, `api` and `graph` Graph's (detail
// events come only from Graph); BodyFormat as for rows. Organization is not
// used: the legacy detail report's names the body keeps have no such field.
func New(opts logmap.Options) *Mapper {
	return &Mapper{legacyNames: opts.FieldNames == logmap.FieldNamesLegacy, json: opts.BodyFormat == logmap.BodyJSON}
}

// Append adds one LogRecord per event to records, in order. observed is the
// collection time.
func (m *Mapper) Append(records plog.LogRecordSlice, lk Lookup, events []Event, observed pcommon.Timestamp) {
	status := msgstatus.Describe(lk.Status).Graph
	records.EnsureCapacity(records.Len() + len(events))
	for i := range events {
		ev := &events[i]
		lr := records.AppendEmpty()
		if !ev.DateTime.IsZero() { // Decode requires one; an Event built elsewhere may lack it
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.DateTime))
		}
		lr.SetObservedTimestamp(observed)
		lr.SetEventName(EventName)
		lr.SetSeverityNumber(severityOf(ev.Event))
		lr.SetSeverityText(ev.Event)

		attrs := lr.Attributes()
		attrs.EnsureCapacity(5)
		attrs.PutStr(AttributeTraceID, lk.TraceID)
		attrs.PutStr(AttributeRecipient, lk.Recipient)
		if id := messageID(lk, ev); id != "" {
			attrs.PutStr(AttributeMessageID, id)
		}
		attrs.PutStr(AttributeStatus, status)
		attrs.PutStr(AttributeEvent, ev.Event)

		if !m.json {
			m.writeBody(lr.Body().SetEmptyMap(), lk, ev)
			continue
		}
		body := pcommon.NewValueEmpty()
		m.writeBody(body.SetEmptyMap(), lk, ev)
		m.buf = appendJSON(m.buf[:0], body)
		lr.Body().SetStr(string(m.buf))
	}
}

// messageID is the row's Message-ID, or the event's when the row had none.
func messageID(lk Lookup, ev *Event) string {
	if lk.MessageID != "" {
		return lk.MessageID
	}
	return ev.MessageID
}

// names are one name set's body keys.
type names struct {
	traceID, recipient, id, messageID, dateTime, event, action, description, data, dataFields string
}

var (
	graphNames = names{"messageTraceId", "recipientAddress", "id", "messageId", "dateTime", "event", "action", "description", "data", "dataFields"}
	// The legacy MessageTraceDetail report has no event id: its names
	// leave it out.
	legacyNames = names{"MessageTraceId", "RecipientAddress", "", "MessageId", "Date", "Event", "Action", "Detail", "Data", "DataFields"}
)

// writeBody writes the row's keys, then the event's fields as Graph sent
// them, then data's pairs when it has any.
func (m *Mapper) writeBody(body pcommon.Map, lk Lookup, ev *Event) {
	n := &graphNames
	if m.legacyNames {
		n = &legacyNames
	}
	body.EnsureCapacity(10)
	body.PutStr(n.traceID, lk.TraceID)
	body.PutStr(n.recipient, lk.Recipient)
	if n.id != "" {
		strOrNull(body, n.id, ev.ID, ev.Nulls.Has(FieldID))
	}
	strOrNull(body, n.messageID, ev.MessageID, ev.Nulls.Has(FieldMessageID))
	body.PutStr(n.dateTime, ev.DateTimeText)
	body.PutStr(n.event, ev.Event)
	strOrNull(body, n.action, ev.Action, ev.Nulls.Has(FieldAction))
	strOrNull(body, n.description, ev.Description, ev.Nulls.Has(FieldDescription))
	strOrNull(body, n.data, ev.Data, ev.Nulls.Has(FieldData))
	if pairs := ParseData(ev.Data); len(pairs) > 0 {
		putPairs(body.PutEmptyMap(n.dataFields), pairs)
	}
}

// strOrNull writes v, or an empty value (the OTLP form of JSON's null).
func strOrNull(m pcommon.Map, key, v string, null bool) {
	if null {
		m.PutEmpty(key)
		return
	}
	m.PutStr(key, v)
}

// putPairs writes data's pairs, in order: each name once, its value typed
// (Integer and Long as ints, the rest strings); a name that occurs more
// than once gets the list of its values.
func putPairs(m pcommon.Map, pairs []Pair) {
	count := make(map[string]int, len(pairs))
	for _, p := range pairs {
		count[p.Name]++
	}
	m.EnsureCapacity(len(count))
	for _, p := range pairs {
		if count[p.Name] == 1 {
			setTyped(m.PutEmpty(p.Name), p)
			continue
		}
		list, ok := m.Get(p.Name)
		if !ok {
			list = m.PutEmpty(p.Name)
			list.SetEmptySlice().EnsureCapacity(count[p.Name])
		}
		setTyped(list.Slice().AppendEmpty(), p)
	}
}

func setTyped(v pcommon.Value, p Pair) {
	if p.Type == TypeInteger || p.Type == TypeLong {
		if n, err := strconv.ParseInt(strings.TrimSpace(p.Value), 10, 64); err == nil {
			v.SetInt(n)
			return
		}
	}
	v.SetStr(p.Value)
}
