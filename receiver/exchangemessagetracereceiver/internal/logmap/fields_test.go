package logmap

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// TestTimeFallbacks covers rows whose decoder could not keep a time's text,
// and Graph rows whose range is unknown.
func TestTimeFallbacks(t *testing.T) {
	row := graphRows[0].row
	row.ReceivedText = ""
	row.Received = time.Date(2026, 1, 21, 14, 12, 34, 500_000_000, time.FixedZone("CET", 3600))
	row.StartDate, row.StartDateText = time.Time{}, ""
	row.EndDateText = ""
	row.Raw = nil
	lr := appendOne(Options{FieldNames: FieldNamesLegacy}, fixture{api: msgtrace.APIGraph, row: row})
	body := lr.Body().Map().AsRaw()
	assert.Equal(t, "2026-01-21T13:12:34.5Z", body["Received"], "written in RFC 3339, UTC")
	assert.Nil(t, body["StartDate"], "no range known: null")
	assert.Equal(t, "2026-01-21T14:15:00Z", body["EndDate"], "no text: the time in RFC 3339, UTC")

	row.Received = time.Time{}
	lr = appendOne(Options{FieldNames: FieldNamesLegacy}, fixture{api: msgtrace.APIGraph, row: row})
	assert.Nil(t, lr.Body().Map().AsRaw()["Received"])
	assert.Zero(t, lr.Timestamp(), "no time rather than year 1")
}
