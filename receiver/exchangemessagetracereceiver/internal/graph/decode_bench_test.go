package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/benchutil"
)

// benchPage builds a realistic Graph page of n rows (about 430 bytes each).
func benchPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces","value":[`)
	statuses := []string{"delivered", "Delivered", "failed", "pending", "quarantined", "filteredAsSpam", "gettingStatus", "expanded"}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		t := time.Date(2026, 1, 21, 14, 0, 0, 0, time.UTC).Add(-time.Duration(i) * 1731 * time.Millisecond)
		msgID := fmt.Sprintf(`"<%08x-5b6a-7980-9a0b-1c2d3e4f5a6b@mail.contoso.com>"`, i)
		if i%17 == 0 {
			msgID = "null"
		}
		fmt.Fprintf(&b, `{"id":"%08x-9a6e-4c3b-8f2d-1e0a6c5b4d3f","senderAddress":"sender%d@fabrikam.com","recipientAddress":"user.o'name%d@contoso.com","messageId":%s,"receivedDateTime":"%s","subject":"Quarterly report \u00e9 %d \"draft\"","size":%d,"fromIP":"2001:db8:85a3::8a2e:370:%x","toIP":"","status":"%s"}`,
			i, i%50, i%300, msgID, t.Format("2006-01-02T15:04:05.999Z"), i, 1000+i*37, i, statuses[i%len(statuses)])
	}
	b.WriteString(`],"@odata.nextLink":"https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?$filter=x&$top=5000&$skiptoken=eyJTdGFydERhdGUiOiIyMDI2In0%3D"}`)
	return []byte(b.String())
}

// plainPage is what encoding/json would decode into.
type plainPage struct {
	Value []struct {
		ID               string    `json:"id"`
		MessageID        *string   `json:"messageId"`
		ReceivedDateTime time.Time `json:"receivedDateTime"`
		SenderAddress    *string   `json:"senderAddress"`
		RecipientAddress string    `json:"recipientAddress"`
		Subject          *string   `json:"subject"`
		Status           string    `json:"status"`
		FromIP           string    `json:"fromIP"`
		ToIP             string    `json:"toIP"`
		Size             int64     `json:"size"`
	} `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// BenchmarkDecode is the Graph page decoder beside encoding/json decoding
// the same bytes into plain structs.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		body := benchPage(n)
		b.Run(fmt.Sprintf("scanner/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			d := newPageDecoder(testRange, 5000)
			benchutil.MeasureRows(b, n, func() {
				page, err := d.Decode(body, nil)
				if err != nil || len(page.Rows) != n {
					b.Fatal(err, len(page.Rows))
				}
			})
		})
		b.Run(fmt.Sprintf("encoding_json/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			benchutil.MeasureRows(b, n, func() {
				var p plainPage
				if err := json.Unmarshal(body, &p); err != nil || len(p.Value) != n {
					b.Fatal(err)
				}
			})
		})
	}
}
