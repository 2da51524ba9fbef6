package detailevents

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// severityOf is an event's severity: WARN for the steps that keep a message
// from its recipient for good (Fail, Drop) or for now (Defer), INFO for the
// rest, which is the normal way of a message. The row's own severity
// already says whether it ended quarantined or as spam.
func severityOf(event string) plog.SeverityNumber {
	switch strings.ToLower(event) {
	case "fail", "drop", "defer":
		return plog.SeverityNumberWarn
	}
	return plog.SeverityNumberInfo
}
