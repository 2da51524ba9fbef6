package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RowKey identifies a row as the receiver does (its emitted-row keys): the
// message trace id as written and the recipient address with ASCII letters
// folded to lower case, because addresses compare case-insensitively and
// the API does not promise a stable casing. Every comparison of delivered
// rows with the truth (unit tests, e2e tests, the demo's summary) uses it,
// so that they all count what the receiver counts.
type RowKey struct {
	ID, Recipient string
}

// NewRowKey is the key of the row (id, recipient).
func NewRowKey(id, recipient string) RowKey {
	return RowKey{ID: id, Recipient: asciiLower(recipient)}
}

// StatusKey is a row in one status: the unit of the delivery promise (a row
// is emitted once per status it is seen in). The status is folded like the
// recipient: Graph writes "delivered", the legacy report "Delivered".
type StatusKey struct {
	RowKey
	Status string
}

// NewStatusKey is the key of the row (id, recipient) in status.
func NewStatusKey(id, recipient, status string) StatusKey {
	return StatusKey{RowKey: NewRowKey(id, recipient), Status: asciiLower(status)}
}

func (k StatusKey) String() string { return k.ID + "/" + k.Recipient + "/" + k.Status }

// Key is the row's key.
func (r Row) Key() RowKey { return NewRowKey(r.ID, r.RecipientAddress) }

// StatusKey is the row's key in its final status.
func (r Row) StatusKey() StatusKey { return NewStatusKey(r.ID, r.RecipientAddress, string(r.Status)) }

// asciiLower folds A-Z only, as the receiver's key hash does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ExportedRow is a row read back from where a collector delivered it: the
// JSON object of one row (a Sumo Logic text line, an OTLP map body), in
// either API's field names.
type ExportedRow struct {
	Key StatusKey
	// Received is the row's received time (zero when absent or unreadable).
	Received time.Time
	Fields   map[string]any
}

// ParseExportedLine reads one exported line holding a row's JSON object.
func ParseExportedLine(line []byte) (ExportedRow, error) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return ExportedRow{}, fmt.Errorf("not a JSON object: %w: %s", err, clip(line, 200))
	}
	r, err := ExportedRowFromMap(m)
	if err != nil {
		return r, fmt.Errorf("%w: %s", err, clip(line, 200))
	}
	return r, nil
}

// ExportedRowFromMap reads a row from its fields: Graph's id,
// recipientAddress, status, receivedDateTime, or the legacy report's
// MessageTraceId, RecipientAddress, Status, Received.
func ExportedRowFromMap(m map[string]any) (ExportedRow, error) {
	str := func(names ...string) string {
		for _, n := range names {
			if s, ok := m[n].(string); ok {
				return s
			}
		}
		return ""
	}
	r := ExportedRow{Fields: m, Key: NewStatusKey(
		str("id", "MessageTraceId"), str("recipientAddress", "RecipientAddress"), str("status", "Status"))}
	if r.Key.ID == "" || r.Key.Recipient == "" || r.Key.Status == "" {
		return r, errors.New("a row without id, recipient or status")
	}
	r.Received = ParseReceived(str("receivedDateTime", "Received"))
	return r, nil
}

// ParseReceived reads a received time as either API writes it: Graph in
// RFC 3339, the legacy report in UTC without a zone. Zero when neither.
func ParseReceived(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
