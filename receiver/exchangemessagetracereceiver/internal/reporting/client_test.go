package reporting

import (
	"context"
	"errors"
	"fmt"
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

const (
	testClientID = "11111111-2222-3333-4444-555555555555"
	basePath     = "/ecp/reportingwebservice/reporting.svc"
)

var testRange = msgtrace.Range{
	Start: time.Date(2022, 11, 27, 17, 8, 26, 849270600, time.UTC),
	End:   time.Date(2022, 11, 29, 17, 8, 26, 849270600, time.UTC),
}

type harness struct {
	srv      *fetchtest.Server
	client   *Client
	budget   *throttle.Budget
	logs     *observer.ObservedLogs
	outcomes []string
}

func newHarness(t *testing.T, steps ...fetchtest.Step) *harness {
	h := &harness{srv: fetchtest.NewServer(t, steps...), budget: throttle.New(100)}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	h.client = fetchtest.Must(New(Config{
		BaseURL:  h.srv.URL + basePath,
		Client:   fetchtest.Client(),
		Budget:   h.budget,
		PageSize: 2,
		Retry: configretry.BackOffConfig{
			Enabled: true, InitialInterval: 5 * time.Millisecond, Multiplier: 1.5,
			MaxInterval: 20 * time.Millisecond, MaxElapsedTime: 300 * time.Millisecond,
		},
		ClientID: testClientID,
		Logger:   zap.New(core),
		Observe:  func(outcome string, _ time.Duration) { h.outcomes = append(h.outcomes, outcome) },
	}))
	return h
}

func (h *harness) fetch(t *testing.T, resumeLink string) ([]msgtrace.Page, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var pages []msgtrace.Page
	err := h.client.FetchPages(ctx, testRange, resumeLink, func(p *msgtrace.Page) error {
		cp := *p
		cp.Rows = append([]msgtrace.Row(nil), p.Rows...)
		for i := range cp.Rows {
			if cp.Rows[i].Raw != nil {
				cp.Rows[i].Raw = append([]byte(nil), cp.Rows[i].Raw...)
			}
		}
		pages = append(pages, cp)
		return nil
	})
	if err != nil {
		assert.NotContains(t, err.Error(), fetchtest.Token)
	}
	for _, e := range h.logs.All() {
		assert.NotContains(t, e.Message+fmt.Sprint(e.ContextMap()), fetchtest.Token)
	}
	return pages, err
}

func TestSeedRows(t *testing.T) {
	seed := fetchtest.ReadFile(t, "seed_001_three_rows.json")
	h := newHarness(t, fetchtest.Respond(200, seed))
	pages, err := h.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, pages, 1)

	req, err := url.ParseRequestURI(h.srv.Requests()[0].RequestURI)
	require.NoError(t, err)
	assert.Equal(t, basePath+"/MessageTrace", req.Path)
	assert.Equal(t, "StartDate eq datetime'2022-11-27T17:08:26.8492706Z' and EndDate eq datetime'2022-11-29T17:08:26.8492706Z'", req.Query().Get("$filter"))
	assert.Equal(t, "json", req.Query().Get("$format"))
	assert.Equal(t, "2", req.Query().Get("$top"))

	rows := pages[0].Rows
	require.Len(t, rows, 3)
	assert.Equal(t, msgtrace.Row{
		ID:               "aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e",
		MessageID:        "<233af449-87f6-4902-bcf5-77838a4e7603@az.southcentralus.unknown.microsoft.com>",
		Received:         time.Date(2022, 11, 29, 5, 35, 8, 265237100, time.UTC),
		SenderAddress:    "azure-noreply@microsoft.com",
		RecipientAddress: "ebenzoni@org.onmicrosoft.com",
		Subject:          "Azure AD Identity Protection Weekly Digest",
		Status:           "Delivered",
		FromIP:           "20.97.34.221",
		Size:             145153,
		Organization:     "org.onmicrosoft.com",
		StartDate:        testRange.Start,
		EndDate:          testRange.End,
		Index:            0,
		ReceivedText:     "2022-11-29T05:35:08.2652371",
		StartDateText:    "2022-11-27T17:08:26.8492706Z",
		EndDateText:      "2022-11-29T17:08:26.8492706Z",
		Nulls:            msgtrace.FieldToIP,
		Raw:              rows[0].Raw,
	}, rows[0])
	// Raw is each row object exactly as the seed has it.
	for i, r := range rows {
		assert.True(t, strings.Contains(seed, string(r.Raw)), "row %d", i)
		assert.True(t, strings.HasPrefix(string(r.Raw), "{\n     \"Organization\""), "row %d", i)
		assert.True(t, strings.HasSuffix(string(r.Raw), fmt.Sprintf("\"Index\": %d\n   }", i)), "row %d", i)
		assert.Equal(t, int64(i), r.Index)
	}
	assert.Equal(t, "sumo-apps@org.onmicrosoft.com", rows[2].RecipientAddress)
	assert.Equal(t, int64(145123), rows[2].Size)
	assert.Equal(t, []string{"ok"}, h.outcomes)
	assert.Equal(t, msgtrace.APIReporting, h.client.API())
}

