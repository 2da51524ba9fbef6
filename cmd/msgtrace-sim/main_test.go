package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

func TestParseArgsFileThenFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sim.yaml")
	yaml := "seed: 9\nrows_per_day: 500\ndays: 3\nrate_limit: -1\nrate_window: 1m\nfaults:\n  throttle: 0.1\n  slow_delay: 2s\n  retry_after_seconds: 7\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parseArgs([]string{"-config", file, "-seed", "11", "-sumo-addr", ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 11 || c.RowsPerDay != 500 || c.Days != 3 || c.SumoAddr != "" || c.HTTPSAddr != "127.0.0.1:18443" {
		t.Fatalf("config %+v", c)
	}
	if c.Faults.Throttle != 0.1 || time.Duration(c.Faults.SlowDelay) != 2*time.Second || c.Faults.RetryAfterSeconds != 7 {
		t.Fatalf("faults %+v", c.Faults)
	}
	sc, err := c.simConfig(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sc.RateLimit >= 0 || sc.RateWindow != time.Minute {
		t.Fatalf("rate_limit -1 must turn the quota off: %d %s", sc.RateLimit, sc.RateWindow)
	}
	if _, err := parseArgs([]string{"-faults", `{"nope":1`}); err == nil {
		t.Fatal("bad -faults accepted")
	}
}

// TestZeroIsDefaultNegativeIsNone: the command reads every setting as the
// simulator's Go API does (absent or 0: the default; negative: none), from
// flags and from the file alike; checked on the effective configuration of
// a started simulator.
func TestZeroIsDefaultNegativeIsNone(t *testing.T) {
	cases := []struct {
		name string
		args []string
		file string
		// want the effective values
		rateLimit        int
		delayed, changng float64
		maxVisibility    time.Duration
	}{
		{name: "nothing said: defaults", rateLimit: 100, delayed: 0.1, changng: 0.1, maxVisibility: 30 * time.Minute},
		{name: "flags 0: defaults", args: []string{"-rate-limit", "0", "-delayed-fraction", "0", "-changing-fraction", "0", "-max-visibility-delay", "0s"},
			rateLimit: 100, delayed: 0.1, changng: 0.1, maxVisibility: 30 * time.Minute},
		{name: "flags negative: none", args: []string{"-rate-limit", "-1", "-delayed-fraction", "-1", "-changing-fraction", "-1"},
			rateLimit: -1, delayed: -1, changng: -1, maxVisibility: 30 * time.Minute},
		{name: "file 0: defaults", file: "rate_limit: 0\ndelayed_fraction: 0\n", rateLimit: 100, delayed: 0.1, changng: 0.1, maxVisibility: 30 * time.Minute},
		{name: "file negative: none", file: "rate_limit: -1\nchanging_fraction: -1\n", rateLimit: -1, delayed: 0.1, changng: -1, maxVisibility: 30 * time.Minute},
		{name: "values", args: []string{"-rate-limit", "7", "-delayed-fraction", "0.5", "-max-visibility-delay", "2m"},
			rateLimit: 7, delayed: 0.5, changng: 0.1, maxVisibility: 2 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-dir", dir, "-https-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-rows-per-day", "0"}, tc.args...)
			if tc.file != "" {
				path := filepath.Join(dir, "sim.yaml")
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-config", path)
			}
			c, err := parseArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.simConfig(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			sim, err := simulator.Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			eff := sim.Config()
			if eff.RateLimit != tc.rateLimit || eff.Model.DelayedFraction != tc.delayed || eff.Model.ChangingFraction != tc.changng ||
				eff.Model.MaxVisibilityDelay != tc.maxVisibility {
				t.Errorf("effective rate limit %d, delayed %g, changing %g, max visibility %s; want %d, %g, %g, %s",
					eff.RateLimit, eff.Model.DelayedFraction, eff.Model.ChangingFraction, eff.Model.MaxVisibilityDelay,
					tc.rateLimit, tc.delayed, tc.changng, tc.maxVisibility)
			}
		})
	}
}

func TestBadSettingsNameTheKey(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-max-change-delay", "-1s"}, "max_change_delay (-max-change-delay): -1s is negative"},
		{[]string{"-delayed-fraction", "1.5"}, "delayed_fraction (-delayed-fraction): 1.5 is over 1"},
		{[]string{"-daily-swing", "1"}, "daily_swing"},
		{[]string{"-days", "-2"}, "days"},
		{[]string{"-faults", `{"nope":1`}, "-faults"},
		{[]string{"-token-ttl", "soon"}, "-token-ttl"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseArgs(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// syncBuffer is written by serve's goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	c := defaultConfig()
	c.HTTPSAddr, c.HTTPAddr, c.SumoAddr, c.Dir = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", dir
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, &out) }()

	var ep endpoints
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
		if err == nil && json.Unmarshal(data, &ep) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no endpoints.json")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(ep.CAFile); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	for _, u := range []string{ep.Admin + "health", ep.SumoAdmin + "stats"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	// The managed identity endpoint answers with endpoints.json's header.
	req, err := http.NewRequest(http.MethodGet, ep.IdentityEndpoint+"?api-version=2019-08-01&resource=https://graph.microsoft.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-IDENTITY-HEADER", ep.IdentityHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("managed identity endpoint: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "graph") || !strings.Contains(s, "sumo") || strings.Contains(s, "sim-client-secret") {
		t.Fatalf("output:\n%s", s)
	}
}

// TestStatusWeights: -status-weights and status_weights set the final
// statuses' mix (names in any case, flag over file); mistakes stop the
// command naming the key.
func TestStatusWeights(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(file, []byte("status_weights:\n  delivered: 70\n  Failed: 30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want map[simulator.Status]float64
		err  string
	}{
		{name: "default mix", args: nil, want: nil},
		{name: "file", args: []string{"-config", file},
			want: map[simulator.Status]float64{simulator.StatusDelivered: 70, simulator.StatusFailed: 30}},
		{name: "flag over file", args: []string{"-config", file, "-status-weights", "delivered=70,failed=10,quarantined=10,filteredasspam=10"},
			want: map[simulator.Status]float64{simulator.StatusDelivered: 70, simulator.StatusFailed: 10,
				simulator.StatusQuarantined: 10, simulator.StatusFilteredAsSpam: 10}},
		{name: "unknown status", args: []string{"-status-weights", "delivered=1,bounced=2"}, err: `status_weights (-status-weights): "bounced" is not a message trace status`},
		{name: "negative", args: []string{"-status-weights", "failed=-1,delivered=1"}, err: "failed=-1: weights are relative amounts"},
		{name: "all zero", args: []string{"-status-weights", "failed=0"}, err: "no status has a weight above 0"},
		{name: "syntax", args: []string{"-status-weights", "failed:3"}, err: `"failed:3" is not status=weight`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseArgs(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sc, err := c.simConfig(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sc.Model.StatusWeights, tc.want) {
				t.Fatalf("weights %v, want %v", sc.Model.StatusWeights, tc.want)
			}
		})
	}
}
