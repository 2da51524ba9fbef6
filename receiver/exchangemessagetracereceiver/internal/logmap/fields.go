package logmap

import (
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// fieldWriter receives a body's fields in order. Both body formats write
// through it, so the rules that pick names and values exist once and the two
// formats cannot disagree.
type fieldWriter interface {
	str(key, v string)
	null(key string)
	int(key string, v int64)
}

// Field counts, for sizing the body map up front.
const (
	graphFieldCount  = 10
	legacyFieldCount = 14
)

// writeGraphFields writes row under Graph's names, in Graph's order. A
// legacy row's status is respelled the Graph way and its null ToIP becomes
// "", which is what Graph sends for inbound mail.
func writeGraphFields(w fieldWriter, row *msgtrace.Row, api msgtrace.API, st statusInfo) {
	renamed := api != msgtrace.APIGraph
	nulls := row.Nulls
	strOrNull(w, "id", row.ID, nulls.Has(msgtrace.FieldID))
	strOrNull(w, "messageId", row.MessageID, nulls.Has(msgtrace.FieldMessageID))
	timeOrNull(w, "receivedDateTime", row.ReceivedText, row.Received, nulls.Has(msgtrace.FieldReceived))
	strOrNull(w, "senderAddress", row.SenderAddress, nulls.Has(msgtrace.FieldSenderAddress))
	strOrNull(w, "recipientAddress", row.RecipientAddress, nulls.Has(msgtrace.FieldRecipientAddress))
	strOrNull(w, "subject", row.Subject, nulls.Has(msgtrace.FieldSubject))
	status := row.Status
	if renamed {
		status = st.graph
	}
	strOrNull(w, "status", status, nulls.Has(msgtrace.FieldStatus))
	intOrNull(w, "size", row.Size, nulls.Has(msgtrace.FieldSize))
	strOrNull(w, "fromIP", row.FromIP, nulls.Has(msgtrace.FieldFromIP))
	strOrNull(w, "toIP", row.ToIP, !renamed && nulls.Has(msgtrace.FieldToIP))
}

// writeLegacyFields writes row under the legacy report's names, in its
// column order (the order the Sumo Logic app's query lists them). A Graph
// row gets the fields Graph lacks from elsewhere: Organization from the
// options; StartDate, EndDate (the queried range) and Index from the row, as
// the Graph decoder fills them.
func (m *Mapper) writeLegacyFields(w fieldWriter, row *msgtrace.Row, api msgtrace.API, st statusInfo) {
	renamed := api != msgtrace.APIReporting
	nulls := row.Nulls
	if renamed {
		strOrNull(w, "Organization", m.opts.Organization, m.opts.Organization == "")
	} else {
		strOrNull(w, "Organization", row.Organization, nulls.Has(msgtrace.FieldOrganization))
	}
	strOrNull(w, "MessageId", row.MessageID, nulls.Has(msgtrace.FieldMessageID))
	timeOrNull(w, "Received", row.ReceivedText, row.Received, nulls.Has(msgtrace.FieldReceived))
	strOrNull(w, "SenderAddress", row.SenderAddress, nulls.Has(msgtrace.FieldSenderAddress))
	strOrNull(w, "RecipientAddress", row.RecipientAddress, nulls.Has(msgtrace.FieldRecipientAddress))
	strOrNull(w, "Subject", row.Subject, nulls.Has(msgtrace.FieldSubject))
	status := row.Status
	if renamed {
		status = st.legacy
	}
	strOrNull(w, "Status", status, nulls.Has(msgtrace.FieldStatus))
	// The legacy report writes null, not "", for inbound mail.
	strOrNull(w, "ToIP", row.ToIP, nulls.Has(msgtrace.FieldToIP) || (renamed && row.ToIP == ""))
	strOrNull(w, "FromIP", row.FromIP, nulls.Has(msgtrace.FieldFromIP))
	intOrNull(w, "Size", row.Size, nulls.Has(msgtrace.FieldSize))
	strOrNull(w, "MessageTraceId", row.ID, nulls.Has(msgtrace.FieldID))
	timeOrNull(w, "StartDate", row.StartDateText, row.StartDate, nulls.Has(msgtrace.FieldStartDate))
	timeOrNull(w, "EndDate", row.EndDateText, row.EndDate, nulls.Has(msgtrace.FieldEndDate))
	intOrNull(w, "Index", row.Index, nulls.Has(msgtrace.FieldIndex))
}

func strOrNull(w fieldWriter, key, v string, null bool) {
	if null {
		w.null(key)
		return
	}
	w.str(key, v)
}

func intOrNull(w fieldWriter, key string, v int64, null bool) {
	if null {
		w.null(key)
		return
	}
	w.int(key, v)
}

// timeOrNull writes a time as the API wrote it (the decoders also give Graph
// rows their query range as text). A row that carries only the time, such as
// one decoded from OData's "/Date(ms)/" form, gets it in RFC 3339, UTC.
func timeOrNull(w fieldWriter, key, text string, t time.Time, null bool) {
	switch {
	case null || (text == "" && t.IsZero()):
		w.null(key)
	case text != "":
		w.str(key, text)
	default:
		w.str(key, formatTime(t))
	}
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
