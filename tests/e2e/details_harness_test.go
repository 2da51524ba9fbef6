//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// detailEventName is the event name of the receiver's detail records: the
// shipped config/details-sumo.yaml routes on it.
const detailEventName = "exchange.message_trace.detail"

// detailStatuses are the receiver's default details.statuses, as the
// simulator's details truth takes them.
const detailStatuses = "failed,quarantined,filteredAsSpam"

// detailsMix is a tenant with a large but plausible share of the chosen
// statuses (a heavily targeted one): 20 % failed, 10 % quarantined, 10 %
// filtered as spam.
const detailsMix = "delivered=60,failed=20,quarantined=10,filteredAsSpam=10"

// detailsSimArgs are historyArgs with detailsMix.
func detailsSimArgs(days float64, rowsPerDay int) []string {
	return append(historyArgs(days, rowsPerDay), "-status-weights", detailsMix)
}

// withDetails turns the receiver's details on in cfg: its budget and the
// lookups' share of it, and the bound of the pending queue (0: the default).
func withDetails(cfg yamlMap, budget, share, maxPending int) {
	rcv := receiverOf(cfg)
	rcv["max_requests_per_5m"] = budget
	d := yamlMap{"max_requests_per_5m": share}
	if maxPending > 0 {
		d["max_pending"] = maxPending
	}
	rcv["details"] = d
}

// truthDetail is one row of the simulator's details truth: a row whose
// final status is chosen, with the events getDetailsByRecipient answers.
type truthDetail = simulator.DetailsTruth

type truthEvent = simulator.DetailEvent

// DetailsTruth is the home tenant's /admin/details-truth: the chosen rows
// received in [start, end] that exist now.
func (s *sim) DetailsTruth(start, end time.Time, statuses string) []truthDetail {
	s.t.Helper()
	q := url.Values{"start": {start.UTC().Format(time.RFC3339Nano)}, "end": {end.UTC().Format(time.RFC3339Nano)}, "statuses": {statuses}}
	var out []truthDetail
	forEachJSONLine(s.t, s.get(s.ep.Admin+"details-truth?"+q.Encode()), func(line []byte) error {
		var d truthDetail
		err := json.Unmarshal(line, &d)
		out = append(out, d)
		return err
	})
	return out
}

// quotaUse is what a tenant's requests came to, from the request log.
type quotaUse struct {
	List, Details    int // requests by kind
	DetailsAnswered  int // lookups answered with events (200): the others (404) leave no line
	Throttled        int // 429s
	Peak, DetailPeak int // most requests, and most lookups, in a rolling 5 minutes
}

func (q quotaUse) String() string {
	return fmt.Sprintf("%d list and %d details requests (%d answered with events), %d throttled; peak %d requests (%d lookups) per rolling 5 minutes",
		q.List, q.Details, q.DetailsAnswered, q.Throttled, q.Peak, q.DetailPeak)
}

// quotaOf counts the requests of reqs (one tenant's) in rolling 5-minute
// windows, as Microsoft's quota does.
func quotaOf(reqs []simRequest) quotaUse {
	var q quotaUse
	var all, details []time.Time
	peak := func(window []time.Time, at time.Time) ([]time.Time, int) {
		window = append(window, at)
		cut := 0
		for cut < len(window) && !window[cut].After(at.Add(-5*time.Minute)) {
			cut++
		}
		window = window[cut:]
		return window, len(window)
	}
	for _, r := range reqs {
		var n int
		all, n = peak(all, r.Time)
		q.Peak = max(q.Peak, n)
		switch r.Kind {
		case "details":
			q.Details++
			if r.Status == http.StatusOK {
				q.DetailsAnswered++
			}
			details, n = peak(details, r.Time)
			q.DetailPeak = max(q.DetailPeak, n)
		default:
			q.List++
		}
		if r.Status == http.StatusTooManyRequests {
			q.Throttled++
		}
	}
	return q
}

