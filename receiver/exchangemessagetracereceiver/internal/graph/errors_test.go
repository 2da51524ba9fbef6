package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

func TestFailures(t *testing.T) {
	page1 := func(t *testing.T) fetchtest.Step { return fetchtest.Respond(200, fetchtest.ReadFile(t, "page1.json")) }
	page3 := func(t *testing.T) fetchtest.Step { return fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json")) }
	file := func(t *testing.T, status int, name string, headers ...string) fetchtest.Step {
		return fetchtest.Respond(status, fetchtest.ReadFile(t, name), headers...)
	}
	html := func(t *testing.T) fetchtest.Step {
		return fetchtest.Respond(200, fetchtest.ReadFile(t, "signin.html"), "Content-Type: text/html; charset=utf-8")
	}
	repeat := func(n int, s fetchtest.Step) []fetchtest.Step {
		out := make([]fetchtest.Step, n)
		for i := range out {
			out[i] = s
		}
		return out
	}

	tests := []struct {
		name     string
		steps    func(t *testing.T) []fetchtest.Step
		maxSteps bool // the step list is longer than needed: retries stop on their own
		wantErr  msgtrace.ErrorKind
		noErr    bool
		wantMsg  []string
		pages    int
		outcomes []string
	}{
		{
			name:     "5xx then success",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 503, "error_503.json"), page3(t)} },
			noErr:    true,
			pages:    1,
			outcomes: []string{"transient", "ok"},
		},
		{
			name:     "HTML sign-in page then success",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{html(t), page3(t)} },
			noErr:    true,
			pages:    1,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "connection cut mid-body then success",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Truncated(fetchtest.ReadFile(t, "page1.json")[:300]), page3(t)}
			},
			noErr:    true,
			pages:    1,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "HTML sign-in page every time",
			steps: func(t *testing.T) []fetchtest.Step {
				return repeat(200, html(t))
			},
			maxSteps: true,
			wantErr:  msgtrace.KindTransient,
			wantMsg:  []string{`Microsoft Graph returned an HTML page ("Sign in to Outlook") instead of JSON; this is a known transient fault of the service`, "gave up after"},
		},
		{
			name: "truncated JSON every time",
			steps: func(t *testing.T) []fetchtest.Step {
				return repeat(200, fetchtest.Respond(200, fetchtest.ReadFile(t, "page1.json")[:700]))
			},
			maxSteps: true,
			wantErr:  msgtrace.KindTransient,
			wantMsg:  []string{"Microsoft Graph returned a truncated JSON response (700 bytes", "gave up after"},
		},
		{
			name: "NaN outside the rows every time",
			steps: func(t *testing.T) []fetchtest.Step {
				return repeat(200, fetchtest.Respond(200, `{"@odata.context":"x","@odata.count":NaN,"value":[]}`))
			},
			maxSteps: true,
			wantErr:  msgtrace.KindTransient,
			wantMsg: []string{"Microsoft Graph returned a response that is not valid JSON (invalid JSON at byte 37: NaN is not a JSON value)",
				`near "{\"@odata.context\":\"x\",\"@odata.count\":NaN,\"value\":[]}"`, "gave up after"},
		},
		{
			name:     "400 on the first page",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 400, "error_400_window.json")} },
			wantErr:  msgtrace.KindBadRequest,
			wantMsg:  []string{`Microsoft Graph rejected the message trace query (HTTP 400 BadRequest: "|System.ArgumentException|The interval between StartDate and EndDate can't be longer than 10 days.")`},
			outcomes: []string{"bad_request"},
		},
		{
			name: "400 when following a nextLink",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{page1(t), file(t, 400, "error_400_skiptoken.json")}
			},
			wantErr:  msgtrace.KindBadSkipToken,
			wantMsg:  []string{"Microsoft Graph rejected its own nextLink", "Cannot process argument transformation on parameter 'StartDate'", "restarted from its first page"},
			pages:    1,
			outcomes: []string{"malformed", "bad_skiptoken"},
		},
		{
			name: "401 service principal missing",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 401, "error_401_service_principal.json")}
			},
			wantErr:  msgtrace.KindPermission,
			wantMsg:  []string{"Exchange Online has no service principal for Microsoft's message trace app 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 in this tenant: run `New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373` (Microsoft Graph PowerShell) or `az ad sp create --id 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373`, then allow a few hours for provisioning"},
			outcomes: []string{"permission"},
		},
		{
			name: "401 token refused",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 401, "error_401_token.json"), file(t, 401, "error_401_token.json")}
			},
			wantErr:  msgtrace.KindAuth,
			wantMsg:  []string{`Microsoft Graph refused the access token (HTTP 401 InvalidAuthenticationToken: "Access token validation failure. Invalid audience.")`, "audience"},
			outcomes: []string{"auth", "auth"},
		},
		{
			name: "401 once then success (expired token)",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 401, "error_401_token.json"), page3(t)}
			},
			noErr:    true,
			pages:    1,
			outcomes: []string{"auth", "ok"},
		},
		{
			name:     "403 permission",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 403, "error_403.json")} },
			wantErr:  msgtrace.KindPermission,
			wantMsg:  []string{"app " + testClientID + " lacks the application permission ExchangeMessageTrace.Read.All or admin consent for it: add it under API permissions > Microsoft Graph > Application permissions and click Grant admin consent"},
			outcomes: []string{"permission"},
		},
		{
			name: "5xx every time",
			steps: func(t *testing.T) []fetchtest.Step {
				return repeat(200, file(t, 503, "error_503.json"))
			},
			maxSteps: true,
			wantErr:  msgtrace.KindTransient,
			wantMsg:  []string{`Microsoft Graph failed (HTTP 503 ServiceUnavailable: "The service is temporarily unavailable.")`, "gave up after"},
		},
		{
			name: "401 body echoing the token is redacted",
			steps: func(t *testing.T) []fetchtest.Step {
				s := fetchtest.Respond(401, `{"error":{"code":"InvalidAuthenticationToken","message":"Token `+fetchtest.Token+` is expired; header was Authorization: Bearer `+fetchtest.Token+`"}}`)
				return []fetchtest.Step{s, s}
			},
			wantErr:  msgtrace.KindAuth,
			wantMsg:  []string{"[redacted] is expired"},
			outcomes: []string{"auth", "auth"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps(t)
			h := newHarness(t, nil, steps...)
			pages, err := h.fetch(t, "")
			if !tt.maxSteps {
				assert.Len(t, h.srv.Requests(), len(steps), "requests")
			}
			assert.Len(t, pages, tt.pages)
			if tt.outcomes != nil {
				assert.Equal(t, tt.outcomes, h.outcomes())
			}
			h.assertNoSecrets(t, err)
			for _, e := range h.logs.All() {
				t.Logf("log %s: %s %v", e.Level, e.Message, e.ContextMap()["error"])
			}
			if tt.noErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			t.Logf("error: %v", err)
			var apiErr *msgtrace.APIError
			require.True(t, errors.As(err, &apiErr), "%T %v", err, err)
			assert.Equal(t, tt.wantErr, apiErr.Kind, apiErr.Error())
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.Less(t, len(err.Error()), 1200, "errors quote bodies, not dump them")
		})
	}
}

