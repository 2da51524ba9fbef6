package logmap

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestBodyFormatsAgree: for every row and name set, the JSON body holds the
// same object as the map body (key order aside), whether it came from the
// API's bytes or from our encoder.
func TestBodyFormatsAgree(t *testing.T) {
	var all []fixture
	all = append(all, seedRows...)
	all = append(all, legacyExtraRows...)
	all = append(all, graphRows...)
	for _, names := range []FieldNames{FieldNamesAPI, FieldNamesGraph, FieldNamesLegacy} {
		for _, org := range []string{"", "contoso.onmicrosoft.com"} {
			for _, f := range all {
				t.Run(names.String()+"/"+f.name+"/org="+org, func(t *testing.T) {
					mapBody := appendOne(Options{FieldNames: names, BodyFormat: BodyMap, Organization: org}, f).Body()
					jsonBody := appendOne(Options{FieldNames: names, BodyFormat: BodyJSON, Organization: org}, f).Body()

					require.Equal(t, "Map", mapBody.Type().String())
					require.Equal(t, "Str", jsonBody.Type().String())
					var fromJSON map[string]any
					require.NoError(t, json.Unmarshal([]byte(jsonBody.Str()), &fromJSON), jsonBody.Str())
					// Round-trip the map through encoding/json so that numbers
					// compare as float64 on both sides.
					mapJSON, err := json.Marshal(mapBody.Map().AsRaw())
					require.NoError(t, err)
					var fromMap map[string]any
					require.NoError(t, json.Unmarshal(mapJSON, &fromMap))
					assert.Equal(t, fromMap, fromJSON)
				})
			}
		}
	}
}

func appendOne(opts Options, f fixture) plog.LogRecord {
	lrs := plog.NewLogRecordSlice()
	New(opts).Append(lrs, &f.row, f.api, observedAt, f.previousStatus)
	return lrs.At(0)
}

// TestJSONBodyReusesRawBytes: without a rename the API's bytes are the body,
// byte for byte; with one, our encoder writes the keys in the chosen order.
func TestJSONBodyReusesRawBytes(t *testing.T) {
	for _, f := range append(append([]fixture{}, seedRows...), graphRows...) {
		if f.row.Raw == nil {
			continue
		}
		got := appendOne(Options{BodyFormat: BodyJSON}, f).Body().Str()
		assert.Equal(t, string(f.row.Raw), got, f.name)
	}
	got := appendOne(Options{BodyFormat: BodyJSON, FieldNames: FieldNamesLegacy}, graphRows[0]).Body().Str()
	assert.Equal(t, `{"Organization":null,"MessageId":null,"Received":"2026-01-21T14:12:34Z",`+
		`"SenderAddress":"sender@contoso.com","RecipientAddress":"recipient@contoso.com","Subject":"Monthly report",`+
		`"Status":"Delivered","ToIP":null,"FromIP":"203.0.113.25","Size":51234,`+
		`"MessageTraceId":"b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f","StartDate":"2026-01-21T14:00:00Z",`+
		`"EndDate":"2026-01-21T14:15:00Z","Index":0}`, got)
	got = appendOne(Options{BodyFormat: BodyJSON, FieldNames: FieldNamesGraph}, seedRows[0]).Body().Str()
	assert.Equal(t, `{"id":"aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e",`+
		`"messageId":"<233af449-87f6-4902-bcf5-77838a4e7603@az.southcentralus.unknown.microsoft.com>",`+
		`"receivedDateTime":"2022-11-29T05:35:08.2652371","senderAddress":"azure-noreply@microsoft.com",`+
		`"recipientAddress":"ebenzoni@org.onmicrosoft.com","subject":"Azure AD Identity Protection Weekly Digest",`+
		`"status":"delivered","size":145153,"fromIP":"20.97.34.221","toIP":""}`, got)
}