// requireWithinBudget: the tenant never saw more than budget requests, nor
// more than share lookups, in any rolling 5 minutes, and none throttled.
func requireWithinBudget(t *testing.T, s *sim, budget, share int) quotaUse {
	t.Helper()
	q := quotaOf(s.Requests(time.Time{}))
	t.Logf("quota: %s (budget %d, details share %d)", q, budget, share)
	if q.Peak > budget || q.DetailPeak > share || q.Throttled > 0 {
		t.Errorf("above the budget: %s; want at most %d requests and %d lookups per rolling 5 minutes, none throttled", q, budget, share)
	}
	if c := s.Counters(); c.MaxAPIRequestsInWindow > budget {
		t.Errorf("the simulator's own peak is %d requests per %s, above the budget %d", c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), budget)
	}
	return q
}

// detailLine is a detail record as the fake Sumo Logic source received it
// (the body: the event plus its row's trace id and recipient).
type detailLine struct {
	TraceID, Recipient string
	// EventID is Graph's event id; field_names: legacy has none (the
	// legacy MessageTraceDetail report had no such field), and the event
	// is known by its name and time within its row.
	EventID, Event string
	At             time.Time
}

// key names the event among all: its id, or without one its row, name and
// time.
func (d detailLine) key() string {
	if d.EventID != "" {
		return d.EventID
	}
	return eventKey(d.lookup(), d.Event, d.At)
}

func eventKey(of lookupKey, event string, at time.Time) string {
	return of.id + "/" + of.recipient + "/" + strings.ToLower(event) + "/" + at.UTC().Format(time.RFC3339Nano)
}

func (d detailLine) lookup() lookupKey {
	return lookupKey{strings.ToLower(d.TraceID), strings.ToLower(d.Recipient)}
}

// lookupKey is one getDetailsByRecipient call: a row's trace id and
// recipient (compared without case, as the receiver keys rows).
type lookupKey struct{ id, recipient string }

// splitLines sorts what the source received into row lines and detail
// lines (in arrival order, with their index among all lines); bad holds
// the detail lines that lack a field (their row's trace id or recipient,
// or both the event's id and time).
func splitLines(lines [][]byte) (rows [][]byte, details []detailLine, detailAt []int, bad []string) {
	for i, l := range lines {
		m, ok := detailFields(l)
		if !ok {
			rows = append(rows, l) // a row, or malformed: the row check counts it
			continue
		}
		d := detailLine{
			TraceID:   field(m, "messageTraceId"),
			Recipient: field(m, "recipientAddress"),
			EventID:   field(m, "id"),
			Event:     field(m, "event"),
			At:        simulator.ParseReceived(firstField(m, "dateTime", "Date")),
		}
		if d.TraceID == "" || d.Recipient == "" || (d.EventID == "" && d.At.IsZero()) {
			bad = append(bad, truncate(l, 300))
			continue
		}
		details = append(details, d)
		detailAt = append(detailAt, i)
	}
	return rows, details, detailAt, bad
}

// requireDetailFields fails the test for detail lines splitLines could not
// read (prefix names the run).
func requireDetailFields(t *testing.T, prefix string, bad []string) {
	t.Helper()
	if len(bad) > 0 {
		t.Errorf("%s%d detail lines without their row's trace id and recipient, or the event's id and time, e.g. %s", prefix, len(bad), bad[0])
	}
}

// detailFields decodes a detail line; ok is false for anything else (a
// row, a malformed line).
func detailFields(l []byte) (m map[string]any, ok bool) {
	if json.Unmarshal(l, &m) != nil || field(m, "event") == "" {
		return nil, false
	}
	return m, true
}

func isDetailLine(l []byte) bool { _, ok := detailFields(l); return ok }

func firstField(m map[string]any, names ...string) string {
	for _, n := range names {
		if v := field(m, n); v != "" {
			return v
		}
	}
	return ""
}

