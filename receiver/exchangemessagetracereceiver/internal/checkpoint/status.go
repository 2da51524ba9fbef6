package checkpoint

import "strings"

// statusNames lists the statuses both APIs write, in Graph's spelling; a
// row's status is stored as its index here, one byte per row.
var statusNames = []string{
	"", "none", "gettingStatus", "pending", "failed", "delivered", "expanded",
	"quarantined", "filteredAsSpam", "recalled", "unknownFutureValue",
}

// unknownStatus stands for any status not in statusNames: it still differs
// from every known one, so a change to or from it is seen.
const unknownStatus = 255

func statusCode(s string) uint8 {
	// Exact spellings first: they are what the APIs send, and a string
	// compare is a fraction of a case-folding one (this runs per row).
	for i, name := range statusNames {
		if s == name {
			return uint8(i)
		}
	}
	for i, name := range statusNames {
		if strings.EqualFold(s, name) {
			return uint8(i)
		}
	}
	return unknownStatus
}

func statusName(c uint8) string {
	if int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "unknown"
}
