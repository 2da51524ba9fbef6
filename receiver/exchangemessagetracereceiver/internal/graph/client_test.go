package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

const testClientID = "11111111-2222-3333-4444-555555555555"

var testRange = msgtrace.Range{
	Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC),
	End:   time.Date(2026, 1, 23, 0, 0, 0, 0, time.UTC),
}

func fastRetry() configretry.BackOffConfig {
	return configretry.BackOffConfig{
		Enabled:         true,
		InitialInterval: 5 * time.Millisecond,
		Multiplier:      1.5,
		MaxInterval:     20 * time.Millisecond,
		MaxElapsedTime:  300 * time.Millisecond,
	}
}

type observed struct {
	outcome string
	wait    time.Duration
}

type harness struct {
	srv      *fetchtest.Server
	client   *Client
	budget   *throttle.Budget
	logs     *observer.ObservedLogs
	observed []observed
}

func newHarness(t *testing.T, httpClient *http.Client, steps ...fetchtest.Step) *harness {
	h := &harness{srv: fetchtest.NewServer(t, steps...), budget: throttle.New(100)}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	if httpClient == nil {
		httpClient = fetchtest.Client()
	}
	h.client = fetchtest.Must(New(Config{
		BaseURL:  h.srv.URL + "/v1.0",
		Client:   httpClient,
		Budget:   h.budget,
		PageSize: 4,
		Retry:    fastRetry(),
		ClientID: testClientID,
		Logger:   zap.New(core),
		Observe: func(outcome string, wait time.Duration) {
			h.observed = append(h.observed, observed{outcome, wait})
		},
	}))
	return h
}

// fetch runs a range query and returns the pages' rows and the error.
func (h *harness) fetch(t *testing.T, resumeLink string) ([]msgtrace.Page, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var pages []msgtrace.Page
	err := h.client.FetchPages(ctx, testRange, resumeLink, func(p *msgtrace.Page) error {
		cp := *p
		cp.Rows = append([]msgtrace.Row(nil), p.Rows...)
		for i := range cp.Rows {
			cp.Rows[i].Raw = append([]byte(nil), cp.Rows[i].Raw...)
		}
		pages = append(pages, cp)
		return nil
	})
	return pages, err
}

func (h *harness) outcomes() []string {
	var out []string
	for _, o := range h.observed {
		out = append(out, o.outcome)
	}
	return out
}

// assertNoSecrets checks that the token shows up in no log and no error.
func (h *harness) assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		assert.NotContains(t, err.Error(), fetchtest.Token)
		assert.NotContains(t, err.Error(), "c2VjcmV0LXNpZ25hdHVyZS")
	}
	for _, e := range h.logs.All() {
		assert.NotContains(t, e.Message, fetchtest.Token)
		for k, v := range e.ContextMap() {
			s := strings.ToLower(k + "=" + toString(v))
			assert.NotContains(t, s, strings.ToLower(fetchtest.Token))
			assert.NotContains(t, s, "c2vjcmv0lxnpz25hdhvyzs")
			assert.NotContains(t, s, "bearer ey")
		}
	}
}

func toString(v any) string { return fmt.Sprint(v) }

