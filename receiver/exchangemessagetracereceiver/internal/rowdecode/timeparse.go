package rowdecode

import (
	"strconv"
	"time"
)

// ParseTime parses the ISO 8601 timestamps both APIs write:
// "2026-01-21T14:12:34Z", "2026-01-21T14:12:34.123+00:00", and the legacy
// "2022-09-05T18:10:13.4907658" whose missing zone means UTC. It returns the
// time in UTC. It is hand-written because time.Parse cannot take a
// zone-less and a zoned layout at once and this runs once per row.
func ParseTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') ||
		b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := 100000000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			// Digits past nanoseconds are dropped, not rounded.
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, true
}

// ParseDateLiteral parses the verbose OData form "/Date(1659020996164)/",
// optionally with an offset ("/Date(1659020996164+0060)/"): the number is
// already milliseconds since the epoch in UTC, the offset only says which
// zone the writer lived in.
func ParseDateLiteral(b []byte) (time.Time, bool) {
	const prefix, suffix = "/Date(", ")/"
	if len(b) < len(prefix)+len(suffix)+1 || string(b[:len(prefix)]) != prefix ||
		string(b[len(b)-len(suffix):]) != suffix {
		return time.Time{}, false
	}
	inner := b[len(prefix) : len(b)-len(suffix)]
	end := len(inner)
	for i := 1; i < len(inner); i++ {
		if inner[i] == '+' || inner[i] == '-' {
			end = i
			break
		}
	}
	ms, err := strconv.ParseInt(string(inner[:end]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// ISOLayout writes UTC times with up to 7 fractional digits, the precision
// Microsoft's services keep and accept.
const ISOLayout = "2006-01-02T15:04:05.9999999Z"

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
