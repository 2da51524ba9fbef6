package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseArgsFileThenFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sim.yaml")
	yaml := "seed: 9\nrows_per_day: 500\ndays: 3\nrate_limit: 0\nrate_window: 1m\nfaults:\n  throttle: 0.1\n  slow_delay: 2s\n  retry_after_seconds: 7\n"
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
		t.Fatalf("rate_limit 0 must turn the quota off: %d %s", sc.RateLimit, sc.RateWindow)
	}
	if _, err := parseArgs([]string{"-faults", `{"nope":1`}); err == nil {
		t.Fatal("bad -faults accepted")
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
