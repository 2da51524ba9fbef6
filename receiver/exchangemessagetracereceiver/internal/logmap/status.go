package logmap

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgstatus"
)

// statusInfo is what the mapper writes for a status: msgstatus's spellings
// and severity.
type statusInfo struct {
	graph    string // lower camelCase, as Graph writes it
	legacy   string // PascalCase, as the legacy report writes it
	severity plog.SeverityNumber
}

// describeStatus returns s in Graph's spelling and in the legacy spelling,
// and its severity (msgstatus.Describe).
func describeStatus(s string) statusInfo {
	st := msgstatus.Describe(s)
	return statusInfo{st.Graph, st.Legacy, st.Severity}
}
