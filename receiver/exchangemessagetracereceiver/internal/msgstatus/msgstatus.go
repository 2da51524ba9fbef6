// Package msgstatus is the one table of the delivery statuses message trace
// rows carry: how each is spelled by Graph and by the legacy report, the
// severity it maps to, and the code the checkpoint stores for it.
package msgstatus

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Status is a status both APIs document. Graph's spelling is the canonical
// one: one query works across both APIs.
type Status struct {
	// Code is what the checkpoint stores for the status, one byte per row.
	// It is a persisted format: a code is never reused or renumbered.
	Code     uint8
	Graph    string // lower camelCase, as Graph writes it
	Legacy   string // PascalCase, as the legacy report writes it
	Severity plog.SeverityNumber
}

// documented lists the documented statuses by Code (the index). A status
// Microsoft documents later is appended, below FirstUndocumentedCode.
var documented = [...]Status{
	{0, "", "", plog.SeverityNumberInfo}, // a row without a status
	{1, "none", "None", plog.SeverityNumberInfo},
	{2, "gettingStatus", "GettingStatus", plog.SeverityNumberInfo},
	{3, "pending", "Pending", plog.SeverityNumberInfo},
	{4, "failed", "Failed", plog.SeverityNumberWarn},
	{5, "delivered", "Delivered", plog.SeverityNumberInfo},
	{6, "expanded", "Expanded", plog.SeverityNumberInfo},
	{7, "quarantined", "Quarantined", plog.SeverityNumberWarn},
	{8, "filteredAsSpam", "FilteredAsSpam", plog.SeverityNumberWarn},
	{9, "recalled", "Recalled", plog.SeverityNumberInfo},
	{10, "unknownFutureValue", "UnknownFutureValue", plog.SeverityNumberInfo},
}

// FirstUndocumentedCode is the first code the checkpoint may give a status
// neither API documents; the codes below it stay free for statuses
// Microsoft documents later, so that adding one never collides with a code
// an existing checkpoint gave an undocumented spelling.
const FirstUndocumentedCode = 48

// bySpelling holds both APIs' exact spellings: this runs per row, and one
// map lookup costs a third of comparing against every spelling.
var bySpelling = func() map[string]*Status {
	m := make(map[string]*Status, 2*len(documented))
	for i := range documented {
		m[documented[i].Graph] = &documented[i]
		m[documented[i].Legacy] = &documented[i]
	}
	return m
}()

// Lookup finds s among the documented statuses, ignoring case: Graph has
// been seen writing both "delivered" and "Delivered". The exact spellings
// are tried first: they are what both APIs normally send.
func Lookup(s string) (*Status, bool) {
	if st, ok := bySpelling[s]; ok {
		return st, true
	}
	for i := range documented {
		if st := &documented[i]; strings.EqualFold(s, st.Graph) {
			return st, true
		}
	}
	return nil, false
}

// ByCode returns the documented status stored as code.
func ByCode(code uint8) (*Status, bool) {
	if int(code) < len(documented) {
		return &documented[code], true
	}
	return nil, false
}

// Describe returns s's spellings and severity. A status neither API
// documents keeps its letters, only its first letter's case changes (the
// way the two APIs' spellings differ), and its severity is INFO: nothing
// says it is a problem. Its Code is not meaningful: the checkpoint gives
// undocumented spellings codes of its own.
func Describe(s string) Status {
	if st, ok := Lookup(s); ok {
		return *st
	}
	return Status{Graph: withFirstLetter(s, false), Legacy: withFirstLetter(s, true), Severity: plog.SeverityNumberInfo}
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
