package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/benchutil"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// legacyBenchPage builds a realistic minimal-OData legacy page of n rows
// (about 520 bytes each: 7 fractional digits, null ToIP, echoed window).
func legacyBenchPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"odata.metadata":"https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace","value":[`)
	statuses := []string{"Delivered", "Failed", "Pending", "Quarantined", "FilteredAsSpam", "GettingStatus", "Expanded"}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		t := time.Date(2026, 1, 21, 14, 0, 0, 0, time.UTC).Add(-time.Duration(i) * 1731 * time.Millisecond)
		msgID := fmt.Sprintf(`"<%08x-5b6a-7980-9a0b-1c2d3e4f5a6b@mail.contoso.com>"`, i)
		if i%17 == 0 {
			msgID = "null"
		}
		toIP := `null`
		if i%3 == 0 {
			toIP = `"40.107.22.1"`
		}
		fmt.Fprintf(&b, `{"Organization":"contoso.onmicrosoft.com","MessageId":%s,"Received":"%s.%07d","SenderAddress":"sender%d@fabrikam.com","RecipientAddress":"user.o'name%d@contoso.com","Subject":"Quarterly report \u00e9 %d \"draft\"","Status":"%s","ToIP":%s,"FromIP":"2001:db8:85a3::8a2e:370:%x","Size":%d,"MessageTraceId":"%08x-9a6e-4c3b-8f2d-1e0a6c5b4d3f","StartDate":"2026-01-20T00:00:00Z","EndDate":"2026-01-23T00:00:00Z","Index":%d}`,
			msgID, t.Format("2006-01-02T15:04:05"), i*7919%10000000, i%50, i%300, i, statuses[i%len(statuses)], toIP, i, 1000+i*37, i, i)
	}
	b.WriteString(`],"odata.nextLink":"../../reportingwebservice/reporting.svc/MessageTrace?$filter=StartDate%20eq%20datetime'2026-01-20T00:00:00Z'%20and%20EndDate%20eq%20datetime'2026-01-23T00:00:00Z'&$format=json&$top=5000&$skiptoken=5000"}`)
	return []byte(b.String())
}

// legacyPlainPage is what encoding/json would decode the page into.
type legacyPlainPage struct {
	Value []struct {
		Organization     string    `json:"Organization"`
		MessageID        *string   `json:"MessageId"`
		Received         string    `json:"Received"` // no zone: time.Time would refuse it
		SenderAddress    *string   `json:"SenderAddress"`
		RecipientAddress string    `json:"RecipientAddress"`
		Subject          *string   `json:"Subject"`
		Status           string    `json:"Status"`
		ToIP             *string   `json:"ToIP"`
		FromIP           string    `json:"FromIP"`
		Size             int64     `json:"Size"`
		MessageTraceID   string    `json:"MessageTraceId"`
		StartDate        time.Time `json:"StartDate"`
		EndDate          time.Time `json:"EndDate"`
		Index            int64     `json:"Index"`
	} `json:"value"`
	NextLink string `json:"odata.nextLink"`
}

// BenchmarkPipeline is what the receiver does with one legacy page, in
// process: decode, dedup (fresh key set per page), map, commit the keys to a
// no-op storage client; beside it encoding/json into plain structs.
//
//	go test ./receiver/exchangemessagetracereceiver/internal/reporting/ -run XXX -bench Pipeline -benchmem -count 6
func BenchmarkPipeline(b *testing.B) {
	reqURL, _ := url.Parse("https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json")
	for _, n := range []int{1000, 5000} {
		body := legacyBenchPage(n)
		for _, format := range []logmap.BodyFormat{logmap.BodyJSON, logmap.BodyMap} {
			b.Run(fmt.Sprintf("rows=%d/stage=all/body=%s", n, format), func(b *testing.B) {
				m := logmap.New(logmap.Options{BodyFormat: format})
				benchutil.MeasureRows(b, n, func() {
					d := newPageDecoder(testRange, 5000)
					page, err := d.Decode(body, reqURL)
					if err != nil {
						b.Fatal(err)
					}
					store, _ := checkpoint.Open(context.Background(), storage.NewNopClient(), "bench")
					if got := deliverPage(store, m, page); got != n {
						b.Fatalf("emitted %d rows, want %d", got, n)
					}
				})
			})
		}
		b.Run(fmt.Sprintf("rows=%d/stage=decode", n), func(b *testing.B) {
			benchutil.MeasureRows(b, n, func() {
				d := newPageDecoder(testRange, 5000)
				if _, err := d.Decode(body, reqURL); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("rows=%d/stage=encoding_json_floor", n), func(b *testing.B) {
			benchutil.MeasureRows(b, n, func() {
				var p legacyPlainPage
				if err := json.Unmarshal(body, &p); err != nil || len(p.Value) != n {
					b.Fatal(err)
				}
			})
		})
	}
}

// deliverPage is the receiver's deliver (poller.go) without telemetry.
func deliverPage(store *checkpoint.Store, m *logmap.Mapper, page *msgtrace.Page) int {
	txn := store.Keys.Begin()
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("cloud.provider", "azure")
	rl.Resource().Attributes().PutStr("exchange.message_trace.api", "reporting")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	records.EnsureCapacity(len(page.Rows))
	observed := pcommon.NewTimestampFromTime(time.Now())
	for i := range page.Rows {
		row := &page.Rows[i]
		if emit, previous := txn.Admit(row); emit {
			m.Append(records, row, msgtrace.APIReporting, observed, previous)
		}
	}
	_ = store.CommitPage(context.Background(), txn)
	return records.Len()
}
