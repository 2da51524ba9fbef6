package apiclient

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrorBody is what an error response said, in any of the envelopes the
// two services use.
type ErrorBody struct {
	Code    string
	Message string
}

// ParseErrorBody reads the Graph envelope {"error":{"code","message"}},
// OData's {"odata.error":{"code","message":{"value"}}} (and its verbose
// twin under "error"), the Reporting Web Service's {"ErrorCode","Message"},
// an HTML page's title, or else the text itself. The message is raw: pass
// it through Quote before showing it.
func ParseErrorBody(body []byte) ErrorBody {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ErrorBody{}
	}
	if trimmed[0] == '<' {
		if t := HTMLTitle(trimmed); t != "" {
			return ErrorBody{Message: "HTML page: " + t}
		}
		return ErrorBody{Message: "HTML page"}
	}
	var env struct {
		Error            json.RawMessage `json:"error"`
		ODataError       json.RawMessage `json:"odata.error"`
		ErrorCode        string          `json:"ErrorCode"`
		Message          json.RawMessage `json:"Message"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(trimmed, &env) != nil {
		return ErrorBody{Message: string(trimmed)}
	}
	for _, inner := range []json.RawMessage{env.ODataError, env.Error} {
		var obj struct {
			Code    string          `json:"code"`
			Message json.RawMessage `json:"message"`
		}
		if len(inner) > 0 && json.Unmarshal(inner, &obj) == nil && (obj.Code != "" || len(obj.Message) > 0) {
			return ErrorBody{Code: obj.Code, Message: messageText(obj.Message)}
		}
	}
	if len(env.Message) > 0 || env.ErrorCode != "" {
		return ErrorBody{Code: env.ErrorCode, Message: messageText(env.Message)}
	}
	if env.ErrorDescription != "" {
		var code string
		_ = json.Unmarshal(env.Error, &code)
		return ErrorBody{Code: code, Message: env.ErrorDescription}
	}
	return ErrorBody{Message: string(trimmed)}
}

// messageText reads a message that is a string or OData's {"lang","value"}.
func messageText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(raw, &v) == nil {
		return v.Value
	}
	return string(raw)
}

// maxQuoted caps text quoted from a response: enough for any of
// Microsoft's messages, too little to dump a body into a log.
const maxQuoted = 300

var secretPatterns = []*regexp.Regexp{
	// JWTs (access and id tokens).
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`),
	regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|client_assertion)["']?\s*[:=]\s*["']?)[^"'&\s,}]{8,}`),
}

// Redact removes anything that looks like a token or secret from text that
// came from a server, before it reaches an error or a log.
func Redact(s string) string {
	if !strings.ContainsAny(s, ".=:") && !strings.Contains(strings.ToLower(s), "bearer") {
		return s
	}
	s = secretPatterns[0].ReplaceAllString(s, "[redacted]")
	s = secretPatterns[1].ReplaceAllString(s, "${1}[redacted]")
	return secretPatterns[2].ReplaceAllString(s, "${1}[redacted]")
}

// Quote prepares server text for a message: secrets redacted, white space
// collapsed, capped at about 300 characters, and quoted.
func Quote(s string) string {
	s = strings.Join(strings.Fields(Redact(s)), " ")
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// DefaultRetryAfter is assumed when a 429 carries no usable Retry-After.
const DefaultRetryAfter = 60 * time.Second

// RetryAfter reads a Retry-After header (delta seconds or an HTTP date).
// It never returns less than a second: a zero pause would only earn the
// tenant another 429.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return DefaultRetryAfter
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs > math.MaxInt64/float64(time.Second) {
			return DefaultRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return DefaultRetryAfter
	}
	return max(d, time.Second)
}

// Said renders what a server answered for a message:
// `HTTP 400 BadRequest: "the message"`, the server's words quoted, capped
// and redacted.
func Said(status int, eb ErrorBody) string {
	s := "HTTP " + strconv.Itoa(status)
	if eb.Code != "" {
		s += " " + eb.Code
	}
	if eb.Message != "" {
		s += ": " + Quote(eb.Message)
	}
	return s
}

// ErrorOf is what an error response said; when the body says nothing it
// falls back to the WWW-Authenticate challenge, where 401s explain
// themselves (error="invalid_token", error_description=...).
func ErrorOf(r *Response) ErrorBody {
	eb := ParseErrorBody(r.Body)
	if eb.Message == "" && eb.Code == "" {
		if ch := r.Header.Get("WWW-Authenticate"); ch != "" {
			eb.Message = ch
		}
	}
	return eb
}
