//go:build integration

package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/graph"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// detailsSim is the simulator over HTTPS with a day of mail and a failed
// row whose recipient has a quote, and a client's way in.
type detailsSim struct {
	sim    *simulator.Simulator
	now    time.Time
	token  string
	client *http.Client
	logs   *observer.ObservedLogs
	logger *zap.Logger
}

const (
	quotedRecipient       = "dan.o'connor@contoso.com"
	doubleQuotedRecipient = "ann.o''hara@contoso.com"
)

func startDetailsSim(t *testing.T) *detailsSim {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	sim, err := simulator.Start(simulator.Config{
		Seed:      11,
		Now:       func() time.Time { return now },
		RateLimit: -1,
		Model:     simulator.ModelConfig{RowsPerDay: 5000, From: now.Add(-2 * 24 * time.Hour)},
		Rows: []simulator.Row{{
			ID: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", MessageID: "<static@contoso.com>", Received: now.Add(-time.Hour),
			SenderAddress: "boss@contoso.com", RecipientAddress: quotedRecipient, Subject: "Q1", Status: simulator.StatusFailed,
			Size: 1234, FromIP: "203.0.113.9",
		}, {
			// Two quotes in a row: found only when each is doubled.
			ID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", MessageID: "<static2@contoso.com>", Received: now.Add(-time.Hour),
			SenderAddress: "boss@contoso.com", RecipientAddress: doubleQuotedRecipient, Subject: "Q2", Status: simulator.StatusQuarantined,
			Size: 1234, FromIP: "203.0.113.9",
		}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	d := &detailsSim{sim: sim, now: now}
	d.token = accessToken(t, sim)
	d.client = sim.Client()
	d.client.Transport = bearer{token: d.token, base: d.client.Transport}
	core, logs := observer.New(zapcore.DebugLevel)
	d.logs, d.logger = logs, zap.New(core)
	return d
}

func (d *detailsSim) detailsClient(t *testing.T, budget *throttle.Share) *graph.DetailsClient {
	return fetchtest.Must(graph.NewDetailsClient(graph.Config{
		BaseURL: d.sim.HTTPSURL + "/v1.0", Client: d.client, Budget: budget, Logger: d.logger,
		Retry: configretry.BackOffConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, Multiplier: 1.5,
			MaxInterval: 50 * time.Millisecond, MaxElapsedTime: 20 * time.Second},
	}))
}

// assertNoToken: the bearer token shows up in no error and no log line.
func (d *detailsSim) assertNoToken(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			assert.NotContains(t, err.Error(), d.token)
		}
	}
	for _, e := range d.logs.All() {
		assert.NotContains(t, e.Message, d.token)
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok {
				assert.NotContains(t, s, d.token, k)
			}
		}
	}
}

