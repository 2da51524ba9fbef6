//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestReportingAuthCodeKillBeforeSave: as TestReportingAuthCodeRotation, but with
// file_storage fsync on (a durable write takes a few milliseconds), and the
// collector killed the instant the simulator has issued a new refresh
// token, up to 10 times. Each restart must resume with the newest refresh
// token: the simulator revokes a chain whose replaced token is presented
// again (AADSTS50173), and then only a new authorization code helps.
//
// It fails whenever a kill lands between the token endpoint's answer and
// the storage write (with fsync, on the first kill in every run so far;
// without, about one kill in eight): the newest refresh token exists only in
// the answer until the write completes, so the restart presents the
// replaced one. No client can close that window; internal/auth/authcode.go's
// "a crash at any point leaves the newest refresh token on disk" does not
// hold for it. Microsoft's identity platform does not revoke a refresh
// token when a newer one is issued, so against Entra ID the restart would
// go on with the older token; the simulator is stricter. Opt-in, so that a
// known, unfixable race does not turn `make e2e-test` red:
// E2E_AUTH_RACE=1 (E2E_AUTH_RACE_NO_FSYNC=1 for the default fsync off).
func TestReportingAuthCodeKillBeforeSave(t *testing.T) {
	if os.Getenv("E2E_AUTH_RACE") == "" {
		t.Skip("opt-in (E2E_AUTH_RACE=1): a kill inside the token endpoint's answer and the storage write loses the newest refresh token; see the comment")
	}
	bins := requireBinaries(t)
	const kills = 10
	tb := newTestbed(t, bins, append(historyArgs(0.01, 2000), "-token-ttl", "2s", "-rate-limit", "-1")...)
	code := tb.sim.NewAuthCode()
	addKnownSecret(code)
	cfg := tb.config("reporting", time.Hour)
	rcv := receiverOf(cfg)
	rcv["authorization_code"] = code
	rcv["redirect_uri"] = "https://localhost"
	rcv["max_requests_per_5m"] = 0
	cfg["extensions"].(yamlMap)["file_storage"].(yamlMap)["fsync"] = os.Getenv("E2E_AUTH_RACE_NO_FSYNC") == ""

	var report []string
	for i := 0; i < kills; i++ {
		col := tb.startCollector(t, bins, cfg)
		base := tb.identityStats(t).RefreshRotated
		if !waitFor(15*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+1 }) {
			st := tb.identityStats(t)
			col.Stop()
			t.Fatalf("run %d: no refresh within 15s after a restart (stale refresh token reuse %d so far); the receiver says: %s",
				i+1, st.StaleRefreshUsed, lastError(col.Log()))
		}
		n := tb.identityStats(t).RefreshRotated
		deadline := time.Now().Add(10 * time.Second)
		for tb.identityStats(t).RefreshRotated == n {
			if time.Now().After(deadline) {
				t.Fatalf("run %d: no rotation within 10s", i+1)
			}
		}
		col.Kill()
		report = append(report, fmt.Sprintf("kill %d right after rotation #%d", i+1, n+1))
	}
	col := tb.startCollector(t, bins, cfg)
	base := tb.identityStats(t).RefreshRotated
	ok := waitFor(10*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+2 })
	col.Stop()
	st := tb.identityStats(t)
	t.Logf("%s; identity platform: %+v", strings.Join(report, ", "), st)
	if st.StaleRefreshUsed > 0 || !ok {
		t.Errorf("after a SIGKILL right after a rotation the restarted collector presented a replaced refresh token %d time(s) and lost access "+
			"(a new authorization code is needed); the receiver says: %s", st.StaleRefreshUsed, lastError(col.Log()))
	}
	if st.CodesRedeemed != 1 || st.CodesReused != 0 {
		t.Errorf("authorization code redeemed %d times, reused %d", st.CodesRedeemed, st.CodesReused)
	}
}

// lastError is the last error or warning line of a collector log, cut short.
func lastError(log string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "\terror\t") || strings.Contains(lines[i], "\twarn\t") {
			if _, e, ok := strings.Cut(lines[i], `"error": `); ok {
				return truncate([]byte(e), 600)
			}
			return truncate([]byte(lines[i]), 600)
		}
	}
	return "(no error logged)"
}
