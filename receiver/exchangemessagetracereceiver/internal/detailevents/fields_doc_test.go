package detailevents

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
)

// TestFieldsDocumented: every attribute and body field the mapper writes,
// under either name set, is listed (in backquotes) in FIELDS.md.
func TestFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("FIELDS.md")
	require.NoError(t, err)
	listed := func(name string) bool { return strings.Contains(string(doc), "`"+name+"`") }
	assert.True(t, listed(EventName))
	seen := 0
	for _, names := range []logmap.FieldNames{logmap.FieldNamesGraph, logmap.FieldNamesLegacy} {
		lrs := records(mapRecorded(t, logmap.Options{FieldNames: names}))
		for i := 0; i < lrs.Len(); i++ {
			for k := range lrs.At(i).Attributes().All() {
				assert.True(t, listed(k), "attribute %s", k)
			}
			lrs.At(i).Body().Map().Range(func(k string, v pcommon.Value) bool {
				assert.True(t, listed(k), "body field %s (%s names)", k, names)
				seen++
				return true
			})
		}
	}
	assert.Positive(t, seen)
}
