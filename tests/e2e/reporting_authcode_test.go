//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReportingAuthCodeRotation: the delegated flow of the Sumo Logic
// cloud-to-cloud source. The receiver redeems the authorization code once;
// with 2-second access tokens every token request is a refresh, and each
// refresh rotates the refresh token. After 10 rotations the collector is
// killed (SIGKILL) the moment the simulator has issued a new refresh token,
// and restarted on the same storage and config: collection continues with
// no new code, and the simulator never sees a replaced refresh token again.
// Three such crashes.
func TestReportingAuthCodeRotation(t *testing.T) {
	bins := requireBinaries(t)
	const (
		kills      = 3
		rotations  = 10 // per run, before the kill
		pageSize   = 200
		days       = 0.05 // 1,000 rows over 72 minutes, then live
		perDay     = 20000
		afterLast  = 5 // rotations the last run must make
		statsEvery = 2 * time.Millisecond
	)
	fig := recordFigures(t, fmt.Sprintf("authorization-code flow with 2s access tokens: %d SIGKILLs, each the moment a refresh-token rotation completed", kills))
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-token-ttl", "2s", "-rate-limit", "-1")...)
	historyStart := tb.sim.started.Add(-2 * time.Hour)

	before := tb.identityStats(t)
	code := tb.sim.NewAuthCode()
	addKnownSecret(code)
	cfg := tb.config("reporting", 2*time.Hour)
	rcv := receiverOf(cfg)
	rcv["client_secret"] = simSecret
	rcv["authorization_code"] = code
	rcv["redirect_uri"] = "https://localhost"
	rcv["storage"] = "file_storage"
	rcv["page_size"] = pageSize
	rcv["max_requests_per_5m"] = 0

	var report []string
	for i := 0; i <= kills; i++ {
		col := tb.startCollector(t, bins, cfg)
		base := tb.identityStats(t).RefreshRotated
		want := rotations
		if i == kills {
			want = afterLast
		}
		if !waitFor(60*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+want-1 }) {
			st := tb.identityStats(t)
			t.Fatalf("run %d: %d rotations in 60s, want %d (stats %+v)", i+1, st.RefreshRotated-base, want, st)
		}
		if i == kills {
			if !waitFor(20*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+want }) {
				t.Fatalf("last run: fewer than %d rotations", want)
			}
			if h, ok := col.Health(); !ok || h.Code != 200 || h.Receiver != "StatusOK" {
				t.Errorf("last run: health %d %s", h.Code, h.Body)
			}
			col.Stop()
			break
		}
		// Wait for the next API request and kill the collector at once.
		// Every token request is a refresh (2-second tokens), and the
		// receiver hands out the new access token only once the new refresh
		// token is in storage: a request means its rotation just completed.
		// A kill between the token endpoint's answer and the storage write
		// is TestReportingAuthCodeKillBeforeSave.
		n, r := tb.identityStats(t).RefreshRotated, tb.sim.ReportingRequests()
		var detected time.Time
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(statsEvery) {
			if tb.sim.ReportingRequests() > r {
				detected = time.Now()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: no request within 20s", i+1)
			}
		}
		col.Kill()
		st := tb.identityStats(t)
		if st.RefreshRotated <= n {
			t.Fatalf("run %d: an API request without a rotation before it (2-second tokens must be refreshed for each)", i+1)
		}
		report = append(report, fmt.Sprintf("run %d: killed %s after the API request that followed rotation #%d (%d rotations in this run)",
			i+1, time.Since(detected).Round(time.Microsecond), st.RefreshRotated-before.RefreshRotated, st.RefreshRotated-base))
		if i > 0 && strings.Contains(col.Log(), "Redeemed the authorization code") {
			t.Errorf("run %d redeemed the authorization code again", i+1)
		}
	}
	stopAt := time.Now()

	st := tb.identityStats(t)
	t.Logf("%s", strings.Join(report, "\n"))
	t.Logf("identity platform: codes redeemed %d (reused %d), refresh tokens rotated %d, stale refresh token reuse %d, tokens issued %v",
		st.CodesRedeemed-before.CodesRedeemed, st.CodesReused-before.CodesReused, st.RefreshRotated-before.RefreshRotated,
		st.StaleRefreshUsed-before.StaleRefreshUsed, st.TokensIssued)
	if st.CodesRedeemed-before.CodesRedeemed != 1 || st.CodesReused != before.CodesReused {
		t.Errorf("authorization code redeemed %d times (reused %d), want once: restarts must resume from the stored refresh token",
			st.CodesRedeemed-before.CodesRedeemed, st.CodesReused-before.CodesReused)
	}
	if st.StaleRefreshUsed != before.StaleRefreshUsed {
		t.Errorf("the simulator saw %d refresh token(s) presented after a newer one had been issued: a crash lost the newest refresh token",
			st.StaleRefreshUsed-before.StaleRefreshUsed)
	}
	if st.RefreshRotated-before.RefreshRotated < kills*rotations+afterLast {
		t.Errorf("only %d rotations", st.RefreshRotated-before.RefreshRotated)
	}

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, kills*pageSize)
	setDelivery(fig, d, fmt.Sprintf("0 lost; ≤ %d (a page) repeated per crash; the code redeemed once", pageSize))
	fig.Other = fmt.Sprintf("code redeemed %d time(s); %d refresh rotations; replaced refresh tokens presented: %d",
		st.CodesRedeemed-before.CodesRedeemed, st.RefreshRotated-before.RefreshRotated, st.StaleRefreshUsed-before.StaleRefreshUsed)
	assertNoSecretsInLines(t, lines)
}
