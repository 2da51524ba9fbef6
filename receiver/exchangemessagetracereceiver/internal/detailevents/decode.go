package detailevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

// Response is a decoded getDetailsByRecipient answer.
type Response struct {
	// Events are the well-formed events, in Graph's order.
	Events []Event
	// Malformed counts the events skipped; MalformedErrors says why (at
	// most maxMalformedErrors, for the log).
	Malformed       int
	MalformedErrors []error
}

// maxMalformedErrors bounds Response.MalformedErrors: the log needs
// examples, not every one.
const maxMalformedErrors = 5

// NoValueError is a JSON answer without the "value" array of events. SawError
// says it carried an "error" member instead (Graph now and then answers
// HTTP 200 with one).
type NoValueError struct {
	SawError bool
}

func (e *NoValueError) Error() string {
	if e.SawError {
		return `the answer holds an "error" instead of a "value" array of detail events`
	}
	return `the answer holds no "value" array of detail events`
}

// Decode reads {"@odata.context":..,"value":[exchangeMessageTraceDetail..]}.
// A body that is not JSON, or holds no "value" array (*NoValueError), is an
// error: the answer as a whole cannot be used. An event that is not usable
// (not an object, no event name, a dateTime that is not a time, a field of
// the wrong type) is counted and skipped; the others are kept. Responses
// are a few events long and rare (a share of the tenant's 100 requests per
// 5 minutes), so encoding/json is fast enough.
func Decode(body []byte) (Response, error) {
	body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")) // .NET services sometimes write a byte order mark
	var env struct {
		Value *[]json.RawMessage `json:"value"`
		Error json.RawMessage    `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		// rowdecode's error, so that a body cut short is diagnosed as
		// truncated, as a page would be.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			eof := syn.Error() == "unexpected end of JSON input" // encoding/json's only word for it
			return Response{}, &rowdecode.SyntaxError{Offset: int(syn.Offset), EOF: eof, Msg: syn.Error()}
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Response{}, fmt.Errorf("the answer is not a JSON object with a \"value\" array of detail events: %w", err)
		}
		return Response{}, err
	}
	if env.Value == nil {
		return Response{}, &NoValueError{SawError: len(env.Error) > 0 && string(env.Error) != "null"}
	}
	var resp Response
	for i, raw := range *env.Value {
		ev, reason := decodeEvent(raw)
		if reason != "" {
			resp.Malformed++
			if len(resp.MalformedErrors) < maxMalformedErrors {
				resp.MalformedErrors = append(resp.MalformedErrors, fmt.Errorf("event %d: %s", i, reason))
			}
			continue
		}
		resp.Events = append(resp.Events, ev)
	}
	return resp, nil
}

// wireEvent is an event's members, each as sent.
type wireEvent struct {
	ID          json.RawMessage `json:"id"`
	MessageID   json.RawMessage `json:"messageId"`
	DateTime    json.RawMessage `json:"dateTime"`
	Event       json.RawMessage `json:"event"`
	Action      json.RawMessage `json:"action"`
	Description json.RawMessage `json:"description"`
	Data        json.RawMessage `json:"data"`
}

// decodeEvent decodes one element of "value", or says why it is unusable.
func decodeEvent(raw json.RawMessage) (Event, string) {
	if len(raw) == 0 || raw[0] != '{' {
		return Event{}, "event is not a JSON object"
	}
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return Event{}, "event is not a JSON object: " + err.Error()
	}
	var ev Event
	optional := []struct {
		name string
		raw  json.RawMessage
		dst  *string
		bit  Fields
	}{
		{"id", w.ID, &ev.ID, FieldID},
		{"messageId", w.MessageID, &ev.MessageID, FieldMessageID},
		{"action", w.Action, &ev.Action, FieldAction},
		{"description", w.Description, &ev.Description, FieldDescription},
		{"data", w.Data, &ev.Data, FieldData},
	}
	for _, f := range optional {
		s, null, ok := stringValue(f.raw)
		if !ok {
			return Event{}, f.name + " is not a string"
		}
		*f.dst = s
		if null {
			ev.Nulls |= f.bit
		}
	}
	name, null, ok := stringValue(w.Event)
	if !ok {
		return Event{}, "event is not a string"
	}
	if null || name == "" {
		return Event{}, "event is missing"
	}
	ev.Event = name
	text, null, ok := stringValue(w.DateTime)
	if !ok {
		return Event{}, "dateTime is not a string"
	}
	if null {
		return Event{}, "dateTime is missing"
	}
	t, ok := rowdecode.ParseTime([]byte(text))
	if !ok {
		return Event{}, fmt.Sprintf("dateTime %s is not a time", logsafe.Quote(logsafe.Truncate(text, 40)))
	}
	ev.DateTime, ev.DateTimeText = t, text
	return ev, ""
}

// stringValue reads a member that is a string or null (or absent). ok is
// false for any other JSON value.
func stringValue(raw json.RawMessage) (s string, null, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true, true
	}
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false, false
	}
	return s, false, true
}
