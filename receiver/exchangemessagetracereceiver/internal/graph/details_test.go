package graph

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

const (
	detailsTraceID   = "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f"
	detailsRecipient = "dan.o'connor+ops@contoso.com"
	// detailsResponse is one of detailevents' recorded responses (relative
	// to testdata/): three events of a failed delivery.
	detailsResponse = "../../detailevents/testdata/failed_smtp.json"
)

type detailsHarness struct {
	srv      *fetchtest.Server
	client   *DetailsClient
	budget   *throttle.Budget
	logs     *observer.ObservedLogs
	outcomes []string
}

// newDetailsHarness serves steps to a details client whose Budget is a
// share of share requests of a tenant budget of 100.
func newDetailsHarness(t *testing.T, share int, steps ...fetchtest.Step) *detailsHarness {
	h := &detailsHarness{srv: fetchtest.NewServer(t, steps...), budget: throttle.New(100)}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	h.client = fetchtest.Must(NewDetailsClient(Config{
		BaseURL:  h.srv.URL + "/v1.0",
		Client:   fetchtest.Client(),
		Budget:   h.budget.Share(share),
		Retry:    fastRetry(),
		ClientID: testClientID,
		Logger:   zap.New(core),
		Observe:  func(outcome string, _ time.Duration) { h.outcomes = append(h.outcomes, outcome) },
	}))
	return h
}

func (h *detailsHarness) fetch(t *testing.T) ([]detailevents.Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	evs, err := h.client.Fetch(ctx, detailsTraceID, detailsRecipient)
	if err != nil {
		assert.NotContains(t, err.Error(), fetchtest.Token)
		assert.NotContains(t, err.Error(), "c2VjcmV0LXNpZ25hdHVyZS")
	}
	for _, e := range h.logs.All() {
		for k, v := range e.ContextMap() {
			assert.NotContains(t, strings.ToLower(k+"="+toString(v)), "c2vjcmv0lxnpz25hdhvyzs")
		}
	}
	return evs, err
}

