package detailevents

import "time"

// Event is one exchangeMessageTraceDetail: a step of one message's way to
// one recipient (Receive, Send, Fail, Deliver, Defer, ...). Its strings
// are copies: an Event may be kept as long as needed.
type Event struct {
	ID        string
	MessageID string
	DateTime  time.Time // UTC
	// DateTimeText is dateTime exactly as Graph wrote it (its number of
	// fractional digits varies): bodies repeat it verbatim.
	DateTimeText string
	Event        string
	Action       string
	Description  string
	// Data is Graph's XML-ish string of typed name/value pairs
	// (<root><MEP Name=".." String=".."/>...</root>), as sent; ParseData
	// reads it.
	Data string
	// Nulls marks the fields Graph sent as null or left out.
	Nulls Fields
}

// Fields is a set of an Event's optional fields, one bit each.
type Fields uint8

// The optional fields; dateTime and event are required.
const (
	FieldID Fields = 1 << iota
	FieldMessageID
	FieldAction
	FieldDescription
	FieldData
)

// Has reports whether f is in s.
func (s Fields) Has(f Fields) bool { return s&f != 0 }

// Lookup is the row a lookup of detail events belongs to: the events carry
// neither its recipient nor its status, so every record gets them from it.
type Lookup struct {
	TraceID   string // the row's id (legacy MessageTraceId)
	Recipient string // the row's recipientAddress
	MessageID string // the row's messageId; "" when it had none
	// Status is the row's status as the API wrote it, in either spelling.
	Status   string
	Received time.Time // the row's receivedDateTime
}
