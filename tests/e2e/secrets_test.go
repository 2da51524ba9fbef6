//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

// TestMain reports what the secret scan covered: every collector run of
// every test is scanned when it ends (its whole debug log), and every test
// that compares deliveries scans the exported records.
func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Printf("secret scan: %d collector logs, %d log lines, %d bytes (logs and exported records); %d secrets found\n",
		secretScan.files.Load(), secretScan.lines.Load(), secretScan.bytes.Load(), secretScan.found.Load())
	if secretScan.files.Load() > 0 {
		f := readme.Figure{Test: "secret scan (every test)", Passed: secretScan.found.Load() == 0, At: time.Now().UTC(),
			Fault:   "every collector log (debug level) and every exported record of the run, for client secrets, authorization codes, access and refresh tokens, and the Sumo Logic source's token",
			Promise: "no secret anywhere",
			Other: fmt.Sprintf("%d collector logs, %d lines, %d bytes scanned; %d secrets found",
				secretScan.files.Load(), secretScan.lines.Load(), secretScan.bytes.Load(), secretScan.found.Load())}
		if err := readme.AppendFigure(figuresPath(), f); err != nil {
			fmt.Println("recording the secret scan's figures:", err)
		}
	}
	os.Exit(code)
}

// TestSecretsAuthorizationCodeFlow: the legacy report with the delegated
// flow, the one that handles every kind of secret (client secret,
// authorization code, access tokens, rotating refresh tokens), at debug
// level and across a restart that resumes from the stored refresh token:
// none of them appears in a log line or an exported record.
func TestSecretsAuthorizationCodeFlow(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	fig := recordFigures(t, "the authorization-code flow at debug level, every kind of secret in use (client secret, code, access and rotating refresh tokens), across a restart")
	bins := requireBinaries(t)
	// Access tokens of 2 minutes: inside MSAL's refresh margin, so the
	// refresh token is used and rotated on the way.
	tb := newTestbed(t, bins, append(historyArgs(0.1, 20000), "-token-ttl", "2m")...)
	historyStart := tb.sim.started.Add(-3*time.Hour - time.Hour)

	// The scan must recognise what the simulator issues.
	tokens := tb.issueTokens(t)
	for name, tok := range tokens {
		if len(findSecrets([]byte("x "+tok+" y"))) == 0 {
			t.Fatalf("the secret scan does not recognise a %s", name)
		}
	}

	before := tb.identityStats(t)
	code := tb.sim.NewAuthCode()
	addKnownSecret(code)
	cfg := tb.config("reporting", 4*time.Hour)
	rcv := receiverOf(cfg)
	rcv["authorization_code"] = code
	rcv["redirect_uri"] = "https://localhost"
	rcv["page_size"] = 500

	for run := 1; run <= 2; run++ {
		col := tb.startCollector(t, bins, cfg)
		time.Sleep(6 * time.Second)
		if h, ok := col.Health(); !ok || h.Code != 200 || h.Receiver != "StatusOK" {
			t.Errorf("run %d: health %d %s", run, h.Code, h.Body)
		}
		col.Stop() // its log is scanned for secrets when the test ends
		if log := col.Log(); !strings.Contains(log, "debug") {
			t.Errorf("run %d: the log has no debug lines: the scan would miss what debug logging shows", run)
		}
	}
	st := tb.identityStats(t)
	t.Logf("identity platform: tokens issued %v (one code and one client-credentials token were the test's own), refresh tokens rotated %d, codes redeemed %d (reused %d, stale refresh reuse %d)",
		st.TokensIssued, st.RefreshRotated-before.RefreshRotated, st.CodesRedeemed-before.CodesRedeemed, st.CodesReused, st.StaleRefreshUsed)
	if st.CodesRedeemed-before.CodesRedeemed != 1 || st.CodesReused != 0 {
		t.Errorf("the authorization code was redeemed %d times (reused %d): want once, the restart resuming from the stored refresh token",
			st.CodesRedeemed-before.CodesRedeemed, st.CodesReused)
	}
	if st.TokensIssued["refresh_token"] == 0 {
		t.Errorf("no refresh token was used: the scan did not see the rotation path")
	}

	cutoff := time.Now().Add(-5 * time.Second)
	lines := tb.sim.Lines()
	assertNoSecretsInLines(t, lines)
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, 0)
	setDelivery(fig, d, "0 lost, 0 repeated; no secret in the logs or records")
}