func accessToken(t *testing.T, sim *simulator.Simulator) string {
	cfg := sim.Config()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID},
		"client_secret": {cfg.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"},
	}
	resp, err := sim.Client().PostForm(sim.HTTPSURL+"/"+cfg.TenantID+"/oauth2/v2.0/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotEmpty(t, out.AccessToken)
	return out.AccessToken
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

func (d *detailsSim) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDetailsAgainstSimulator(t *testing.T) {
	d := startDetailsSim(t)

	t.Run("quote in the recipient", func(t *testing.T) {
		c := d.detailsClient(t, throttle.New(0).Share(100))
		evs, err := c.Fetch(d.ctx(t), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", quotedRecipient)
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		var names []string
		for _, ev := range evs {
			names = append(names, strings.ToLower(ev.Event))
			assert.False(t, ev.DateTime.Before(d.now.Add(-time.Hour)), "%s at %s", ev.Event, ev.DateTimeText)
		}
		assert.Contains(t, names, "fail", "a failed row's story has a Fail")

		evs, err = c.Fetch(d.ctx(t), "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", doubleQuotedRecipient)
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		d.assertNoToken(t)
	})

	t.Run("rows of the list", func(t *testing.T) {
		list := fetchtest.Must(graph.New(graph.Config{BaseURL: d.sim.HTTPSURL + "/v1.0", Client: d.client, Budget: throttle.New(0)}))
		var lookups []detailevents.Lookup
		r := msgtrace.Range{Start: d.now.Add(-3 * time.Hour), End: d.now}
		require.NoError(t, list.FetchPages(d.ctx(t), r, "", func(p *msgtrace.Page) error {
			for _, row := range p.Rows {
				if len(lookups) < 40 {
					lookups = append(lookups, detailevents.Lookup{TraceID: row.ID, Recipient: row.RecipientAddress,
						MessageID: row.MessageID, Status: row.Status, Received: row.Received})
				}
			}
			return nil
		}))
		require.Len(t, lookups, 40)
		c := d.detailsClient(t, throttle.New(0).Share(100))
		before := d.sim.Counters().Requests["graph_details"][200]
		logs := plog.NewLogRecordSlice()
		m := detailevents.New(logmap.Options{BodyFormat: logmap.BodyJSON})
		seen := map[string]bool{}
		for _, lk := range lookups {
			evs, err := c.Fetch(d.ctx(t), lk.TraceID, lk.Recipient)
			require.NoError(t, err, "%s %s", lk.TraceID, lk.Recipient)
			require.NotEmpty(t, evs)
			for _, ev := range evs {
				assert.False(t, seen[ev.ID], "event ids are unique: %s", ev.ID)
				seen[ev.ID] = true
				assert.False(t, ev.DateTime.Before(lk.Received), "an event does not precede its row")
			}
			m.Append(logs, lk, evs, pcommon.NewTimestampFromTime(d.now))
		}
		for i := 0; i < logs.Len(); i++ {
			id, _ := logs.At(i).Attributes().Get(detailevents.AttributeTraceID)
			assert.Contains(t, logs.At(i).Body().Str(), `"messageTraceId":"`+id.Str()+`"`)
		}
		assert.Equal(t, int64(40), d.sim.Counters().Requests["graph_details"][200]-before, "one request per lookup")
	})

	t.Run("404", func(t *testing.T) {
		c := d.detailsClient(t, throttle.New(0).Share(100))
		_, err := c.Fetch(d.ctx(t), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "nobody@contoso.com")
		var apiErr *msgtrace.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, msgtrace.KindBadRequest, apiErr.Kind)
		assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
		d.assertNoToken(t, err)
	})
}

// Faults run in their own simulator: they are the home tenant's setting.
func TestDetailsFaultsAgainstSimulator(t *testing.T) {
	t.Run("429 pauses the tenant and ends the lookup", func(t *testing.T) {
		d := startDetailsSim(t)
		d.sim.SetFaults(simulator.Faults{Throttle: 1, RetryAfterSeconds: 30})
		tenant := throttle.New(0)
		c := d.detailsClient(t, tenant.Share(100))
		start := time.Now()
		_, err := c.Fetch(d.ctx(t), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", quotedRecipient)
		kind, _ := msgtrace.KindOf(err)
		assert.Equal(t, msgtrace.KindThrottled, kind)
		assert.Less(t, time.Since(start), 10*time.Second, "the lookup does not wait out Retry-After")
		_, until := tenant.Snapshot()
		assert.Greater(t, time.Until(until), 20*time.Second, "the tenant's budget is paused")

		_, err2 := c.Fetch(d.ctx(t), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", quotedRecipient)
		assert.ErrorIs(t, err2, throttle.ErrShareSpent)
		assert.Equal(t, map[int]int64{429: 1}, d.sim.Counters().Requests["graph_details"], "the paused share sends nothing")
		d.assertNoToken(t, err, err2)
	})

	t.Run("5xx, HTML, truncated and reset retried", func(t *testing.T) {
		d := startDetailsSim(t)
		d.sim.SetFaults(simulator.Faults{ServerError: 0.15, Unavailable: 0.15, HTML: 0.15, Truncated: 0.15, Reset: 0.1})
		c := d.detailsClient(t, throttle.New(0).Share(1000))
		for i := 0; i < 20; i++ {
			evs, err := c.Fetch(d.ctx(t), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", quotedRecipient)
			require.NoError(t, err)
			require.NotEmpty(t, evs)
		}
		faults := d.sim.Counters().Faults
		t.Logf("faults injected: %v", faults)
		for _, kind := range []string{"server_error", "unavailable", "html", "truncated"} {
			assert.Positive(t, faults[kind], kind)
		}
		assert.NotEmpty(t, d.logs.FilterMessageSnippet("retrying").All())
		d.assertNoToken(t)
	})
}
