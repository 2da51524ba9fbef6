package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// TestSummaryCountsWithTheSharedKey: the demo's summary counts delivered,
// duplicated and missing rows with simulator.StatusKey (recipient and
// status case-folded as the receiver does), in either field-name set.
func TestSummaryCountsWithTheSharedKey(t *testing.T) {
	received := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	rows := []simulator.Row{
		{ID: "a", RecipientAddress: "Ann@contoso.com", Status: simulator.StatusDelivered, Received: received},
		{ID: "b", RecipientAddress: "bob@contoso.com", Status: simulator.StatusFailed, Received: received},
	}
	sim, err := simulator.Start(simulator.Config{Rows: rows, CertDir: t.TempDir(), RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sink, err := sumosink.Start(sumosink.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	at := received.Format(time.RFC3339)
	body := `{"id":"a","recipientAddress":"ann@contoso.com","status":"delivered","receivedDateTime":"` + at + `"}` + "\n" +
		`{"MessageTraceId":"a","RecipientAddress":"ANN@contoso.com","Status":"Delivered","Received":"` + received.Format("2006-01-02T15:04:05.0000000") + `"}` + "\n"
	resp, err := http.Post(sink.URL+"/receiver/v1/http/x", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	s := &summary{sim: sim, sink: sink, from: received.Add(-time.Hour), check: simulator.NewDeliveryCheck()}
	var out bytes.Buffer
	s.print(&out)
	for _, want := range []string{"tenant 2 rows", "received 1 rows, 1 duplicated", "not yet delivered up to there: 1 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