func TestFetchPagesFollowsEveryPage(t *testing.T) {
	h := newHarness(t, nil,
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page1.json")),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page2.json")),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json")),
	)
	pages, err := h.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, pages, 3)

	reqs := h.srv.Requests()
	require.Len(t, reqs, 3)
	first, err := url.ParseRequestURI(reqs[0].RequestURI)
	require.NoError(t, err)
	assert.Equal(t, "/v1.0/admin/exchange/tracing/messageTraces", first.Path)
	assert.Equal(t, "receivedDateTime ge 2026-01-20T00:00:00Z and receivedDateTime le 2026-01-23T00:00:00Z", first.Query().Get("$filter"))
	assert.Equal(t, "4", first.Query().Get("$top"))
	for i, r := range reqs {
		assert.Equal(t, "Bearer "+fetchtest.Token, r.Header.Get("Authorization"), "request %d", i)
		assert.Equal(t, "include-unknown-enum-members", r.Header.Get("Prefer"), "recalled rather than unknownFutureValue, request %d", i)
	}
	// The nextLinks are followed whole, exactly as Graph wrote them.
	base := h.srv.URL
	assert.Equal(t, strings.TrimPrefix(pages[0].NextLink, base), reqs[1].RequestURI)
	assert.Equal(t, strings.TrimPrefix(pages[1].NextLink, base), reqs[2].RequestURI)
	assert.Contains(t, reqs[1].RequestURI, "$skiptoken=eyJTdGFydERhdGUiOiIyMDI2LTAxLTIwIn0%3D")
	assert.Empty(t, pages[2].NextLink)

	var ids []string
	var indexes []int64
	for _, p := range pages {
		for _, r := range p.Rows {
			ids = append(ids, r.ID[:8]+"/"+r.RecipientAddress)
			indexes = append(indexes, r.Index)
		}
	}
	assert.Equal(t, []string{
		"b7c1f4d2/dan.o'connor@contoso.com", "c2d3e4f5/ops@contoso.com", "e4f5a6b7/quarantine@contoso.com",
		"f1000000/b@contoso.com", "f1000000/c@contoso.com", "f3000000/end@contoso.com",
	}, ids)
	// Positions count the malformed row too, so they stay stable.
	assert.Equal(t, []int64{0, 1, 3, 4, 5, 6}, indexes)

	assert.Equal(t, 1, pages[0].Malformed)
	require.Len(t, pages[0].MalformedErrors, 1)
	assert.Contains(t, pages[0].MalformedErrors[0].Error(), `row 2: receivedDateTime "yesterday at noon" is not a time`)
	assert.Equal(t, []string{"malformed", "ok", "ok"}, h.outcomes())
	// The request loop only counts the outcome: the receiver logs the
	// page's malformed rows, once.
	assert.Zero(t, h.logs.FilterLevelExact(zapcore.WarnLevel).Len(), "%v", h.logs.All())
	h.assertNoSecrets(t, nil)
}

func TestRowFields(t *testing.T) {
	body := fetchtest.ReadFile(t, "page1.json")
	dec := newPageDecoder(testRange, 1000)
	page, err := dec.Decode([]byte(body), nil)
	require.NoError(t, err)
	require.Len(t, page.Rows, 3)

	r0, r1, r3 := page.Rows[0], page.Rows[1], page.Rows[2]
	assert.Equal(t, msgtrace.Row{
		ID:               "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f",
		MessageID:        "<1f2e3d4c-5b6a-7980-9a0b-1c2d3e4f5a6b@contoso.com>",
		Received:         time.Date(2026, 1, 21, 14, 12, 34, 0, time.UTC),
		SenderAddress:    "sender@contoso.com",
		RecipientAddress: "dan.o'connor@contoso.com",
		Subject:          "Monthly report",
		Status:           "delivered",
		FromIP:           "203.0.113.25",
		ToIP:             "",
		Size:             51234,
		StartDate:        testRange.Start,
		EndDate:          testRange.End,
		Index:            0,
		ReceivedText:     "2026-01-21T14:12:34Z",
		StartDateText:    "2026-01-20T00:00:00Z",
		EndDateText:      "2026-01-23T00:00:00Z",
		Raw:              r0.Raw,
	}, r0)
	// Raw is the row exactly as sent, unknown keys included.
	assert.True(t, strings.HasPrefix(string(r0.Raw), `{"@odata.type": "#microsoft.graph.exchangeMessageTrace", "id": "b7c1f4d2`))
	assert.True(t, strings.HasSuffix(string(r0.Raw), `"status": "delivered"}`))
	assert.True(t, strings.Contains(body, string(r1.Raw)))

	assert.Equal(t, "Delivered", r1.Status, "status casing is kept as sent")
	assert.Equal(t, "2001:db8:85a3::8a2e:370:7334", r1.FromIP)
	assert.Equal(t, "Café \"menu\" 😀 / done", r1.Subject)
	assert.Equal(t, "", r1.MessageID)
	assert.Equal(t, msgtrace.FieldMessageID, r1.Nulls)
	assert.False(t, r1.Nulls.Has(msgtrace.FieldToIP), "an empty toIP is not null")
	assert.Equal(t, time.Date(2026, 1, 21, 14, 10, 2, 123e6, time.UTC), r1.Received)
	assert.Equal(t, "2026-01-21T14:10:02.123Z", r1.ReceivedText)

	assert.Equal(t, msgtrace.FieldSenderAddress|msgtrace.FieldSubject, r3.Nulls)
	assert.Equal(t, time.Date(2026, 1, 21, 14, 5, 59, 5e8, time.UTC), r3.Received)
	assert.Equal(t, "2026-01-21T14:05:59.5+00:00", r3.ReceivedText)
	assert.Equal(t, int64(987654), r3.Size)
	assert.Equal(t, int64(3), r3.Index)
}
