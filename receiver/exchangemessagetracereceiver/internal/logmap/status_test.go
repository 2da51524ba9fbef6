package logmap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestRecordSeverityAndAttributes(t *testing.T) {
	f := graphRows[0]
	f.row.Status = "Failed"
	f.previousStatus = "Pending"
	lr := appendOne(Options{}, f)
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, "Failed", lr.SeverityText(), "severity text is the status as the API wrote it")
	assert.Equal(t, map[string]any{AttributeStatus: "failed", AttributePreviousStatus: "pending"}, lr.Attributes().AsRaw())
	assert.Equal(t, f.row.Received, lr.Timestamp().AsTime())
	assert.Equal(t, observedAt, lr.ObservedTimestamp())
	assert.Equal(t, EventName, lr.EventName())

	f.previousStatus = ""
	lr = appendOne(Options{}, f)
	assert.Equal(t, map[string]any{AttributeStatus: "failed"}, lr.Attributes().AsRaw())

	// An undocumented status keeps its letters; Graph's spelling starts lower case.
	f.row.Status, f.previousStatus = "Resubmitted", "PartiallyDelivered"
	lr = appendOne(Options{}, f)
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Equal(t, map[string]any{AttributeStatus: "resubmitted", AttributePreviousStatus: "partiallyDelivered"}, lr.Attributes().AsRaw())
}