func TestRelativeNextLink(t *testing.T) {
	h := newHarness(t,
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page1_relative_next.json")),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "page2_last.json")),
	)
	pages, err := h.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, pages, 2)
	want := basePath + "/MessageTrace?$filter=StartDate%20eq%20datetime'2022-11-27T17:08:26.8492706Z'%20and%20EndDate%20eq%20datetime'2022-11-29T17:08:26.8492706Z'&$format=json&$top=2&$skiptoken=2"
	assert.Equal(t, h.srv.URL+want, pages[0].NextLink, "NextLink is absolute")
	assert.Equal(t, want, h.srv.Requests()[1].RequestURI)
	assert.Empty(t, pages[1].NextLink)

	r0, r1 := pages[0].Rows[0], pages[0].Rows[1]
	assert.Equal(t, "dan.o'connor@org.onmicrosoft.com", r0.RecipientAddress)
	assert.Equal(t, "2001:db8::1", r0.FromIP)
	assert.Equal(t, msgtrace.FieldToIP, r0.Nulls)
	assert.Equal(t, msgtrace.FieldMessageID, r1.Nulls)
	assert.Equal(t, time.Date(2022, 11, 29, 5, 35, 7, 0, time.UTC), r1.Received)
	assert.Equal(t, int64(2), pages[1].Rows[0].Index)
	assert.Equal(t, "Pending", pages[1].Rows[0].Status)
}

func TestVerboseShape(t *testing.T) {
	h := newHarness(t,
		fetchtest.Respond(200, fetchtest.ReadFile(t, "verbose_page1.json")),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "verbose_page2.json")),
	)
	pages, err := h.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, pages, 2)
	assert.Contains(t, h.srv.Requests()[1].RequestURI, "$skiptoken=2")

	r0 := pages[0].Rows[0]
	assert.Equal(t, msgtrace.Row{
		ID:               "aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e",
		MessageID:        "<v0@org.onmicrosoft.com>",
		Received:         time.UnixMilli(1659020996164).UTC(),
		SenderAddress:    "azure-noreply@microsoft.com",
		RecipientAddress: "ebenzoni@org.onmicrosoft.com",
		Subject:          "Verbose été",
		Status:           "Delivered",
		FromIP:           "20.97.34.221",
		Size:             145153,
		Organization:     "org.onmicrosoft.com",
		StartDate:        time.UnixMilli(1658900000000).UTC(),
		EndDate:          time.UnixMilli(1659100000000).UTC(),
		Index:            0,
		ReceivedText:     "2022-07-28T15:09:56.164Z",
		StartDateText:    "2022-07-27T05:33:20Z",
		EndDateText:      "2022-07-29T13:06:40Z",
		Nulls:            msgtrace.FieldToIP,
	}, r0, "verbose rows have no Raw and ISO 8601 UTC texts")

	r1 := pages[0].Rows[1]
	assert.Equal(t, int64(144900), r1.Size, "Edm.Int64 written as a string")
	assert.Equal(t, int64(1), r1.Index)
	assert.Equal(t, "2022-07-28T15:09:55Z", r1.ReceivedText)
	assert.Nil(t, r1.Raw)
	assert.Equal(t, "Quarantined", pages[1].Rows[0].Status)
}

