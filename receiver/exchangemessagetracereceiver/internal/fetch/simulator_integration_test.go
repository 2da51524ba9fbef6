//go:build integration

package fetch_test

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

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/graph"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/reporting"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// Both clients read a day of the simulator's mail through every transient
// fault it can inject, and get exactly the simulator's ground truth.
func TestClientsAgainstSimulator(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	faults := simulator.Faults{
		Throttle: 0.03, ServerError: 0.05, Unavailable: 0.05, HTML: 0.05, Truncated: 0.05, Reset: 0.05,
		BadSkipToken: 0.02, RetryAfterSeconds: 1,
	}
	start := func(verbose bool) *simulator.Simulator {
		sim, err := simulator.Start(simulator.Config{
			Seed:          7,
			Now:           func() time.Time { return now },
			RateLimit:     -1,
			Model:         simulator.ModelConfig{RowsPerDay: 20000, From: now.Add(-5 * 24 * time.Hour)},
			Faults:        faults,
			LegacyVerbose: verbose,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sim.Close() })
		return sim
	}
	sim, verboseSim := start(false), start(true)

	r := msgtrace.Range{Start: now.Add(-3 * 24 * time.Hour), End: now.Add(-2 * 24 * time.Hour)}
	truth := map[string]string{}
	for _, row := range sim.Truth(r.Start, r.End) {
		truth[row.ID+"|"+row.RecipientAddress] = strings.ToLower(string(row.Status))
	}
	require.NotEmpty(t, truth)

	retry := configretry.BackOffConfig{Enabled: true, InitialInterval: 10 * time.Millisecond, Multiplier: 1.5,
		MaxInterval: 100 * time.Millisecond, MaxElapsedTime: 20 * time.Second}
	sources := map[string]msgtrace.Source{
		"graph": fetchtest.Must(graph.New(graph.Config{BaseURL: sim.HTTPURL + "/v1.0", PageSize: 1000, Retry: retry,
			Client: tokenClient(t, sim, "https://graph.microsoft.com"), Budget: throttle.New(0)})),
		"rws": fetchtest.Must(reporting.New(reporting.Config{BaseURL: sim.HTTPURL + "/ecp/reportingwebservice/reporting.svc", PageSize: 1000, Retry: retry,
			Client: tokenClient(t, sim, "https://outlook.office365.com"), Budget: throttle.New(0)})),
		"rws_verbose": fetchtest.Must(reporting.New(reporting.Config{BaseURL: verboseSim.HTTPURL + "/ecp/reportingwebservice/reporting.svc", PageSize: 1000, Retry: retry,
			Client: tokenClient(t, verboseSim, "https://outlook.office365.com"), Budget: throttle.New(0)})),
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			restarts := 0
			for {
				err := src.FetchPages(context.Background(), r, "", func(p *msgtrace.Page) error {
					assert.Zero(t, p.Malformed, "%v", p.MalformedErrors)
					for _, row := range p.Rows {
						got[row.ID+"|"+row.RecipientAddress] = strings.ToLower(row.Status)
						assert.Equal(t, name == "rws_verbose", row.Raw == nil)
						assert.False(t, row.Received.Before(r.Start) || row.Received.After(r.End), row.ReceivedText)
					}
					return nil
				})
				if kind, _ := msgtrace.KindOf(err); err != nil && kind == msgtrace.KindBadSkipToken && restarts < 20 {
					restarts++
					continue
				}
				require.NoError(t, err)
				break
			}
			t.Logf("%s: %d rows, %d restarts after bad skiptokens", name, len(got), restarts)
			assert.Equal(t, truth, got)
		})
	}
}

func tokenClient(t *testing.T, sim *simulator.Simulator, resource string) *http.Client {
	cfg := sim.Config()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID},
		"client_secret": {cfg.ClientSecret}, "scope": {resource + "/.default"},
	}
	resp, err := http.PostForm(sim.HTTPURL+"/"+cfg.TenantID+"/oauth2/v2.0/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotEmpty(t, out.AccessToken)
	return &http.Client{Timeout: 10 * time.Second, Transport: bearer{token: out.AccessToken}}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}
