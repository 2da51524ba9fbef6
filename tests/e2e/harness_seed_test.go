//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// seedResponse is the seed's legacy sample response (three MessageTrace
// rows of 2022-11-29), as the simulator's testdata keeps it.
const seedResponse = "../../simulator/testdata/seed_legacy_response.json"

// seedReceivedLayout is how the legacy report writes Received: UTC with
// no zone and always seven fractional digits.
const seedReceivedLayout = "2006-01-02T15:04:05.0000000"

// seedQueryFields are the fields the Sumo Logic app's sample query extracts
// (`json "Organization", "MessageId", ...`), in its order.
var seedQueryFields = []string{"Organization", "MessageId", "Received", "SenderAddress", "RecipientAddress",
	"Subject", "Status", "ToIP", "FromIP", "Size", "MessageTraceId", "StartDate", "EndDate", "Index"}

// seedSample is the seed's rows re-dated into the last day.
//
// Why re-dated: the rows were received in November 2022, long past the 90
// days Microsoft keeps (and the 30 the simulated legacy report serves), and
// the receiver never queries older than that. So each Received is moved by
// the same whole number of days, keeping its seven-digit, zone-less text and
// its time of day, to the most recent day on which it is at least 10
// minutes old. Nothing else in the rows is changed.
type seedSample struct {
	// rows are the original rows, numbers kept as json.Number.
	rows []map[string]any
	// days is the shift; received are the re-dated Received texts, by row.
	days     int
	received []string
	// file is the re-dated rows, for msgtrace-sim -rows.
	file string
}

func redatedSeed(t *testing.T, dir string, now time.Time) seedSample {
	t.Helper()
	raw, err := os.ReadFile(seedResponse)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Value []map[string]any `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil || len(env.Value) != 3 {
		t.Fatalf("seed response: %v (%d rows)", err, len(env.Value))
	}
	s := seedSample{rows: env.Value}
	var newest time.Time
	for _, r := range s.rows {
		rt, err := time.Parse(seedReceivedLayout, r["Received"].(string))
		if err != nil {
			t.Fatalf("seed Received: %v", err)
		}
		if rt.After(newest) {
			newest = rt
		}
	}
	s.days = int(now.Add(-10*time.Minute).Sub(newest) / (24 * time.Hour))
	shift := time.Duration(s.days) * 24 * time.Hour
	var served []map[string]any
	for _, r := range s.rows {
		rt, _ := time.Parse(seedReceivedLayout, r["Received"].(string))
		text := rt.Add(shift).Format(seedReceivedLayout)
		s.received = append(s.received, text)
		c := make(map[string]any, len(r))
		for k, v := range r {
			c[k] = v
		}
		c["Received"] = text
		served = append(served, c)
	}
	b, err := json.Marshal(served)
	if err != nil {
		t.Fatal(err)
	}
	s.file = filepath.Join(dir, "seed-rows.json")
	if err := os.WriteFile(s.file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// simArgs serves the sample rows alone: no generated mail flow.
func (s seedSample) simArgs() []string {
	return []string{"-rows", s.file, "-rows-per-day", "0", "-delayed-fraction", "-1", "-changing-fraction", "-1"}
}

// decodeLineNumbers reads an exported line with numbers kept as written.
func decodeLineNumbers(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return m, dec.Decode(&m)
}
