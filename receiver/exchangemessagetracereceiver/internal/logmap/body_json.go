package logmap

import (
	"strconv"
	"unicode/utf8"
)

// jsonWriter encodes one JSON object into a buffer reused from row to row:
// the only allocation per row is the string the body keeps.
type jsonWriter struct {
	buf []byte
}

func (w *jsonWriter) begin() { w.buf = append(w.buf[:0], '{') }

// end closes the object and returns the buffer, valid until the next begin.
func (w *jsonWriter) end() []byte {
	w.buf = append(w.buf, '}')
	return w.buf
}

func (w *jsonWriter) key(k string) {
	if len(w.buf) > 1 {
		w.buf = append(w.buf, ',')
	}
	// Keys are our own constants: plain ASCII, nothing to escape.
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, k...)
	w.buf = append(w.buf, '"', ':')
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.buf = appendJSONString(w.buf, v)
}

func (w *jsonWriter) null(k string) {
	w.key(k)
	w.buf = append(w.buf, "null"...)
}

func (w *jsonWriter) int(k string, v int64) {
	w.key(k)
	w.buf = strconv.AppendInt(w.buf, v, 10)
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the ASCII bytes a JSON string holds as they are; one
// table load per byte is the cheapest test in the encoder's hottest loop.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string. It escapes what JSON requires
// (quote, backslash, control characters), replaces invalid UTF-8 with U+FFFD
// as encoding/json does, and escapes U+2028 and U+2029 so the line stays
// valid JavaScript. Runs of plain characters are copied in one append.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
