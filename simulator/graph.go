package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// graphFields are the fields a Graph $filter may compare (lower case).
var graphFields = map[string]bool{
	"senderaddress": true, "recipientaddress": true, "status": true, "messageid": true,
	"fromip": true, "toip": true, "subject": true, "id": true,
}

// graphToken is what a Graph $skiptoken holds (base64 JSON, as reported of
// the real service), plus the simulator's position.
type graphToken struct {
	StartDate                string `json:"StartDate"`
	EndDate                  string `json:"EndDate"`
	StartingRecipientAddress string `json:"StartingRecipientAddress"`
	ResultSize               int    `json:"ResultSize"`
	Position                 string `json:"Position"`
}

func (s *Simulator) serveGraph(buf []byte, r *http.Request, t *Tenant, now time.Time, plan faultPlan) response {
	q := r.URL.Query()
	top := 1000
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return graphError(buf, r, now, http.StatusBadRequest, "BadRequest",
				fmt.Sprintf("Invalid value '%s' for $top: it must be an integer between 1 and 5000.", v))
		}
		top = n
	}
	qry, defaulted, errMsg := s.graphQuery(q.Get("$filter"), now)
	if errMsg != "" {
		return graphError(buf, r, now, http.StatusBadRequest, "BadRequest", errMsg)
	}
	pos := position{Bucket: t.model.bucketOf(qry.End)}
	if tok := q.Get("$skiptoken"); tok != "" {
		p, msg := s.decodeGraphToken(tok, &qry, defaulted)
		if msg != "" {
			return graphError(buf, r, now, http.StatusBadRequest, "BadRequest", msg)
		}
		pos = p
	}

	beta := strings.HasPrefix(strings.ToLower(r.URL.Path), "/beta/")
	base := baseURL(r)
	version := "v1.0"
	if beta {
		version = "beta"
	}
	buf = append(buf, `{"@odata.context":`...)
	buf = appendString(buf, base+"/"+version+"/$metadata#admin/exchange/tracing/messageTraces")
	buf = append(buf, `,"value":[`...)
	n := 0
	unknownMembers := prefersUnknownEnumMembers(r.Header)
	next, more := t.model.scan(qry, pos, func(row *Row, st Status) bool {
		if n > 0 {
			buf = append(buf, ',')
		}
		if st == StatusRecalled && !unknownMembers {
			st = StatusUnknownFutureValue
		}
		buf = appendGraphRow(buf, row, st, beta)
		n++
		return n < top
	})
	buf = append(buf, ']')
	if more {
		tok := graphToken{
			StartDate: qry.Start.Format(graphTimeLayout), EndDate: qry.End.Format(graphTimeLayout),
			ResultSize: top, Position: strconv.FormatInt(next.Bucket, 10) + "." + strconv.Itoa(next.Offset),
		}
		t.model.scan(qry, next, func(row *Row, _ Status) bool {
			tok.StartingRecipientAddress = row.RecipientAddress
			return false
		})
		if plan.badSkipToken {
			s.counters.fault("bad_skiptoken")
			t.counts.fault("bad_skiptoken")
			tok.StartDate = `"` + tok.StartDate + `"`
		}
		raw, _ := json.Marshal(tok)
		link := base + r.URL.Path + "?" + withoutSkipToken(r.URL.RawQuery) + "$skiptoken=" + url.QueryEscape(base64.StdEncoding.EncodeToString(raw))
		buf = append(buf, `,"@odata.nextLink":`...)
		buf = appendString(buf, link)
	}
	buf = append(buf, '}')
	return response{status: http.StatusOK, contentType: graphContentType, body: buf, rows: n}
}

// graphQuery parses and checks a Graph $filter against the service's limits.
// defaulted is true when the filter named no time bounds (last 48 hours).
func (s *Simulator) graphQuery(filter string, now time.Time) (q query, defaulted bool, msg string) {
	q, msg = s.checkGraphFilter(filter, now)
	return q, msg == "" && q.defaulted, msg
}

