package msgstatus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestStoredCodes pins the codes checkpoints store: they are on disk, so
// renumbering, reordering or reusing one fails here. A new documented
// status is appended to this list, below FirstUndocumentedCode.
func TestStoredCodes(t *testing.T) {
	want := []string{
		0:  "",
		1:  "none",
		2:  "gettingStatus",
		3:  "pending",
		4:  "failed",
		5:  "delivered",
		6:  "expanded",
		7:  "quarantined",
		8:  "filteredAsSpam",
		9:  "recalled",
		10: "unknownFutureValue",
	}
	require.Len(t, documented, len(want), "a status was added or removed: append it here, never reuse a code")
	require.Less(t, len(documented), FirstUndocumentedCode)
	for code, name := range want {
		st, ok := ByCode(uint8(code))
		require.True(t, ok, "code %d", code)
		assert.Equal(t, name, st.Graph, "code %d", code)
		assert.Equal(t, uint8(code), st.Code, "code %d", code)
		byName, ok := Lookup(name)
		require.True(t, ok, name)
		assert.Equal(t, uint8(code), byName.Code, name)
	}
	_, ok := ByCode(uint8(len(want)))
	assert.False(t, ok)
}

func TestDescribe(t *testing.T) {
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
			st := Describe(tt.in)
			assert.Equal(t, tt.graph, st.Graph)
			assert.Equal(t, tt.legacy, st.Legacy)
			assert.Equal(t, tt.severity, st.Severity)
		})
	}
}