func TestThrottledRequestWaitsForRetryAfter(t *testing.T) {
	h := newHarness(t, nil,
		fetchtest.Respond(429, fetchtest.ReadFile(t, "error_429.json"), "Retry-After: 2"),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json")),
	)
	pages, err := h.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, pages, 1)
	reqs := h.srv.Requests()
	require.Len(t, reqs, 2)
	assert.GreaterOrEqual(t, reqs[1].At.Sub(reqs[0].At), 2*time.Second, "Retry-After is honoured in full")
	require.Len(t, h.observed, 2)
	assert.Equal(t, "throttled", h.observed[0].outcome)
	assert.Equal(t, "ok", h.observed[1].outcome)
	assert.Greater(t, h.observed[1].wait, 1900*time.Millisecond, "the pause is the budget's and is reported as throttle wait")
	require.NotEmpty(t, h.logs.FilterMessageSnippet("Throttled").All())
}

func TestThrottlePausesTheSharedBudget(t *testing.T) {
	// The 429 pauses every user of the tenant's budget, not just this request.
	h := newHarness(t, nil,
		fetchtest.Respond(429, fetchtest.ReadFile(t, "error_429.json"), "Retry-After: 30"),
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- h.client.FetchPages(ctx, testRange, "", func(*msgtrace.Page) error { return nil })
	}()
	require.Eventually(t, func() bool { _, until := h.budget.Snapshot(); return time.Until(until) > 25*time.Second }, 5*time.Second, 10*time.Millisecond)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	kind, ok := msgtrace.KindOf(err)
	assert.True(t, ok)
	assert.Equal(t, msgtrace.KindThrottled, kind)
}

func TestTokenSourceErrorsKeepTheirKind(t *testing.T) {
	for _, kind := range []msgtrace.ErrorKind{msgtrace.KindAuth, msgtrace.KindPermission} {
		t.Run(kind.String(), func(t *testing.T) {
			tokenErr := &msgtrace.APIError{Kind: kind, Code: "AADSTS7000222", Message: "the client secret of app x expired: create a new one"}
			hc := &http.Client{Transport: &fetchtest.TokenTransport{Err: tokenErr}}
			h := newHarness(t, hc)
			_, err := h.fetch(t, "")
			require.Error(t, err)
			var got *msgtrace.APIError
			require.ErrorAs(t, err, &got)
			assert.Same(t, tokenErr, got)
			assert.Equal(t, kind, got.Kind)
			assert.Empty(t, h.srv.Requests())
			assert.Equal(t, []string{kind.String()}, h.outcomes())
		})
	}
	t.Run("transient token errors are retried", func(t *testing.T) {
		tokenErr := &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "token endpoint unreachable"}
		hc := &http.Client{Transport: &fetchtest.TokenTransport{Err: tokenErr}}
		h := newHarness(t, hc)
		_, err := h.fetch(t, "")
		kind, ok := msgtrace.KindOf(err)
		require.True(t, ok)
		assert.Equal(t, msgtrace.KindTransient, kind)
		assert.Greater(t, len(h.observed), 2)
		assert.Contains(t, err.Error(), "token endpoint unreachable")
	})
}

