package graph

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

func TestMalformedRows(t *testing.T) {
	const good = `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`
	tests := []struct {
		row    string
		reason string // empty: the row is good
		noRaw  bool   // a good row whose bytes are not JSON: no Raw
	}{
		{row: good},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","unknown":{"nested":[1,{"x":null}]},"flag":true}`},
		{row: `{"recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "id is missing or empty"},
		{row: `{"id":"","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "id is missing or empty"},
		{row: `{"id":null,"recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "id is missing or empty"},
		{row: `{"id":"a","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "recipientAddress is missing or empty"},
		{row: `{"id":"a","recipientAddress":"r@x"}`, reason: "receivedDateTime is missing"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-02-30T00:00:00Z"}`, reason: `receivedDateTime "2026-02-30T00:00:00Z" is not a time`},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":1769004754}`, reason: "receivedDateTime is not a string"},
		{row: `{"id":7,"recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "id is a number, not a string"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":"12"}`, reason: "size is not a number"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":1.5}`, reason: "size is not an integer"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","subject":false}`, reason: "subject has the wrong type"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","status":["delivered"]}`, reason: "status has the wrong type"},
		{row: `"not an object"`, reason: "row is not a JSON object"},
		{row: `null`, reason: "row is not a JSON object"},
		// Values JSON does not have (some serializers write them for a
		// float that is not a number): the row is skipped, the page kept.
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":NaN}`, reason: "size holds NaN, which is not a JSON value"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":Infinity}`, reason: "size holds Infinity, which is not a JSON value"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":-Infinity}`, reason: "size holds -Infinity, which is not a JSON value"},
		{row: `{"id":"a","size":NaN,"recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z"}`, reason: "size holds NaN, which is not a JSON value"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","subject":undefined}`, reason: "subject holds undefined, which is not a JSON value"},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":12abc}`, reason: "size holds 12abc, which is not a JSON value"},
		// In a member the schema does not map, the word is never read:
		// the row is kept, whatever comes after, without Raw (not JSON,
		// so not a body_format: json body as sent).
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","spamScore":nan}`, noRaw: true},
		{row: `{"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","extra":{"scores":[1,NaN]}}`, noRaw: true},
		{row: `{"spamScore":NaN,"id":"a","recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","extra":[Infinity,undefined]}`, noRaw: true},
		// ...but a mapped field after it still makes the row malformed.
		{row: `{"id":"a","spamScore":NaN,"recipientAddress":"r@x","receivedDateTime":"2026-01-21T14:12:34Z","size":Infinity}`, reason: "size holds Infinity, which is not a JSON value"},
		{row: `NaN`, reason: "row is NaN, which is not a JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			body := `{"value":[` + good + `,` + tt.row + `,` + good + `]}`
			page, err := newPageDecoder(testRange, 10).Decode([]byte(body), nil)
			require.NoError(t, err)
			if tt.reason == "" {
				assert.Len(t, page.Rows, 3)
				assert.Zero(t, page.Malformed)
				assert.Equal(t, "a", page.Rows[1].ID)
				assert.Equal(t, "2026-01-21T14:12:34Z", page.Rows[1].ReceivedText)
				if tt.noRaw {
					assert.Nil(t, page.Rows[1].Raw)
				} else {
					assert.Equal(t, tt.row, string(page.Rows[1].Raw))
				}
				assert.Equal(t, good, string(page.Rows[2].Raw), "the next row's Raw is kept")
				return
			}
			assert.Len(t, page.Rows, 2, "the rest of the page survives")
			assert.Equal(t, 1, page.Malformed)
			require.Len(t, page.MalformedErrors, 1)
			assert.Equal(t, "row 1: "+tt.reason, page.MalformedErrors[0].Error())
			assert.Equal(t, int64(2), page.Rows[1].Index)
		})
	}
}

func TestMalformedErrorsAreCapped(t *testing.T) {
	body := `{"value":[`
	for i := range 50 {
		if i > 0 {
			body += ","
		}
		body += `{"id":"a"}`
	}
	body += `]}`
	page, err := newPageDecoder(testRange, 10).Decode([]byte(body), nil)
	require.NoError(t, err)
	assert.Equal(t, 50, page.Malformed)
	assert.Len(t, page.MalformedErrors, 5)
}

func TestDecodeKeepsPositionsOnFailure(t *testing.T) {
	d := newPageDecoder(testRange, 10)
	_, err := d.Decode([]byte(`{"value":[{"id":"a","recipientAddress":"r","receivedDateTime":"2026-01-21T14:12:34Z"},{"id":`), nil)
	require.Error(t, err)
	page, err := d.Decode([]byte(`{"value":[{"id":"a","recipientAddress":"r","receivedDateTime":"2026-01-21T14:12:34Z"}]}`), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(0), page.Rows[0].Index, "a failed decode (retried) does not advance positions")
}

func TestPageShapes(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{body: `{"value":[]}`, ok: true},
		{body: ` {"@odata.nextLink":null,"value":[]} `, ok: true},
		{body: `{}`},
		{body: `{"error":{"code":"x","message":"y"}}`},
		{body: `[]`},
		{body: `{"value":[]} trailing`},
		{body: `{"value":[]`},
	}
	for _, tt := range tests {
		_, err := newPageDecoder(testRange, 10).Decode([]byte(tt.body), nil)
		assert.Equal(t, tt.ok, err == nil, "%s: %v", tt.body, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"page1.json", "page2.json", "page3.json", "error_400_window.json", "signin.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := newPageDecoder(testRange, 10).Decode(body, nil)
		if err != nil {
			return
		}
		for _, r := range page.Rows {
			require.NotEmpty(t, r.ID)
			require.NotEmpty(t, r.RecipientAddress)
			if r.Raw != nil { // nil: a bare word in an unmapped member
				require.NotEmpty(t, r.Raw)
			}
			var _ msgtrace.Row = r
		}
	})
}

// The page lifetime msgtrace.Page states: the Rows array is the next
// page's, Raw aliases the body, and the strings outlive both.
func TestPageLifetime(t *testing.T) {
	body1 := []byte(fetchtest.ReadFile(t, "page1.json"))
	dec := newPageDecoder(testRange, 1000)
	page1, err := dec.Decode(body1, nil)
	require.NoError(t, err)
	require.NotEmpty(t, page1.Rows)
	kept := page1.Rows[0] // a copy of the struct
	id, recipient, received := kept.ID, kept.RecipientAddress, kept.ReceivedText
	assert.Same(t, &body1[bytes.Index(body1, kept.Raw)], &kept.Raw[0], "Raw aliases the body")

	for i := range body1 { // the pool hands the buffer to the next response
		body1[i] = 'x'
	}
	page2, err := dec.Decode([]byte(fetchtest.ReadFile(t, "page2.json")), nil)
	require.NoError(t, err)
	require.NotEmpty(t, page2.Rows)
	assert.Same(t, &page1.Rows[:1][0], &page2.Rows[0], "the next page reuses the Rows array")
	assert.NotEqual(t, id, page2.Rows[0].ID)
	assert.Equal(t, []string{id, recipient, received}, []string{kept.ID, kept.RecipientAddress, kept.ReceivedText},
		"strings are copies: they survive the body and the next page")
	assert.Equal(t, byte('x'), kept.Raw[0], "Raw does not survive its body")
}
