package detailevents

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

func readResponse(t *testing.T, name string) Response {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	resp, err := Decode(body)
	require.NoError(t, err)
	return resp
}

func TestDecodeRecordedResponses(t *testing.T) {
	resp := readResponse(t, "failed_smtp.json")
	require.Len(t, resp.Events, 3)
	assert.Zero(t, resp.Malformed)
	assert.Equal(t, Event{
		ID:           "5d7e1c2a-3b4f-4e6d-9a8b-0c1d2e3f4a5b",
		MessageID:    "<DM6PR12MB4123A1B2C3D4E5F6@DM6PR12MB4123.namprd12.prod.outlook.com>",
		DateTime:     time.Date(2026, 1, 21, 9, 14, 2, 123456700, time.UTC),
		DateTimeText: "2026-01-21T09:14:02.1234567Z",
		Event:        "Receive",
		Description:  "Message received by: DM6PR12MB4123.namprd12.prod.outlook.com",
		Data:         resp.Events[0].Data,
		Nulls:        FieldAction,
	}, resp.Events[0])
	assert.Contains(t, resp.Events[0].Data, `<MEP Name="ItemEntryId" Blob="AAAAAB8Ww2kYyEhGh+xH0DCvdeAHAAQ="/>`)
	assert.Equal(t, []string{"Receive", "Defer", "Fail"}, eventNames(resp.Events))
	assert.Equal(t, time.Date(2026, 1, 21, 9, 14, 3, 900000000, time.UTC), resp.Events[1].DateTime)
	assert.Equal(t, time.Date(2026, 1, 21, 10, 2, 47, 0, time.UTC), resp.Events[2].DateTime)

	resp = readResponse(t, "delivered_null_message_id.json")
	require.Len(t, resp.Events, 3)
	assert.Equal(t, FieldMessageID|FieldAction, resp.Events[0].Nulls, "empty data is not null")
	assert.Equal(t, FieldMessageID|FieldAction|FieldData, resp.Events[1].Nulls)
	assert.Equal(t, FieldMessageID|FieldAction|FieldData, resp.Events[2].Nulls, "a member left out reads as null")

	resp = readResponse(t, "spam_scl.json")
	assert.Equal(t, []string{"Receive", "Spam Diagnostics", "Deliver"}, eventNames(resp.Events), "@odata.type is ignored")

	assert.Empty(t, readResponse(t, "empty.json").Events)
}

func eventNames(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Event)
	}
	return out
}

// A malformed event is counted and skipped; the others are kept.
func TestDecodeSkipsMalformedEvents(t *testing.T) {
	resp := readResponse(t, "malformed_events.json")
	require.Len(t, resp.Events, 1)
	assert.Equal(t, "e", resp.Events[0].ID)
	assert.Equal(t, 5, resp.Malformed)
	var reasons []string
	for _, err := range resp.MalformedErrors {
		reasons = append(reasons, err.Error())
	}
	assert.Equal(t, []string{
		"event 0: event is not a JSON object",
		`event 1: dateTime "yesterday at noon" is not a time`,
		"event 2: event is missing",
		"event 3: description is not a string",
		"event 4: dateTime is not a string",
	}, reasons)
}

func TestDecodeErrors(t *testing.T) {
	tests := map[string]string{
		``:                                    "unexpected end of JSON input",
		`{"value":[{"id":"a"`:                 "unexpected end of JSON input",
		`<html><title>Sign in</title></html>`: "invalid character '<' looking for beginning of value",
		`[]`:                                  `not a JSON object with a "value" array`,
		`{"value":{"id":"a"}}`:                `not a JSON object with a "value" array`,
		`{"@odata.context":"x"}`:              `the answer holds no "value" array of detail events`,
		`{"value":null}`:                      `the answer holds no "value" array of detail events`,
		`{"error":{"code":"InternalServerError","message":"boom"}}`: `holds an "error" instead`,
	}
	for body, want := range tests {
		_, err := Decode([]byte(body))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
	_, err := Decode([]byte(`{"value":[{"id":"a"`))
	var syn *rowdecode.SyntaxError
	require.ErrorAs(t, err, &syn)
	assert.True(t, syn.EOF, "a body cut short reads as truncated")
	_, err = Decode([]byte(`{"value":[}`))
	require.ErrorAs(t, err, &syn)
	assert.False(t, syn.EOF)

	_, err = Decode([]byte(`{"error":null}`))
	var nv *NoValueError
	require.ErrorAs(t, err, &nv)
	assert.False(t, nv.SawError)
}

func TestDecodeByteOrderMark(t *testing.T) {
	resp, err := Decode([]byte("\xEF\xBB\xBF" + `{"value":[{"dateTime":"2026-01-21T12:00:00Z","event":"Receive"}]}`))
	require.NoError(t, err)
	require.Len(t, resp.Events, 1)
	assert.Equal(t, FieldID|FieldMessageID|FieldAction|FieldDescription|FieldData, resp.Events[0].Nulls)
}

func TestDecodeKeepsAtMostFiveReasons(t *testing.T) {
	resp, err := Decode([]byte(`{"value":[1,2,3,4,5,6,7]}`))
	require.NoError(t, err)
	assert.Equal(t, 7, resp.Malformed)
	assert.Len(t, resp.MalformedErrors, maxMalformedErrors)
}