func (s *Simulator) checkGraphFilter(filter string, now time.Time) (query, string) {
	q := query{Now: now}
	clauses, err := parseFilter(filter)
	if err != nil {
		return q, "Invalid filter clause: " + err.Error()
	}
	var haveStart, haveEnd bool
	for _, c := range clauses {
		if c.Field == "receiveddatetime" {
			t, err := parseTime(c.Value)
			if err != nil {
				return q, "Invalid filter clause: " + err.Error()
			}
			switch c.Op {
			case "ge":
				q.Start, haveStart = t, true
			case "gt":
				q.Start, haveStart = t.Add(time.Nanosecond), true
			case "le":
				q.End, haveEnd = t, true
			case "lt":
				q.End, haveEnd = t.Add(-time.Nanosecond), true
			default:
				return q, "Invalid filter clause: receivedDateTime supports ge, gt, le and lt."
			}
			continue
		}
		if !graphFields[c.Field] {
			return q, fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.exchangeMessageTrace'.", c.Name)
		}
		if c.Op != "eq" {
			return q, fmt.Sprintf("Invalid filter clause: only eq is supported on %s.", c.Name)
		}
		q.Preds = append(q.Preds, predicate{Field: c.Field, Value: c.Value})
	}
	switch {
	case !haveStart && !haveEnd:
		q.Start, q.End, q.defaulted = now.Add(-s.cfg.DefaultRange), now, true
		return q, ""
	case !haveStart:
		return q, "|System.ArgumentException|The StartDate must be specified when EndDate is specified."
	case !haveEnd:
		return q, "|System.ArgumentException|The EndDate must be specified when StartDate is specified."
	}
	if q.End.After(now) {
		return q, "|System.ArgumentException|The EndDate can't be in the future."
	}
	if q.Start.After(q.End) {
		return q, "|System.ArgumentException|The StartDate can't be later than the EndDate."
	}
	if q.End.Sub(q.Start) > s.cfg.MaxWindow {
		return q, fmt.Sprintf("|System.ArgumentException|The interval between StartDate and EndDate can't be longer than %d days.", int(s.cfg.MaxWindow.Hours()/24))
	}
	oldest := now.UTC().Truncate(24 * time.Hour).Add(-s.cfg.Retention)
	if q.Start.Before(oldest) {
		return q, fmt.Sprintf("|System.ArgumentException|The StartDate can't be older than %d days from today.", int(s.cfg.Retention.Hours()/24))
	}
	return q, ""
}

// decodeGraphToken returns the position a $skiptoken holds, or the 400
// message the service answers with.
// Without time bounds in the filter the token's window is the query's.
func (s *Simulator) decodeGraphToken(tok string, qry *query, defaulted bool) (position, string) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	var t graphToken
	if err == nil {
		err = json.Unmarshal(raw, &t)
	}
	if err != nil {
		return position{}, "Invalid skiptoken value."
	}
	if strings.HasPrefix(t.StartDate, `"`) {
		return position{}, fmt.Sprintf("|System.Management.Automation.ParameterBindingArgumentTransformationException|Cannot process argument transformation on parameter 'StartDate'. Cannot convert value \"%s\" to type \"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"", t.StartDate)
	}
	if defaulted {
		st, err1 := parseTime(t.StartDate)
		en, err2 := parseTime(t.EndDate)
		if err1 != nil || err2 != nil {
			return position{}, "Invalid skiptoken value."
		}
		qry.Start, qry.End = st, en
	}
	if t.StartDate != qry.Start.Format(graphTimeLayout) || t.EndDate != qry.End.Format(graphTimeLayout) {
		return position{}, "Invalid skiptoken value: it does not belong to this query."
	}
	b, o, ok := strings.Cut(t.Position, ".")
	bucket, err1 := strconv.ParseInt(b, 10, 64)
	off, err2 := strconv.Atoi(o)
	if !ok || err1 != nil || err2 != nil || off < 0 {
		return position{}, "Invalid starting recipient address"
	}
	return position{Bucket: bucket, Offset: off}, ""
}

// withoutSkipToken returns the raw query minus any $skiptoken, ending in
// "&" when anything is left, ready for a new $skiptoken.
func withoutSkipToken(raw string) string {
	var b strings.Builder
	for _, part := range strings.Split(raw, "&") {
		k := strings.ToLower(part)
		if part == "" || strings.HasPrefix(k, "$skiptoken=") || strings.HasPrefix(k, "%24skiptoken=") {
			continue
		}
		b.WriteString(part)
		b.WriteByte('&')
	}
	return b.String()
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// graphError writes Graph's error envelope.
func graphError(buf []byte, r *http.Request, now time.Time, status int, code, msg string) response {
	buf = append(buf, `{"error":{"code":`...)
	buf = appendString(buf, code)
	buf = append(buf, `,"message":`...)
	buf = appendString(buf, msg)
	buf = append(buf, `,"innerError":{"date":`...)
	buf = appendString(buf, now.UTC().Format("2006-01-02T15:04:05"))
	buf = append(buf, `,"request-id":`...)
	buf = appendString(buf, newRequestID(r))
	buf = append(buf, `,"client-request-id":`...)
	buf = appendString(buf, r.Header.Get("client-request-id"))
	buf = append(buf, `}}}`...)
	return response{status: status, contentType: "application/json", body: buf}
}

var requestSeq atomic.Uint64

// newRequestID is a GUID-shaped request id, unique within the process.
func newRequestID(*http.Request) string {
	r := newRNG(requestSeq.Add(1), 0x5eed)
	return guid(&r)
}

// prefersUnknownEnumMembers tells whether the request asked, in any of its
// Prefer headers, for the members Graph added to an enum after
// unknownFutureValue (for messageTraces' status: recalled).
func prefersUnknownEnumMembers(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "include-unknown-enum-members") {
				return true
			}
		}
	}
	return false
}
