package fetch

import (
	"bytes"
	"encoding/json"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
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
// it through logsafe.Quote before showing it.
func ParseErrorBody(body []byte) ErrorBody {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ErrorBody{}
	}
	if trimmed[0] == '<' {
		if t := logsafe.HTMLTitle(trimmed); t != "" {
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
