package detailevents

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
)

func appendEvents(opts logmap.Options, lk Lookup, evs ...Event) plog.LogRecordSlice {
	lrs := plog.NewLogRecordSlice()
	New(opts).Append(lrs, lk, evs, observedAt)
	return lrs
}

func TestSeverity(t *testing.T) {
	tests := map[string]plog.SeverityNumber{
		"Fail": plog.SeverityNumberWarn, "Drop": plog.SeverityNumberWarn, "Defer": plog.SeverityNumberWarn,
		"FAIL": plog.SeverityNumberWarn, "defer": plog.SeverityNumberWarn,
		"Receive": plog.SeverityNumberInfo, "Deliver": plog.SeverityNumberInfo, "Send": plog.SeverityNumberInfo,
		"Transport rule": plog.SeverityNumberInfo, "Spam Diagnostics": plog.SeverityNumberInfo, "Expand": plog.SeverityNumberInfo,
	}
	for name, want := range tests {
		lr := appendEvents(logmap.Options{}, Lookup{}, Event{Event: name, DateTime: time.Unix(1, 0)}).At(0)
		assert.Equal(t, want, lr.SeverityNumber(), name)
		assert.Equal(t, name, lr.SeverityText(), "the event name as sent")
	}
}

func TestMessageIDAttribute(t *testing.T) {
	ev := Event{Event: "Receive", MessageID: "<event@x>"}
	lr := appendEvents(logmap.Options{}, Lookup{MessageID: "<row@x>"}, ev).At(0)
	v, _ := lr.Attributes().Get(AttributeMessageID)
	assert.Equal(t, "<row@x>", v.Str(), "the row's wins")
	lr = appendEvents(logmap.Options{}, Lookup{}, ev).At(0)
	v, _ = lr.Attributes().Get(AttributeMessageID)
	assert.Equal(t, "<event@x>", v.Str(), "the event's when the row had none")
	lr = appendEvents(logmap.Options{}, Lookup{}, Event{Event: "Receive", Nulls: FieldMessageID}).At(0)
	_, ok := lr.Attributes().Get(AttributeMessageID)
	assert.False(t, ok, "none when neither has one")
}

func TestStatusAttributeIsGraphSpelling(t *testing.T) {
	for status, want := range map[string]string{"FilteredAsSpam": "filteredAsSpam", "quarantined": "quarantined", "Resubmitted": "resubmitted", "": ""} {
		lr := appendEvents(logmap.Options{}, Lookup{Status: status}, Event{Event: "Fail"}).At(0)
		v, _ := lr.Attributes().Get(AttributeStatus)
		assert.Equal(t, want, v.Str(), status)
	}
}

// Data that does not parse never fails the record: the body keeps it as
// sent, with the pairs read before the fault, or no dataFields at all.
func TestDataThatDoesNotParse(t *testing.T) {
	for _, format := range []logmap.BodyFormat{logmap.BodyMap, logmap.BodyJSON} {
		opts := logmap.Options{BodyFormat: format}
		lrs := appendEvents(opts, Lookup{TraceID: "t", Recipient: "r@x"},
			Event{Event: "Fail", Data: `<root><MEP Name="A" Integer="x7"/><MEP Name="B" Lo`},
			Event{Event: "Fail", Data: "not xml at all"},
			Event{Event: "Fail", Data: `<root><MEP Name="A" Long=" 12 "/></root>`},
		)
		require.Equal(t, 3, lrs.Len())
		bodies := make([]map[string]any, 3)
		for i := range bodies {
			bodies[i] = bodyOf(t, lrs.At(i))
		}
		assert.Equal(t, map[string]any{"A": "x7"}, bodies[0]["dataFields"], "an Integer that is not a number stays a string")
		assert.Equal(t, `<root><MEP Name="A" Integer="x7"/><MEP Name="B" Lo`, bodies[0]["data"])
		assert.NotContains(t, bodies[1], "dataFields")
		assert.Equal(t, "not xml at all", bodies[1]["data"])
		assert.Equal(t, map[string]any{"A": float64(12)}, bodies[2]["dataFields"])
	}
}

// bodyOf reads either body format as JSON does.
func bodyOf(t *testing.T, lr plog.LogRecord) map[string]any {
	t.Helper()
	text := lr.Body().AsString()
	var m map[string]any
	require.NoError(t, jsonUnmarshal(text, &m), text)
	return m
}

func TestAppendNothing(t *testing.T) {
	assert.Zero(t, appendEvents(logmap.Options{}, Lookup{TraceID: "t"}).Len())
}

func TestTimestamps(t *testing.T) {
	at := time.Date(2026, 1, 21, 9, 14, 2, 123456700, time.UTC)
	lr := appendEvents(logmap.Options{}, Lookup{Received: at.Add(-time.Hour)}, Event{Event: "Receive", DateTime: at}).At(0)
	assert.Equal(t, at, lr.Timestamp().AsTime())
	assert.Equal(t, observedAt, lr.ObservedTimestamp())
	assert.Equal(t, EventName, lr.EventName())

	lr = appendEvents(logmap.Options{}, Lookup{}, Event{Event: "Receive"}).At(0)
	assert.Zero(t, lr.Timestamp(), "no time rather than year 1")
}