// field is a string field of a line in either API's field names (Graph's
// lowerCamel or the legacy report's UpperCamel).
func field(m map[string]any, name string) string {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// detailDelivery compares detail lines with the details truth, by event id.
type detailDelivery struct {
	Lookups, Events int // in the truth
	Missing         int // truth events never delivered
	Repeated        int // extra copies
	Unexpected      int // events of no truth row, or under another row
	// RepeatedAt holds the index (among all lines) of each extra copy,
	// with the lookup it belongs to.
	RepeatedAt []int
	RepeatedOf []lookupKey
	Samples    []string
}

func (d detailDelivery) String() string {
	return fmt.Sprintf("truth %d lookups with %d events: %d missing, %d repeated, %d unexpected",
		d.Lookups, d.Events, d.Missing, d.Repeated, d.Unexpected)
}

// compareDetails judges the detail lines against truth (the rows whose
// events must have arrived); beyond are truth rows whose events may have
// arrived, once, or not yet.
func compareDetails(truth, beyond []truthDetail, lines []detailLine, at []int) detailDelivery {
	type want struct {
		of       lookupKey
		required bool
		id       string // the event id (events are indexed by id and by key)
	}
	events := map[string]want{}
	var d detailDelivery
	add := func(ts []truthDetail, required bool) {
		for _, td := range ts {
			k := lookupKey{strings.ToLower(td.ID), strings.ToLower(td.Recipient)}
			if required {
				d.Lookups++
			}
			for _, e := range td.Events {
				if _, ok := events[e.ID]; ok {
					continue
				}
				events[e.ID] = want{of: k, required: required, id: e.ID}
				events[eventKey(k, e.Event, e.DateTime)] = want{of: k, required: required, id: e.ID}
				if required {
					d.Events++
				}
			}
		}
	}
	add(truth, true)
	add(beyond, false)
	sample := func(format string, args ...any) {
		if len(d.Samples) < 10 {
			d.Samples = append(d.Samples, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]bool{} // by event id
	for i, l := range lines {
		w, ok := events[l.key()]
		switch {
		case !ok:
			d.Unexpected++
			sample("event %s (%s at %s) of %s/%s is in no truth row", l.EventID, l.Event, l.At.Format(time.RFC3339Nano), l.TraceID, l.Recipient)
			continue
		case w.of != l.lookup():
			d.Unexpected++
			sample("event %s arrived under %s/%s, belongs to %s/%s", l.EventID, l.TraceID, l.Recipient, w.of.id, w.of.recipient)
			continue
		case seen[w.id]:
			d.Repeated++
			d.RepeatedAt = append(d.RepeatedAt, at[i])
			d.RepeatedOf = append(d.RepeatedOf, w.of)
			continue
		}
		seen[w.id] = true
	}
	for k, w := range events {
		if w.required && k == w.id && !seen[w.id] {
			d.Missing++
			sample("event %s of %s/%s never arrived", w.id, w.of.id, w.of.recipient)
		}
	}
	return d
}

// eventCount is how many events truth holds.
func eventCount(truth []truthDetail) int {
	n := 0
	for _, td := range truth {
		n += len(td.Events)
	}
	return n
}

// withPrometheus makes cfg's collector serve its own metrics on addr (the
// harness turns them off: the default :8888 may be taken).
func withPrometheus(cfg yamlMap, addr string) {
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	cfg["service"].(yamlMap)["telemetry"].(yamlMap)["metrics"] = yamlMap{
		"level":   "normal",
		"readers": []any{yamlMap{"pull": yamlMap{"exporter": yamlMap{"prometheus": yamlMap{"host": host, "port": p}}}}},
	}
}

// scrapeMetric sums the samples of the collector's Prometheus metrics on
// addr whose name starts with prefix (the exporter adds unit and _total
// suffixes), and returns the names it found.
func scrapeMetric(addr, prefix string) (sum float64, names []string, err error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, prefix) {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		sum += v
	}
	return sum, names, sc.Err()
}