func TestResumeLink(t *testing.T) {
	t.Run("same host: followed first", func(t *testing.T) {
		h := newHarness(t, nil, fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json")))
		link := h.srv.URL + "/v1.0/admin/exchange/tracing/messageTraces?$filter=receivedDateTime%20ge%202026-01-20T00:00:00Z&$top=4&$skiptoken=abc%3D%3D"
		pages, err := h.fetch(t, link)
		require.NoError(t, err)
		require.Len(t, pages, 1)
		assert.Equal(t, strings.TrimPrefix(link, h.srv.URL), h.srv.Requests()[0].RequestURI)
	})
	t.Run("same host: a 400 is a bad skiptoken", func(t *testing.T) {
		h := newHarness(t, nil, fetchtest.Respond(400, fetchtest.ReadFile(t, "error_400_skiptoken.json")))
		_, err := h.fetch(t, h.srv.URL+"/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=x")
		kind, _ := msgtrace.KindOf(err)
		assert.Equal(t, msgtrace.KindBadSkipToken, kind)
	})
	t.Run("other host: ignored", func(t *testing.T) {
		h := newHarness(t, nil, fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json")))
		pages, err := h.fetch(t, "https://attacker.example/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=abc")
		require.NoError(t, err)
		require.Len(t, pages, 1)
		assert.True(t, strings.HasPrefix(h.srv.Requests()[0].RequestURI, "/v1.0/admin/exchange/tracing/messageTraces?$filter="))
		assert.NotEmpty(t, h.logs.FilterMessageSnippet("Ignoring a saved nextLink").All())
	})
}

func TestNextLinkToAnotherHostIsNotFollowed(t *testing.T) {
	h := newHarness(t, nil, fetchtest.Respond(200, `{"value":[],"@odata.nextLink":"https://attacker.example/v1.0/x?$skiptoken=1"}`))
	pages, err := h.fetch(t, "")
	require.Len(t, pages, 1)
	kind, _ := msgtrace.KindOf(err)
	assert.Equal(t, msgtrace.KindBadRequest, kind)
	assert.Contains(t, err.Error(), "not followed")
}

func TestOnPageErrorStopsTheFetch(t *testing.T) {
	h := newHarness(t, nil, fetchtest.Respond(200, fetchtest.ReadFile(t, "page1.json")))
	stop := errors.New("consumer refused")
	err := h.client.FetchPages(context.Background(), testRange, "", func(*msgtrace.Page) error { return stop })
	assert.Same(t, stop, err)
	assert.Len(t, h.srv.Requests(), 1)
}

func TestRetryDisabled(t *testing.T) {
	srv := fetchtest.NewServer(t, fetchtest.Respond(503, fetchtest.ReadFile(t, "error_503.json")))
	c := fetchtest.Must(New(Config{BaseURL: srv.URL + "/v1.0", Client: fetchtest.Client()}))
	err := c.FetchPages(context.Background(), testRange, "", func(*msgtrace.Page) error { return nil })
	kind, _ := msgtrace.KindOf(err)
	assert.Equal(t, msgtrace.KindTransient, kind)
	assert.Len(t, srv.Requests(), 1)
}

func TestTransportFailures(t *testing.T) {
	t.Run("timeout then success", func(t *testing.T) {
		slow := func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}
		srvSteps := []fetchtest.Step{slow, fetchtest.Respond(200, fetchtest.ReadFile(t, "page3.json"))}
		hc := fetchtest.Client()
		hc.Timeout = 100 * time.Millisecond
		h := newHarness(t, hc, srvSteps...)
		pages, err := h.fetch(t, "")
		require.NoError(t, err)
		assert.Len(t, pages, 1)
		assert.Equal(t, []string{"transient", "ok"}, h.outcomes())
		require.NotEmpty(t, h.logs.FilterMessageSnippet("retrying").All())
		assert.Contains(t, h.logs.FilterMessageSnippet("retrying").All()[0].ContextMap()["error"], "timed out")
	})
	t.Run("connection refused", func(t *testing.T) {
		h := newHarness(t, nil)
		h.srv.Close()
		_, err := h.fetch(t, "")
		kind, ok := msgtrace.KindOf(err)
		require.True(t, ok)
		assert.Equal(t, msgtrace.KindTransient, kind)
		assert.Contains(t, err.Error(), "request to Microsoft Graph (127.0.0.1:")
		assert.Contains(t, err.Error(), "gave up after")
		assert.NotContains(t, err.Error(), "$filter", "the URL is not repeated in the error")
	})
	t.Run("byte order mark", func(t *testing.T) {
		h := newHarness(t, nil, fetchtest.Respond(200, "\xEF\xBB\xBF"+fetchtest.ReadFile(t, "page3.json")))
		pages, err := h.fetch(t, "")
		require.NoError(t, err)
		require.Len(t, pages, 1)
		assert.Len(t, pages[0].Rows, 1)
	})
}
