package fetch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

// The excerpt of a broken body around where it broke never shows part of a
// token: a token the window cuts is taken whole, so that it is redacted.
func TestDiagnoseBodyNeverQuotesPartOfAToken(t *testing.T) {
	for _, pad := range []int{0, 10, 30, 45, 60, 100} {
		body := `{"@odata.context":"` + strings.Repeat("x", pad) + ` ` + fetchtest.Token + `","@odata.count":NaN,"value":[]}`
		err := rowdecode.NewScanner([]byte(body)).Skip()
		got := diagnoseBody("Microsoft Graph", []byte(body), err).Error()
		assert.Contains(t, got, "NaN is not a JSON value")
		for i := 0; i+12 <= len(fetchtest.Token); i++ {
			if !assert.NotContains(t, got, fetchtest.Token[i:i+12], "pad %d", pad) {
				break
			}
		}
	}
}
