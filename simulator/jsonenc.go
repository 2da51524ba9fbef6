package simulator

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Rows are written with append-style encoders into pooled buffers: a 5000
// row page is about 2 MB, and encoding/json's reflection would dominate the
// cost of serving it. Field order follows Microsoft's responses.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like Microsoft (and unlike
// encoding/json) it leaves <, > and & alone: message ids are "<...@...>".
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendNullable(b []byte, s string, null bool) []byte {
	if null {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendKey(b []byte, first bool, key string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendGraphRow writes one row as Graph's exchangeMessageTrace.
func appendGraphRow(b []byte, r *Row, st Status, odataType bool) []byte {
	b = append(b, '{')
	first := true
	if odataType {
		b = append(b, `"@odata.type":"#microsoft.graph.exchangeMessageTrace"`...)
		first = false
	}
	b = appendKey(b, first, "id")
	b = appendString(b, r.ID)
	b = appendKey(b, false, "senderAddress")
	b = appendNullable(b, r.SenderAddress, r.Nulls&NullSenderAddress != 0)
	b = appendKey(b, false, "recipientAddress")
	b = appendString(b, r.RecipientAddress)
	b = appendKey(b, false, "messageId")
	b = appendNullable(b, r.MessageID, r.Nulls&NullMessageID != 0)
	b = appendKey(b, false, "receivedDateTime")
	b = append(b, '"')
	b = r.Received.UTC().AppendFormat(b, graphTimeLayout)
	b = append(b, '"')
	b = appendKey(b, false, "subject")
	b = appendNullable(b, r.Subject, r.Nulls&NullSubject != 0)
	b = appendKey(b, false, "size")
	b = strconv.AppendInt(b, int64(r.Size), 10)
	b = appendKey(b, false, "fromIP")
	b = appendNullable(b, r.FromIP, r.Nulls&NullFromIP != 0)
	b = appendKey(b, false, "toIP")
	b = appendString(b, r.ToIP)
	b = appendKey(b, false, "status")
	b = appendString(b, string(st))
	return append(b, '}')
}

// legacyRowMeta is what a legacy row repeats from its query.
type legacyRowMeta struct {
	Organization string
	StartDate    time.Time
	EndDate      time.Time
	Index        int64
	Verbose      bool
	BaseURL      string // verbose __metadata uri prefix
}

// appendLegacyRow writes one row as the Reporting Web Service's MessageTrace.
func appendLegacyRow(b []byte, r *Row, st Status, meta legacyRowMeta) []byte {
	b = append(b, '{')
	first := true
	if meta.Verbose {
		uri := meta.BaseURL + "/ecp/ReportingWebService/Reporting.svc/MessageTrace(" + strconv.FormatInt(meta.Index, 10) + ")"
		b = append(b, `"__metadata":{"id":`...)
		b = appendString(b, uri)
		b = append(b, `,"uri":`...)
		b = appendString(b, uri)
		b = append(b, `,"type":"TenantReporting.MessageTrace"}`...)
		first = false
	}
	org := r.Organization
	if org == "" {
		org = meta.Organization
	}
	b = appendKey(b, first, "Organization")
	b = appendString(b, org)
	b = appendKey(b, false, "MessageId")
	b = appendNullable(b, r.MessageID, r.Nulls&NullMessageID != 0)
	b = appendKey(b, false, "Received")
	b = appendLegacyTime(b, r.Received, legacyReceivedLayout, meta.Verbose)
	b = appendKey(b, false, "SenderAddress")
	b = appendNullable(b, r.SenderAddress, r.Nulls&NullSenderAddress != 0)
	b = appendKey(b, false, "RecipientAddress")
	b = appendString(b, r.RecipientAddress)
	b = appendKey(b, false, "Subject")
	b = appendNullable(b, r.Subject, r.Nulls&NullSubject != 0)
	b = appendKey(b, false, "Status")
	b = appendString(b, st.Legacy())
	b = appendKey(b, false, "ToIP")
	b = appendNullable(b, r.ToIP, r.ToIP == "")
	b = appendKey(b, false, "FromIP")
	b = appendNullable(b, r.FromIP, r.Nulls&NullFromIP != 0)
	b = appendKey(b, false, "Size")
	b = strconv.AppendInt(b, int64(r.Size), 10)
	b = appendKey(b, false, "MessageTraceId")
	b = appendString(b, r.ID)
	b = appendKey(b, false, "StartDate")
	b = appendLegacyTime(b, meta.StartDate, legacyWindowTimeLayout, meta.Verbose)
	b = appendKey(b, false, "EndDate")
	b = appendLegacyTime(b, meta.EndDate, legacyWindowTimeLayout, meta.Verbose)
	b = appendKey(b, false, "Index")
	b = strconv.AppendInt(b, meta.Index, 10)
	return append(b, '}')
}

// appendLegacyTime writes t in layout, or as "/Date(ms)/" in the verbose shape.
func appendLegacyTime(b []byte, t time.Time, layout string, verbose bool) []byte {
	b = append(b, '"')
	if verbose {
		b = append(b, "/Date("...)
		b = strconv.AppendInt(b, t.UnixMilli(), 10)
		b = append(b, ")/"...)
	} else {
		b = t.UTC().AppendFormat(b, layout)
	}
	return append(b, '"')
}
