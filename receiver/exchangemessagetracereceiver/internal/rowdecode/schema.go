package rowdecode

import "github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"

// Field names a row field independently of the API's spelling.
type Field uint8

const (
	FieldUnknown Field = iota // a key the schema does not know: skipped, kept in Raw
	FieldID
	FieldMessageID
	FieldReceived
	FieldSender
	FieldRecipient
	FieldSubject
	FieldStatus
	FieldFromIP
	FieldToIP
	FieldSize
	FieldOrganization
	FieldStartDate
	FieldEndDate
	FieldIndex
	numFields
)

type fieldKind uint8

const (
	kindString fieldKind = iota
	kindTime
	kindInt
)

var kindOf = [numFields]fieldKind{
	FieldReceived: kindTime, FieldStartDate: kindTime, FieldEndDate: kindTime,
	FieldSize: kindInt, FieldIndex: kindInt,
}

var bitOf = [numFields]msgtrace.FieldSet{
	FieldID: msgtrace.FieldID, FieldMessageID: msgtrace.FieldMessageID, FieldReceived: msgtrace.FieldReceived,
	FieldSender: msgtrace.FieldSenderAddress, FieldRecipient: msgtrace.FieldRecipientAddress,
	FieldSubject: msgtrace.FieldSubject, FieldStatus: msgtrace.FieldStatus, FieldFromIP: msgtrace.FieldFromIP,
	FieldToIP: msgtrace.FieldToIP, FieldSize: msgtrace.FieldSize, FieldOrganization: msgtrace.FieldOrganization,
	FieldStartDate: msgtrace.FieldStartDate, FieldEndDate: msgtrace.FieldEndDate, FieldIndex: msgtrace.FieldIndex,
}

// Schema is one API's spelling of the row fields.
type Schema struct {
	// Lookup maps a JSON key to its field; it runs for every key of every
	// row, so it should be a switch, not a map.
	Lookup func(key []byte) Field
	// Names are the API's key names, for malformed-row reasons.
	Names [numFields]string
	// Lenient accepts integers written as strings and "/Date(ms)/" times
	// in every row, not only in verbose ones: the legacy service's OData
	// serializers have written both over the years.
	Lenient bool
}