// TestSecretsSumoSourceURL: the Sumo Logic HTTP source's URL holds the
// source's token (docs/install.md: a secret). The collector runs at debug level,
// first against a source that refuses connections (the exporter's errors,
// which Go writes with the URL, go to the log, the receiver's status and the
// health check), then against the live fake source: the token is in no log
// line and no health answer, while the lines that would carry it are there.
// Contrib's exporter logs the URL at info level on every start ("setting
// data urls"); the distribution's `sumologic` exporter redacts it.
func TestSecretsSumoSourceURL(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	fig := recordFigures(t, "the Sumo Logic source's URL (its token) at debug level, with the source refusing connections, then live")
	bins := requireBinaries(t)
	tb := newTestbed(t, bins, historyArgs(0.1, 20000)...)
	historyStart := tb.sim.started.Add(-3*time.Hour - time.Hour)
	live := tb.sim.ep.Sumo
	u, err := url.Parse(live)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = freeAddr(t) // nobody listens: connection refused
	dead := u.String()

	cfg := tb.config("graph", 4*time.Hour)
	receiverOf(cfg)["page_size"] = 500
	exp := exporterOf(cfg)
	exp["endpoint"] = dead
	exp["retry_on_failure"] = yamlMap{"enabled": true, "initial_interval": "100ms", "max_interval": "500ms", "max_elapsed_time": "1s"}
	col := tb.startCollector(t, bins, cfg)
	if !waitFor(30*time.Second, func() bool { return strings.Contains(col.Log(), "connection refused") }) {
		t.Errorf("no refused export in the log within 30s: the scan would not see the exporter's errors")
	}
	time.Sleep(2 * time.Second) // the receiver's status follows its failed page
	h, _ := col.Health()
	t.Logf("health while the source refuses: %s", h.Body)
	col.Stop() // its log is scanned for secrets when the test ends
	assertNoSecrets(t, "the health check's answer", []byte(h.Body))
	for _, want := range []string{"setting data urls", "debug"} {
		if !strings.Contains(col.Log(), want) {
			t.Errorf("the log has no %q: the scan would miss what it shows", want)
		}
	}

	exp["endpoint"] = live
	col = tb.startCollector(t, bins, cfg)
	cutoff := time.Now()
	want := int64(len(tb.sim.Truth(historyStart, cutoff.Add(-5*time.Second))))
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines >= want }) {
		t.Errorf("the backfill did not arrive within 60s")
	}
	h, _ = col.Health()
	col.Stop()
	assertNoSecrets(t, "the health check's answer", []byte(h.Body))
	lines := tb.sim.Lines()
	assertNoSecretsInLines(t, lines)
	d := compare(tb.sim.Truth(historyStart, cutoff.Add(-5*time.Second)), lines, cutoff.Add(-5*time.Second))
	requireComplete(t, d, 500)
	setDelivery(fig, d, "no source token in the logs, errors or health answers")
}

// issueTokens asks the simulated identity platform for an access token and,
// through an authorization code, a refresh token, as a client would.
func (tb *testbed) issueTokens(t *testing.T) map[string]string {
	t.Helper()
	pem, err := os.ReadFile(tb.sim.ep.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	tokenURL := tb.sim.ep.HTTPS + "/" + tb.sim.ep.TenantID + "/oauth2/v2.0/token"
	request := func(form url.Values) map[string]any {
		form.Set("client_id", tb.sim.ep.ClientID)
		form.Set("client_secret", simSecret)
		resp, err := c.PostForm(tokenURL, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 200 {
			t.Fatalf("token endpoint: %d (error %v)", resp.StatusCode, body["error"])
		}
		return body
	}
	out := map[string]string{}
	cc := request(url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}})
	out["access token"], _ = cc["access_token"].(string)
	ac := request(url.Values{"grant_type": {"authorization_code"}, "code": {tb.sim.NewAuthCode()},
		"redirect_uri": {"https://localhost"}, "scope": {"https://outlook.office365.com/.default offline_access"}})
	out["refresh token"], _ = ac["refresh_token"].(string)
	out["authorization code"] = tb.sim.NewAuthCode()
	for k, v := range out {
		if v == "" {
			t.Fatalf("the simulator issued no %s", k)
		}
	}
	return out
}

type identityStats struct {
	TokensIssued     map[string]int `json:"TokensIssued"`
	RefreshRotated   int            `json:"RefreshTokensRotated"`
	StaleRefreshUsed int            `json:"StaleRefreshReuse"`
	CodesRedeemed    int            `json:"CodesRedeemed"`
	CodesReused      int            `json:"CodesReused"`
}

func (tb *testbed) identityStats(t *testing.T) identityStats {
	t.Helper()
	var st identityStats
	if err := json.Unmarshal(tb.sim.get(tb.sim.ep.Admin+"identity/stats"), &st); err != nil {
		t.Fatal(err)
	}
	return st
}
