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

// codeBySpelling holds the exact spellings both APIs send (Graph's and,
// with a capital, the legacy report's): this runs per row, and one map
// lookup is a fraction of case-folding compares against every name.
var codeBySpelling = func() map[string]uint8 {
	m := make(map[string]uint8, 2*len(statusNames))
	for i, name := range statusNames {
		m[name] = uint8(i)
		if name != "" {
			m[strings.ToUpper(name[:1])+name[1:]] = uint8(i)
		}
	}
	return m
}()

func statusCode(s string) uint8 {
	if c, ok := codeBySpelling[s]; ok {
		return c
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
