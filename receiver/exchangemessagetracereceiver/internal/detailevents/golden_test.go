package detailevents

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
)

// To regenerate the golden files after an intended change of the mapping:
//
//	go test ./receiver/exchangemessagetracereceiver/internal/detailevents/ -run TestGolden -update
//
// then review the diff of testdata/*.yaml. With -update the test writes the
// files and fails, so that it cannot pass by accident.
var update = flag.Bool("update", false, "rewrite testdata/*.yaml golden files from the current mapping")

var observedAt = pcommon.NewTimestampFromTime(time.Date(2026, 1, 21, 15, 0, 0, 0, time.UTC))

// recorded are the recorded responses with the rows they were asked for.
var recorded = []struct {
	file   string
	lookup Lookup
}{
	{"failed_smtp.json", Lookup{
		TraceID: "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f", Recipient: "dan.o'connor@fabrikam.com",
		MessageID: "<DM6PR12MB4123A1B2C3D4E5F6@DM6PR12MB4123.namprd12.prod.outlook.com>", Status: "failed",
		Received: time.Date(2026, 1, 21, 9, 14, 2, 0, time.UTC),
	}},
	// The legacy spelling of a status is written the Graph way.
	{"quarantined_transport_rule.json", Lookup{
		TraceID: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", Recipient: "finance@contoso.com",
		MessageID: "<20260121101500.7F3A2@mail.northwindtraders.example>", Status: "Quarantined",
		Received: time.Date(2026, 1, 21, 10, 15, 0, 0, time.UTC),
	}},
	{"spam_scl.json", Lookup{
		TraceID: "e4f5a6b7-c8d9-4e0f-8a1b-2c3d4e5f6a7b", Recipient: "ops@contoso.com",
		MessageID: "<offer.93811@promo.adventure-works.example>", Status: "filteredAsSpam",
		Received: time.Date(2026, 1, 21, 11, 40, 12, 0, time.UTC),
	}},
	// A row without a message id: no message id attribute.
	{"delivered_null_message_id.json", Lookup{
		TraceID: "f1000000-0000-4000-8000-000000000001", Recipient: "b@contoso.com",
		Status: "delivered", Received: time.Date(2026, 1, 21, 12, 0, 0, 0, time.UTC),
	}},
}

func mapRecorded(t *testing.T, opts logmap.Options) plog.Logs {
	t.Helper()
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	m := New(opts)
	for _, r := range recorded {
		m.Append(lrs, r.lookup, readResponse(t, r.file).Events, observedAt)
	}
	return logs
}

func records(logs plog.Logs) plog.LogRecordSlice {
	return logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file string
		opts logmap.Options
	}{
		{"graph_map.yaml", logmap.Options{FieldNames: logmap.FieldNamesGraph, BodyFormat: logmap.BodyMap}},
		{"graph_json.yaml", logmap.Options{FieldNames: logmap.FieldNamesGraph, BodyFormat: logmap.BodyJSON}},
		{"legacy_map.yaml", logmap.Options{FieldNames: logmap.FieldNamesLegacy, BodyFormat: logmap.BodyMap}},
		{"legacy_json.yaml", logmap.Options{FieldNames: logmap.FieldNamesLegacy, BodyFormat: logmap.BodyJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			actual := mapRecorded(t, tt.opts)
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, actual))
				return
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, actual))
			// CompareLogs looks at neither event names nor map order.
			want, got := records(expected), records(actual)
			for i := 0; i < got.Len(); i++ {
				assert.Equal(t, EventName, want.At(i).EventName())
				assert.Equal(t, EventName, got.At(i).EventName())
			}
		})
	}
}

// `field_names: api` is Graph's names: detail events come only from Graph.
func TestAPINamesAreGraphNames(t *testing.T) {
	for _, format := range []logmap.BodyFormat{logmap.BodyMap, logmap.BodyJSON} {
		api := mapRecorded(t, logmap.Options{FieldNames: logmap.FieldNamesAPI, BodyFormat: format})
		graph := mapRecorded(t, logmap.Options{FieldNames: logmap.FieldNamesGraph, BodyFormat: format})
		assert.NoError(t, plogtest.CompareLogs(graph, api), format.String())
	}
}

// TestBodyFormatsAgree: the JSON body is the map body as JSON, key order
// included.
func TestBodyFormatsAgree(t *testing.T) {
	for _, names := range []logmap.FieldNames{logmap.FieldNamesGraph, logmap.FieldNamesLegacy} {
		maps := records(mapRecorded(t, logmap.Options{FieldNames: names, BodyFormat: logmap.BodyMap}))
		jsons := records(mapRecorded(t, logmap.Options{FieldNames: names, BodyFormat: logmap.BodyJSON}))
		require.Equal(t, maps.Len(), jsons.Len())
		for i := 0; i < maps.Len(); i++ {
			text := jsons.At(i).Body().Str()
			var fromJSON map[string]any
			require.NoError(t, json.Unmarshal([]byte(text), &fromJSON), text)
			mapJSON, err := json.Marshal(maps.At(i).Body().Map().AsRaw())
			require.NoError(t, err)
			var fromMap map[string]any
			require.NoError(t, json.Unmarshal(mapJSON, &fromMap))
			assert.Equal(t, fromMap, fromJSON)
			assert.Equal(t, keys(maps.At(i).Body().Map()), jsonKeys(t, text), "key order")
			assert.Equal(t, maps.At(i).Attributes().AsRaw(), jsons.At(i).Attributes().AsRaw())
		}
	}
}

func keys(m pcommon.Map) []string {
	var out []string
	for k := range m.All() {
		out = append(out, k)
	}
	return out
}

// jsonKeys lists a JSON object's top-level keys in their order.
func jsonKeys(t *testing.T, text string) []string {
	dec := json.NewDecoder(strings.NewReader(text))
	_, err := dec.Token()
	require.NoError(t, err)
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		out = append(out, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return out
}

func TestBodyKeyOrder(t *testing.T) {
	graph := records(mapRecorded(t, logmap.Options{FieldNames: logmap.FieldNamesGraph}))
	assert.Equal(t, []string{"messageTraceId", "recipientAddress", "id", "messageId", "dateTime", "event", "action", "description", "data", "dataFields"},
		keys(graph.At(0).Body().Map()))
	legacy := records(mapRecorded(t, logmap.Options{FieldNames: logmap.FieldNamesLegacy}))
	assert.Equal(t, []string{"MessageTraceId", "RecipientAddress", "MessageId", "Date", "Event", "Action", "Detail", "Data", "DataFields"},
		keys(legacy.At(0).Body().Map()))
}

func jsonUnmarshal(text string, v any) error { return json.Unmarshal([]byte(text), v) }
