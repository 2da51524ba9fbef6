package logmap

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sumoQueryFields are the fields the Sumo Logic app's query extracts, in its
// order (shared/seeds/001_ab4eeb32921c1a5a.txt).
var sumoQueryFields = []string{
	"Organization", "MessageId", "Received", "SenderAddress", "RecipientAddress", "Subject", "Status",
	"ToIP", "FromIP", "Size", "MessageTraceId", "StartDate", "EndDate", "Index",
}

// TestSumoLogicAppQuery: with legacy names, the line the Sumo Logic exporter
// sends in `log_format: text` (the body as a string) is a JSON object the
// app's `json "Organization", ...` query reads, for legacy and Graph rows
// alike, in both body formats.
func TestSumoLogicAppQuery(t *testing.T) {
	var all []fixture
	all = append(all, seedRows...)
	all = append(all, legacyExtraRows...)
	all = append(all, graphRows...)
	for _, format := range []BodyFormat{BodyMap, BodyJSON} {
		for _, f := range all {
			t.Run(format.String()+"/"+f.name, func(t *testing.T) {
				line := appendOne(Options{FieldNames: FieldNamesLegacy, BodyFormat: format, Organization: "contoso.onmicrosoft.com"}, f).Body().AsString()
				var obj map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &obj), line)
				assert.Len(t, obj, len(sumoQueryFields))
				for _, k := range sumoQueryFields {
					assert.Contains(t, obj, k)
				}
				// The dashboards count by status as the legacy API spells it
				// and geolocate FromIP.
				assert.Contains(t, []any{"Delivered", "Failed", "Pending", "Expanded", "FilteredAsSpam", "GettingStatus", "Quarantined", "None"}, obj["Status"])
				_, err := netip.ParseAddr(obj["FromIP"].(string))
				assert.NoError(t, err)
				assert.IsType(t, float64(0), obj["Size"])
				assert.IsType(t, float64(0), obj["Index"])
			})
		}
	}
}

// TestMapBodyKeyOrder: the map keeps each name set's documented order (the
// golden comparison ignores map order).
func TestMapBodyKeyOrder(t *testing.T) {
	graphOrder := []string{"id", "messageId", "receivedDateTime", "senderAddress", "recipientAddress", "subject", "status", "size", "fromIP", "toIP"}
	for _, f := range []fixture{seedRows[0], graphRows[0]} {
		for names, want := range map[FieldNames][]string{FieldNamesGraph: graphOrder, FieldNamesLegacy: sumoQueryFields} {
			var got []string
			for k := range appendOne(Options{FieldNames: names}, f).Body().Map().All() {
				got = append(got, k)
			}
			assert.Equal(t, want, got, "%s with %s names", f.name, names)
		}
	}
}
