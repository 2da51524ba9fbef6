package simulator

import (
	"strconv"
	"unicode/utf8"
)

// A detail event's data is Exchange's XML-ish property bag:
// <root><MEP Name="SCL" Integer="5"/>...</root>, each entry a name and one
// typed value (String, Integer, Long or Blob). Empty data is "".

type mepKind uint8

const (
	mepString mepKind = iota
	mepInteger
	mepLong
	mepBlob
)

// mep is one entry of a data string.
type mep struct {
	name string
	kind mepKind
	s    string // String and Blob
	n    int64  // Integer and Long
}

func mepS(name, v string) mep       { return mep{name: name, kind: mepString, s: v} }
func mepI(name string, v int) mep   { return mep{name: name, kind: mepInteger, n: int64(v)} }
func mepL(name string, v int64) mep { return mep{name: name, kind: mepLong, n: v} }
func mepB(name, v string) mep       { return mep{name: name, kind: mepBlob, s: v} }

func (k mepKind) attr() string {
	switch k {
	case mepInteger:
		return "Integer"
	case mepLong:
		return "Long"
	case mepBlob:
		return "Blob"
	}
	return "String"
}

// detailData writes entries as a data string; none is "".
func detailData(entries []mep) string {
	if len(entries) == 0 {
		return ""
	}
	b := make([]byte, 0, 64*len(entries))
	b = append(b, "<root>"...)
	for _, e := range entries {
		b = append(b, `<MEP Name="`...)
		b = appendXMLAttr(b, e.name)
		b = append(b, `" `...)
		b = append(b, e.kind.attr()...)
		b = append(b, `="`...)
		if e.kind == mepInteger || e.kind == mepLong {
			b = strconv.AppendInt(b, e.n, 10)
		} else {
			b = appendXMLAttr(b, e.s)
		}
		b = append(b, `"/>`...)
	}
	b = append(b, "</root>"...)
	return string(b)
}

// appendXMLAttr escapes s for a double-quoted XML attribute: the five
// predefined entities, tab and line breaks as character references (an
// attribute would otherwise normalise them to spaces), and characters
// XML 1.0 cannot carry (other controls, invalid UTF-8) as U+FFFD.
func appendXMLAttr(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '\t':
			b = append(b, "&#9;"...)
		case '\n':
			b = append(b, "&#10;"...)
		case '\r':
			b = append(b, "&#13;"...)
		default:
			if c < 0x20 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return b
}