func TestFailures(t *testing.T) {
	file := func(t *testing.T, status int, name string, headers ...string) fetchtest.Step {
		return fetchtest.Respond(status, fetchtest.ReadFile(t, name), headers...)
	}
	seed := func(t *testing.T) fetchtest.Step { return file(t, 200, "seed_001_three_rows.json") }
	html := func(t *testing.T) fetchtest.Step {
		return file(t, 200, "signin.html", "Content-Type: text/html; charset=utf-8")
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
		resume   string // path and query below the server URL
		steps    func(t *testing.T) []fetchtest.Step
		open     bool // retries stop on their own: do not count requests
		wantKind msgtrace.ErrorKind
		noErr    bool
		wantMsg  []string
		outcomes []string
	}{
		{
			name:     "403 without the role",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 403, "error_403.json")} },
			wantKind: msgtrace.KindPermission,
			wantMsg: []string{
				"App " + testClientID + " (or the signed-in user) may not read the message trace report",
				`"No permission to access the report for the organization ."`,
				"ReportingWebService.Read.All", "admin consent", "Global Reader",
			},
			outcomes: []string{"permission"},
		},
		{
			name:     "HTML sign-in page with HTTP 200 then success",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{html(t), seed(t)} },
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name:     "HTML sign-in page every time",
			steps:    func(t *testing.T) []fetchtest.Step { return repeat(200, html(t)) },
			open:     true,
			wantKind: msgtrace.KindTransient,
			wantMsg:  []string{`The Reporting Web Service returned an HTML page ("Sign in to Outlook") instead of JSON`, "gave up after"},
		},
		{
			name: "truncated body then success",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(200, fetchtest.ReadFile(t, "seed_001_three_rows.json")[:500]), seed(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name: "not JSON at all",
			steps: func(t *testing.T) []fetchtest.Step {
				return repeat(200, fetchtest.Respond(200, "Service Unavailable", "Content-Type: text/plain"))
			},
			open:     true,
			wantKind: msgtrace.KindTransient,
			wantMsg:  []string{"not valid JSON", `"Service Unavailable"`},
		},
		{
			name: "odata.error with 500 then success",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 500, "error_500_odata.json"), seed(t)}
			},
			noErr:    true,
			outcomes: []string{"transient", "ok"},
		},
		{
			name:     "500 at a huge skiptoken asks for smaller windows",
			resume:   basePath + "/MessageTrace?$filter=x&$format=json&$top=1000&$skiptoken=999999",
			steps:    func(t *testing.T) []fetchtest.Step { return repeat(200, file(t, 500, "error_500_odata.json")) },
			open:     true,
			wantKind: msgtrace.KindTransient,
			wantMsg:  []string{`The Reporting Web Service failed (HTTP 500: "An error has occurred.")`, "from 999999 on", "row 999999", "must be split", "lower max_window"},
		},
		{
			name:     "400 on the query",
			steps:    func(t *testing.T) []fetchtest.Step { return []fetchtest.Step{file(t, 400, "error_400_odata.json")} },
			wantKind: msgtrace.KindBadRequest,
			wantMsg:  []string{`rejected the MessageTrace query (HTTP 400: "The parameter 'StartDate' is out of range.")`},
			outcomes: []string{"bad_request"},
		},
		{
			name: "400 on a nextLink",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{file(t, 200, "page1_relative_next.json"), file(t, 400, "error_400_odata.json")}
			},
			wantKind: msgtrace.KindBadSkipToken,
			wantMsg:  []string{"rejected its own nextLink"},
			outcomes: []string{"ok", "bad_skiptoken"},
		},
		{
			name: "401 twice",
			steps: func(t *testing.T) []fetchtest.Step {
				s := fetchtest.Respond(401, "", "WWW-Authenticate: Bearer error=\"invalid_token\"")
				return []fetchtest.Step{s, s}
			},
			wantKind: msgtrace.KindAuth,
			wantMsg:  []string{`The Reporting Web Service refused the access token (HTTP 401: "Bearer error=\"invalid_token\"")`, "https://outlook.office365.com"},
			outcomes: []string{"auth", "auth"},
		},
		{
			name: "429 with Retry-After then success",
			steps: func(t *testing.T) []fetchtest.Step {
				return []fetchtest.Step{fetchtest.Respond(429, `{"ErrorCode":"","Message":"Too many requests"}`, "Retry-After: 1"), seed(t)}
			},
			noErr:    true,
			outcomes: []string{"throttled", "ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps(t)
			h := newHarness(t, steps...)
			resume := ""
			if tt.resume != "" {
				resume = h.srv.URL + tt.resume
			}
			_, err := h.fetch(t, resume)
			if !tt.open {
				assert.Len(t, h.srv.Requests(), len(steps))
			}
			if tt.outcomes != nil {
				assert.Equal(t, tt.outcomes, h.outcomes)
			}
			if tt.noErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			t.Logf("error: %v", err)
			var apiErr *msgtrace.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, tt.wantKind, apiErr.Kind)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestThrottleWaitsInFull(t *testing.T) {
	h := newHarness(t,
		fetchtest.Respond(429, `{"ErrorCode":"","Message":"Too many requests"}`, "Retry-After: 2"),
		fetchtest.Respond(200, fetchtest.ReadFile(t, "seed_001_three_rows.json")),
	)
	_, err := h.fetch(t, "")
	require.NoError(t, err)
	reqs := h.srv.Requests()
	require.Len(t, reqs, 2)
	assert.GreaterOrEqual(t, reqs[1].At.Sub(reqs[0].At), 2*time.Second)
}

func TestLenientMinimalRows(t *testing.T) {
	body := `{"value":[{"MessageTraceId":"a","RecipientAddress":"r@x","Received":"/Date(1659020996164)/","Size":"12","Index":"4"},` +
		`{"MessageTraceId":"b","RecipientAddress":"r@x","Received":"2022-11-29T05:35:08.2652371","Size":true}]}`
	page, err := newPageDecoder(testRange, 10).Decode([]byte(body), nil)
	require.NoError(t, err)
	require.Len(t, page.Rows, 1)
	r := page.Rows[0]
	assert.Equal(t, time.UnixMilli(1659020996164).UTC(), r.Received)
	assert.Equal(t, "/Date(1659020996164)/", r.ReceivedText, "minimal rows keep their text verbatim")
	assert.Equal(t, int64(12), r.Size)
	assert.Equal(t, int64(4), r.Index)
	assert.NotNil(t, r.Raw)
	assert.Equal(t, 1, page.Malformed)
	assert.Equal(t, "row 1: Size has the wrong type", page.MalformedErrors[0].Error())
}

// A row holding a value JSON does not have (NaN, Infinity) in a field it is
// made of is skipped as malformed in both OData shapes; the page's other
// rows are kept. In a member the schema does not map (an added score, one
// inside __metadata), the word is never read and the row is kept.
func TestNaNRows(t *testing.T) {
	tests := []struct{ name, body string }{
		{"minimal", `{"value":[{"MessageTraceId":"a","RecipientAddress":"r@x","Received":"2022-11-29T05:35:08","Size":12},` +
			`{"MessageTraceId":"b","RecipientAddress":"r@x","Received":"2022-11-29T05:35:08","Size":NaN},` +
			`{"MessageTraceId":"c","RecipientAddress":"r@x","Received":"2022-11-29T05:35:08","Size":-Infinity},` +
			`{"MessageTraceId":"d","SpamScore":NaN,"RecipientAddress":"r@x","Received":"2022-11-29T05:35:08","Size":12}]}`},
		{"verbose", `{"d":{"results":[{"__metadata":{"type":"TenantReporting.MessageTrace"},"MessageTraceId":"a","RecipientAddress":"r@x","Received":"\/Date(1659020996164)\/","Size":12},` +
			`{"__metadata":{"type":"TenantReporting.MessageTrace"},"MessageTraceId":"b","RecipientAddress":"r@x","Received":"\/Date(1659020996164)\/","Size":NaN},` +
			`{"__metadata":{"type":"TenantReporting.MessageTrace"},"MessageTraceId":"c","RecipientAddress":"r@x","Received":"\/Date(1659020996164)\/","Size":-Infinity},` +
			`{"__metadata":{"type":"TenantReporting.MessageTrace","score":NaN},"MessageTraceId":"d","RecipientAddress":"r@x","Received":"\/Date(1659020996164)\/","Size":12}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := newPageDecoder(testRange, 10).Decode([]byte(tt.body), nil)
			require.NoError(t, err)
			require.Len(t, page.Rows, 2)
			assert.Equal(t, "a", page.Rows[0].ID)
			assert.Equal(t, "d", page.Rows[1].ID, "a bare word in an unmapped member keeps the row")
			assert.Equal(t, int64(3), page.Rows[1].Index)
			assert.Nil(t, page.Rows[1].Raw, "not JSON: the mapper encodes the fields instead")
			assert.Equal(t, 2, page.Malformed)
			require.Len(t, page.MalformedErrors, 2)
			assert.Equal(t, "row 1: Size holds NaN, which is not a JSON value", page.MalformedErrors[0].Error())
			assert.Equal(t, "row 2: Size holds -Infinity, which is not a JSON value", page.MalformedErrors[1].Error())
		})
	}
}
