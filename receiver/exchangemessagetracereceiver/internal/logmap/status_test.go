package logmap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestDescribeStatus(t *testing.T) {
	tests := []struct {
		in, graph, legacy string
		severity          plog.SeverityNumber
	}{
		{"delivered", "delivered", "Delivered", plog.SeverityNumberInfo},
		{"Delivered", "delivered", "Delivered", plog.SeverityNumberInfo},
		{"DELIVERED", "delivered", "Delivered", plog.SeverityNumberInfo},
		{"expanded", "expanded", "Expanded", plog.SeverityNumberInfo},
		{"gettingStatus", "gettingStatus", "GettingStatus", plog.SeverityNumberInfo},
		{"GettingStatus", "gettingStatus", "GettingStatus", plog.SeverityNumberInfo},
		{"gettingstatus", "gettingStatus", "GettingStatus", plog.SeverityNumberInfo},
		{"Pending", "pending", "Pending", plog.SeverityNumberInfo},
		{"None", "none", "None", plog.SeverityNumberInfo},
		{"failed", "failed", "Failed", plog.SeverityNumberWarn},
		{"Failed", "failed", "Failed", plog.SeverityNumberWarn},
		{"quarantined", "quarantined", "Quarantined", plog.SeverityNumberWarn},
		{"FilteredAsSpam", "filteredAsSpam", "FilteredAsSpam", plog.SeverityNumberWarn},
		{"filteredasspam", "filteredAsSpam", "FilteredAsSpam", plog.SeverityNumberWarn},
		{"recalled", "recalled", "Recalled", plog.SeverityNumberInfo},
		{"unknownFutureValue", "unknownFutureValue", "UnknownFutureValue", plog.SeverityNumberInfo},
		// Not documented by either API: case of the first letter only.
		{"Resubmitted", "resubmitted", "Resubmitted", plog.SeverityNumberInfo},
		{"partiallyDelivered", "partiallyDelivered", "PartiallyDelivered", plog.SeverityNumberInfo},
		{"", "", "", plog.SeverityNumberInfo},
		{"É", "É", "É", plog.SeverityNumberInfo},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, statusInfo{tt.graph, tt.legacy, tt.severity}, describeStatus(tt.in))
		})
	}
}

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
}