func TestDetailsRequest(t *testing.T) {
	h := newDetailsHarness(t, 10, fetchtest.Respond(200, fetchtest.ReadFile(t, detailsResponse)))
	evs, err := h.fetch(t)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, "Fail", evs[2].Event)
	assert.Equal(t, time.Date(2026, 1, 21, 10, 2, 47, 0, time.UTC), evs[2].DateTime)

	reqs := h.srv.Requests()
	require.Len(t, reqs, 1)
	// The quote is doubled inside the OData literal; '+' is escaped so that
	// no server reads it as a space.
	assert.Equal(t, "/v1.0/admin/exchange/tracing/messageTraces/"+detailsTraceID+
		"/getDetailsByRecipient(recipientAddress='dan.o''connor%2Bops@contoso.com')", reqs[0].RequestURI)
	assert.Equal(t, "Bearer "+fetchtest.Token, reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "include-unknown-enum-members", reqs[0].Header.Get("Prefer"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
	assert.Equal(t, []string{"ok"}, h.outcomes)
}

func TestDetailsURLEscaping(t *testing.T) {
	c := fetchtest.Must(NewDetailsClient(Config{BaseURL: "https://graph.microsoft.com/v1.0/"}))
	tests := map[string]string{
		"a@contoso.com":              "'a@contoso.com'",
		"o'connor@contoso.com":       "'o''connor@contoso.com'",
		"'quoted'@contoso.com":       "'''quoted''@contoso.com'",
		"a b/c?d#e%f&g=h;i@x.com":    "'a%20b%2Fc%3Fd%23e%25f%26g%3Dh%3Bi@x.com'",
		"josé@contoso.com":           "'jos%C3%A9@contoso.com'",
		`"quoted local"@contoso.com`: "'%22quoted%20local%22@contoso.com'",
	}
	for rcpt, lit := range tests {
		u := c.URL("id/../x", rcpt)
		assert.Equal(t, "https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces/id%2F..%2Fx/getDetailsByRecipient(recipientAddress="+lit+")", u, rcpt)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		// What the server decodes is the literal with the quotes doubled.
		assert.True(t, strings.HasSuffix(parsed.Path, "(recipientAddress='"+strings.ReplaceAll(rcpt, "'", "''")+"')"), parsed.Path)
		assert.Equal(t, u, parsed.String(), "the request line is sent as built")
	}
	_, err := NewDetailsClient(Config{BaseURL: "graph.microsoft.com"})
	assert.ErrorContains(t, err, "is not an absolute URL")
}

func TestDetailsFailures(t *testing.T) {
	ok := func(t *testing.T) fetchtest.Step {
		return fetchtest.Respond(200, fetchtest.ReadFile(t, detailsResponse))
	}
	file := func(t *testing.T, status int, name string, headers ...string) fetchtest.Step {
		return fetchtest.Respond(status, fetchtest.ReadFile(t, name), headers...)
	}
	tests := []struct {
		name     string
		steps    func(t *testing.T) []fetchtest.Step
		wantKind msgtrace.ErrorKind
		status   int
		noErr    bool
		wantMsg  string
		outcomes []string
	}{
		{
			name: "5xx retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 503, "error_503.json"), file(t, 500, "error_503.json"), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "transient", "ok"},
		},
		{
			name: "HTML page retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(200, fetchtest.ReadFile(t, "signin.html"), "Content-Type: text/html"), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "truncated body retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Truncated(`{"value":[{"id":"a"`), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "complete response with half a document retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(200, `{"value":[{"id":"a","dateTime":"2026-01`), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "HTTP 200 with an error retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(200, `{"error":{"code":"InternalServerError","message":"try again"}}`), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "404 is a bad request, not retried",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(404, `{"error":{"code":"ResourceNotFound","message":"not found"}}`)}
			},
			wantKind: msgtrace.KindBadRequest,
			status:   404,
			wantMsg:  `Microsoft Graph has no detail events of this message trace row (HTTP 404 ResourceNotFound: "not found")`,
			outcomes: []string{"bad_request"},
		},
		{
			name:     "400",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 400, "error_400_window.json")} },
			wantKind: msgtrace.KindBadRequest,
			status:   400,
			wantMsg:  "Microsoft Graph rejected the detail lookup (HTTP 400",
			outcomes: []string{"bad_request"},
		},
		{
			name:     "403",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 403, "error_403.json")} },
			wantKind: msgtrace.KindPermission,
			status:   403,
			wantMsg:  Permission,
			outcomes: []string{"permission"},
		},
		{
			name: "401 retried once",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 401, "error_401_token.json"), ok(t)}
			},
			noErr:    true,
			outcomes: []string{"auth", "ok"},
		},
		{
			name: "429 ends the fetch at once",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 429, "error_429.json", "Retry-After: 30")}
			},
			wantKind: msgtrace.KindThrottled,
			status:   429,
			wantMsg:  "throttled",
			outcomes: []string{"throttled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps(t)
			h := newDetailsHarness(t, 10, steps...)
			start := time.Now()
			evs, err := h.fetch(t)
			assert.Len(t, h.srv.Requests(), len(steps))
			assert.Equal(t, tt.outcomes, h.outcomes)
			if tt.noErr {
				require.NoError(t, err)
				assert.Len(t, evs, 3)
				return
			}
			require.Error(t, err)
			assert.Nil(t, evs)
			var apiErr *msgtrace.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.wantKind, apiErr.Kind)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Contains(t, err.Error(), "detail events of message trace "+detailsTraceID+` for "dan.o'connor+ops@contoso.com"`)
			assert.Less(t, time.Since(start), 5*time.Second, "nothing waits out a Retry-After")
		})
	}
}

// A 429 pauses the tenant's budget (the list calls wait) but the lookup
// does not wait: it ends, and the share reports itself spent until the
// pause is over.
func TestDetailsThrottledPausesTheTenant(t *testing.T) {
	h := newDetailsHarness(t, 10, fetchtest.Respond(429, fetchtest.ReadFile(t, "error_429.json"), "Retry-After: 30"))
	_, err := h.fetch(t)
	kind, _ := msgtrace.KindOf(err)
	assert.Equal(t, msgtrace.KindThrottled, kind)
	_, until := h.budget.Snapshot()
	assert.Greater(t, time.Until(until), 25*time.Second, "the whole tenant pauses for Retry-After")
	require.NotEmpty(t, h.logs.FilterMessageSnippet("Throttled").All())

	_, err = h.fetch(t)
	assert.ErrorIs(t, err, throttle.ErrShareSpent, "paused: the share gives up at once")
	assert.Len(t, h.srv.Requests(), 1)
}

func TestDetailsShareSpent(t *testing.T) {
	t.Run("no request sent", func(t *testing.T) {
		h := newDetailsHarness(t, 1, fetchtest.Respond(200, fetchtest.ReadFile(t, detailsResponse)))
		_, err := h.fetch(t)
		require.NoError(t, err)
		start := time.Now()
		evs, err := h.fetch(t)
		assert.Nil(t, evs)
		require.ErrorIs(t, err, throttle.ErrShareSpent)
		_, isAPI := msgtrace.KindOf(err)
		assert.False(t, isAPI, "no request was sent: nothing for the API to have said")
		assert.Less(t, time.Since(start), time.Second)
		assert.Len(t, h.srv.Requests(), 1)
		assert.Equal(t, []string{"ok"}, h.outcomes)
	})
	t.Run("while retrying", func(t *testing.T) {
		h := newDetailsHarness(t, 1, fetchtest.Respond(503, fetchtest.ReadFile(t, "error_503.json")))
		_, err := h.fetch(t)
		require.ErrorIs(t, err, throttle.ErrShareSpent, "the retry finds the share spent")
		kind, _ := msgtrace.KindOf(err)
		assert.Equal(t, msgtrace.KindTransient, kind, "and the failure it was retrying is kept")
		assert.Len(t, h.srv.Requests(), 1)
	})
}

func TestDetailsMalformedEventsSkipped(t *testing.T) {
	h := newDetailsHarness(t, 10, fetchtest.Respond(200, `{"value":[
		{"id":"a","dateTime":"2026-01-21T12:00:00Z","event":"Receive"},
		{"id":"b","dateTime":"not a time","event":"Fail"},
		{"id":"c","dateTime":"2026-01-21T12:00:01Z","event":"Deliver"}]}`))
	evs, err := h.fetch(t)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "c", evs[1].ID)
	assert.Equal(t, []string{fetch.OutcomeMalformed}, h.outcomes)
	logged := h.logs.FilterMessage("Skipped malformed detail events").All()
	require.Len(t, logged, 1)
	assert.Equal(t, int64(1), logged[0].ContextMap()["malformed"])
	assert.Contains(t, toString(logged[0].ContextMap()["reasons"]), `event 1: dateTime "not a time" is not a time`)
}

func TestDetailsContextEnds(t *testing.T) {
	h := newDetailsHarness(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.client.Fetch(ctx, detailsTraceID, detailsRecipient)
	assert.True(t, errors.Is(err, context.Canceled))
	assert.Empty(t, h.srv.Requests())
}
