package simulator

import (
	"strings"
	"time"
)

// Status is a row's delivery status in Graph's lower camel case; the legacy
// report writes the same value capitalised (Legacy()).
type Status string

const (
	StatusGettingStatus  Status = "gettingStatus"
	StatusPending        Status = "pending"
	StatusDelivered      Status = "delivered"
	StatusFailed         Status = "failed"
	StatusExpanded       Status = "expanded"
	StatusQuarantined    Status = "quarantined"
	StatusFilteredAsSpam Status = "filteredAsSpam"
	StatusNone           Status = "none"
	// StatusRecalled is sent only to a client asking for it with
	// "Prefer: include-unknown-enum-members"; others get
	// StatusUnknownFutureValue in its place (Graph's evolvable enums).
	StatusRecalled           Status = "recalled"
	StatusUnknownFutureValue Status = "unknownFutureValue"
)

// Legacy returns the status as the Reporting Web Service spells it.
func (s Status) Legacy() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Nulls marks the fields a row sends as JSON null rather than a string.
type Nulls uint8

const (
	NullMessageID Nulls = 1 << iota
	NullSenderAddress
	NullSubject
	NullFromIP
)

// Row is one message trace row: one message and one recipient. (ID,
// RecipientAddress) is its key. Status is the final status; a row with an
// InterimStatus shows that status until Received+StatusAfter.
type Row struct {
	ID               string    `json:"id"`
	MessageID        string    `json:"messageId"`
	Received         time.Time `json:"receivedDateTime"`
	SenderAddress    string    `json:"senderAddress"`
	RecipientAddress string    `json:"recipientAddress"`
	Subject          string    `json:"subject"`
	Status           Status    `json:"status"`
	Size             int32     `json:"size"`
	FromIP           string    `json:"fromIP"`
	// ToIP is "" for inbound mail: Graph writes "", the legacy report null.
	ToIP  string `json:"toIP"`
	Nulls Nulls  `json:"-"`

	// Organization is the legacy report's Organization; empty means the
	// model's organization.
	Organization string `json:"-"`

	// VisibleAfter delays the row's first appearance in query results.
	VisibleAfter time.Duration `json:"-"`
	// InterimStatus, when set, is shown until Received+StatusAfter.
	InterimStatus Status        `json:"-"`
	StatusAfter   time.Duration `json:"-"`
}

// visibleAt reports whether the row can be seen by a query at now.
func (r *Row) visibleAt(now time.Time) bool {
	return !now.Before(r.Received.Add(r.VisibleAfter))
}

// statusAt is the status a query at now sees.
func (r *Row) statusAt(now time.Time) Status {
	if r.InterimStatus != "" && now.Before(r.Received.Add(r.StatusAfter)) {
		return r.InterimStatus
	}
	return r.Status
}

// Time layouts of the two APIs. Graph writes UTC with a Z and only the
// fractional digits needed; the legacy report writes Received without a
// zone and with exactly 7 fractional digits (100 ns ticks).
const (
	graphTimeLayout        = "2006-01-02T15:04:05.9999999Z"
	legacyReceivedLayout   = "2006-01-02T15:04:05.0000000"
	legacyWindowTimeLayout = "2006-01-02T15:04:05.9999999Z"
)
