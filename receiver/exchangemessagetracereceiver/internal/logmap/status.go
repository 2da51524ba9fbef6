package logmap

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// statusInfo is what a known status maps to. Graph's spelling is the
// canonical one: one query works across both APIs.
type statusInfo struct {
	graph    string // lower camelCase, as Graph writes it
	legacy   string // PascalCase, as the legacy report writes it
	severity plog.SeverityNumber
}

// knownStatuses lists both APIs' statuses. Lookups ignore case: Graph has
// been seen writing both "delivered" and "Delivered".
var knownStatuses = [...]statusInfo{
	{"delivered", "Delivered", plog.SeverityNumberInfo},
	{"pending", "Pending", plog.SeverityNumberInfo},
	{"gettingStatus", "GettingStatus", plog.SeverityNumberInfo},
	{"expanded", "Expanded", plog.SeverityNumberInfo},
	{"none", "None", plog.SeverityNumberInfo},
	{"failed", "Failed", plog.SeverityNumberWarn},
	{"quarantined", "Quarantined", plog.SeverityNumberWarn},
	{"filteredAsSpam", "FilteredAsSpam", plog.SeverityNumberWarn},
	{"recalled", "Recalled", plog.SeverityNumberInfo},
	{"unknownFutureValue", "UnknownFutureValue", plog.SeverityNumberInfo},
}

// statusBySpelling holds both APIs' exact spellings: this runs per row,
// and one map lookup costs a third of comparing against every spelling.
var statusBySpelling = func() map[string]*statusInfo {
	m := make(map[string]*statusInfo, 2*len(knownStatuses))
	for i := range knownStatuses {
		m[knownStatuses[i].graph] = &knownStatuses[i]
		m[knownStatuses[i].legacy] = &knownStatuses[i]
	}
	return m
}()

// lookupStatus finds s among the known statuses, ignoring case. The exact
// spellings are tried first: they are what both APIs normally send.
func lookupStatus(s string) (*statusInfo, bool) {
	if k, ok := statusBySpelling[s]; ok {
		return k, true
	}
	for i := range knownStatuses {
		if k := &knownStatuses[i]; strings.EqualFold(s, k.graph) {
			return k, true
		}
	}
	return nil, false
}

// describeStatus returns s in Graph's spelling and in the legacy spelling,
// and its severity. A status neither API documents keeps its letters; only
// its first letter's case changes, the way the two APIs' spellings differ.
// Its severity is INFO: nothing says it is a problem.
func describeStatus(s string) statusInfo {
	if k, ok := lookupStatus(s); ok {
		return *k
	}
	return statusInfo{withFirstLetter(s, false), withFirstLetter(s, true), plog.SeverityNumberInfo}
}

func withFirstLetter(s string, upper bool) string {
	if s == "" || s[0] >= 0x80 {
		return s
	}
	c := s[0]
	switch {
	case upper && 'a' <= c && c <= 'z':
		c -= 'a' - 'A'
	case !upper && 'A' <= c && c <= 'Z':
		c += 'a' - 'A'
	default:
		return s
	}
	return string(c) + s[1:]
}
