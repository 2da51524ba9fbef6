package exchangemessagetracereceiver

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// exportLog records when each (id, recipient, status) was consumed and with
// which previous status.
type exportLog struct {
	mu       sync.Mutex
	at       map[string][]time.Time
	previous map[string]string
}

func newExportLog() *exportLog {
	return &exportLog{at: map[string][]time.Time{}, previous: map[string]string{}}
}

func (e *exportLog) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (e *exportLog) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, key := range rowKeys([]plog.Logs{ld}) {
		e.at[key] = append(e.at[key], now)
	}
	forEachRecord(ld, func(lr plog.LogRecord) {
		if prev, ok := lr.Attributes().Get(logmap.AttributePreviousStatus); ok {
			body := lr.Body().Map()
			id, _ := body.Get("id")
			rcpt, _ := body.Get("recipientAddress")
			st, _ := body.Get("status")
			e.previous[simulator.NewStatusKey(id.Str(), rcpt.Str(), st.Str()).String()] = prev.Str()
		}
	})
	return nil
}

func forEachRecord(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}

func finalKey(r simulator.Row) string { return r.StatusKey().String() }

// lateTenant produces live mail for `live` from now on, with late rows and
// status changes, after a few minutes of history.
func lateTenant(live time.Duration) simulator.Config {
	now := time.Now()
	return simulator.Config{
		Seed: 11,
		Model: simulator.ModelConfig{
			RowsPerDay: 1000000, From: now.Add(-30 * time.Second), To: now.Add(live),
			DelayedFraction: 0.3, MaxVisibilityDelay: 4 * time.Second,
			ChangingFraction: 0.3, MaxChangeDelay: 2 * time.Second,
		},
		RateLimit: -1,
	}
}

// runLateTenant collects lateTenant until every range that may hold its rows
// was settled, and returns the truth and what was exported.
func runLateTenant(t *testing.T, settle time.Duration) (truth []simulator.Row, exports *exportLog, counters simulator.Counters, cfg *Config, started time.Time) {
	const live = 12 * time.Second
	tenant := lateTenant(live)
	sim := startSimulator(t, tenant)
	cfg = simConfig(sim)
	cfg.InitialLookback = time.Minute
	cfg.Delay = time.Second
	cfg.Settle = settle
	cfg.PollInterval = time.Second
	exports = newExportLog()
	started = time.Now()
	startReceiver(t, cfg, exports, newTestHost())

	// The last rows become final at To + 4 s + 1 s + 2 s; the settling pass
	// reads them once they are `settle` old, in steps of `settle`.
	wait := live + 7*time.Second + 2*settle + 3*time.Second
	time.Sleep(wait)
	return sim.Truth(tenant.Model.From, tenant.Model.To), exports, sim.Counters(), cfg, started
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

func TestSettlingPassDeliversLateRowsAndFinalStatuses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 40 s of compressed time")
	}
	truth, exports, counters, cfg, started := runLateTenant(t, 8*time.Second)
	require.NotEmpty(t, truth)

	var missing, repeated, changed, seenInterim, late int
	var live, final []time.Duration
	for _, r := range truth {
		at := exports.at[finalKey(r)]
		if len(at) == 0 {
			missing++
			continue
		}
		if len(at) > 1 {
			repeated++
		}
		if r.InterimStatus != "" {
			changed++
			interim := r
			interim.Status = r.InterimStatus
			if len(exports.at[finalKey(interim)]) > 0 { // seen before it changed
				seenInterim++
				assert.Equal(t, string(r.InterimStatus), exports.previous[finalKey(r)], "a status change names the previous status")
			}
		}
		if r.VisibleAfter > 0 {
			late++
		}
		if r.Received.Before(started) {
			continue // history: collected by the backfill, not live
		}
		final = append(final, at[0].Sub(r.Received.Add(max(r.VisibleAfter, r.StatusAfter))))
		if r.VisibleAfter == 0 && r.InterimStatus == "" {
			live = append(live, at[0].Sub(r.Received))
		}
	}
	for key, at := range exports.at {
		if len(at) > 1 {
			t.Errorf("%s exported %d times", key, len(at))
		}
	}
	t.Logf("settle on: %d rows (%d late, %d changed status, %d of them first exported in their interim status): %d missing, %d exported twice; %d API requests",
		len(truth), late, changed, seenInterim, missing, repeated, counters.APIRequests)
	t.Logf("latency from visible to exported, live rows visible at once (%d): p50 %s p90 %s p99 %s max %s",
		len(live), percentile(live, .5), percentile(live, .9), percentile(live, .99), percentile(live, 1))
	t.Logf("latency from final to exported, all live rows (%d; late and changed ones wait for the settling pass): p50 %s p90 %s p99 %s max %s",
		len(final), percentile(final, .5), percentile(final, .9), percentile(final, .99), percentile(final, 1))
	assert.Zero(t, missing, "every row's final status is delivered")
	assert.Zero(t, repeated)
	assert.Positive(t, late)
	assert.Positive(t, seenInterim)
	// Rows visible at once go out within poll_interval + delay (+ the time
	// the request and the export take).
	assert.LessOrEqual(t, percentile(live, 1), cfg.PollInterval+cfg.Delay+time.Second)
}

func TestWithoutSettlingLateRowsAndStatusChangesAreMissed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 25 s of compressed time")
	}
	truth, exports, counters, _, _ := runLateTenant(t, 0)
	var missedLate, missedFinal, missing int
	for _, r := range truth {
		if len(exports.at[finalKey(r)]) > 0 {
			continue
		}
		missing++
		if r.VisibleAfter > 0 {
			missedLate++
		}
		if r.InterimStatus != "" {
			missedFinal++
		}
	}
	t.Logf("settle off: %d rows, %d never delivered in their final status (%d appeared late, %d changed status); %d API requests",
		len(truth), missing, missedLate, missedFinal, counters.APIRequests)
	assert.Positive(t, missing, "without the settling pass, late rows and final statuses are missed")
}
