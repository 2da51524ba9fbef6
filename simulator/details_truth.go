package simulator

import (
	"fmt"
	"strings"
	"time"
)

// DetailsTruth is one row's detail events exactly as the details call
// serves them once the row is in its final status: what a collector of
// detail events must have delivered for the row.
type DetailsTruth struct {
	ID        string        `json:"id"`
	Recipient string        `json:"recipient"`
	Status    Status        `json:"status"`
	Events    []DetailEvent `json:"events"`
}

// DetailEvent is one served event (an exchangeMessageTraceDetail without
// its messageId, which is the row's). Action "" is served as null.
type DetailEvent struct {
	ID          string    `json:"id"`
	Event       string    `json:"event"`
	DateTime    time.Time `json:"dateTime"`
	Action      string    `json:"action,omitempty"`
	Description string    `json:"description"`
	Data        string    `json:"data"`
}

// DefaultDetailStatuses are the statuses the details truth covers when
// none are named: the receiver's default `details.statuses`.
var DefaultDetailStatuses = []Status{StatusFailed, StatusQuarantined, StatusFilteredAsSpam}

// ParseStatuses reads a comma-separated list of statuses in any case
// ("failed,Quarantined"), as Graph spells them; "" is DefaultDetailStatuses.
func ParseStatuses(list string) ([]Status, error) {
	if strings.TrimSpace(list) == "" {
		return DefaultDetailStatuses, nil
	}
	var out []Status
	for _, part := range strings.Split(list, ",") {
		st, err := ParseStatus(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("statuses: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}

// DetailsTruth returns, newest first, the detail events of every row of
// the home tenant received in [start, end] that exists now and whose final
// status is one of statuses (any case; nil: DefaultDetailStatuses).
// Tenant(id).DetailsTruth is a customer tenant's.
func (s *Simulator) DetailsTruth(start, end time.Time, statuses []Status) []DetailsTruth {
	return s.HomeTenant().DetailsTruth(start, end, statuses)
}

// DetailsTruth is Simulator.DetailsTruth for this tenant.
func (t *Tenant) DetailsTruth(start, end time.Time, statuses []Status) []DetailsTruth {
	var out []DetailsTruth
	t.scanDetailsTruth(start, end, statuses, func(d DetailsTruth) bool {
		out = append(out, d)
		return true
	})
	return out
}

// scanDetailsTruth calls emit with each row's truth until it returns false.
func (t *Tenant) scanDetailsTruth(start, end time.Time, statuses []Status, emit func(DetailsTruth) bool) {
	if statuses == nil {
		statuses = DefaultDetailStatuses
	}
	want := make(map[Status]bool, len(statuses))
	for _, st := range statuses {
		if c, err := ParseStatus(string(st)); err == nil {
			want[c] = true
		}
	}
	t.init()
	q := query{Start: start.UTC(), End: end.UTC(), Now: t.sim.cfg.Now(), Truth: true}
	t.model.scan(q, position{Bucket: t.model.bucketOf(q.End)}, func(r *Row, _ Status) bool {
		if !want[r.Status] {
			return true
		}
		return emit(detailsTruthOf(r))
	})
}

// detailsTruthOf is what the details call serves for r in its final status
// (serveDetails writes the same events).
func detailsTruthOf(r *Row) DetailsTruth {
	evs := detailEvents(r, r.Status)
	d := DetailsTruth{ID: r.ID, Recipient: r.RecipientAddress, Status: r.Status, Events: make([]DetailEvent, len(evs))}
	for i, e := range evs {
		d.Events[i] = DetailEvent{ID: detailID(r, i), Event: e.event, DateTime: e.at.UTC(), Action: e.action,
			Description: e.description, Data: e.data}
	}
	return d
}
