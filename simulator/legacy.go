package simulator

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	legacyContentType        = "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"
	legacyVerboseContentType = "application/json;odata=verbose;charset=utf-8"
	// legacyMaxSkip is where the service gives up (reported: 500 at 999999).
	legacyMaxSkip = 999999
)

var legacyFields = map[string]bool{
	"senderaddress": true, "recipientaddress": true, "status": true, "messageid": true,
	"messagetraceid": true, "fromip": true, "toip": true, "subject": true,
}

func (s *Simulator) serveLegacy(buf []byte, r *http.Request, t *Tenant, now time.Time) response {
	q := r.URL.Query()
	top := 1000
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return legacyError(buf, http.StatusBadRequest, fmt.Sprintf("Invalid $top value '%s'.", v))
		}
		top = n
	}
	qry, echo, key, msg := s.legacyQuery(q.Get("$filter"), now)
	if msg != "" {
		return legacyError(buf, http.StatusBadRequest, msg)
	}
	skip := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return legacyError(buf, http.StatusBadRequest, fmt.Sprintf("The skip token value '%s' is not valid.", v))
		}
		if n >= legacyMaxSkip {
			return legacyError(buf, http.StatusInternalServerError, "An error has occurred.")
		}
		skip = n
	}
	key = t.cfg.ID + "|" + key // one cache, every tenant's queries
	pos, ok := s.legacy.get(key, skip)
	if !ok {
		pos, ok = t.skipRows(qry, skip)
		if !ok {
			pos = position{Bucket: math.MinInt64} // past the last row: an empty page
		}
	}

	verbose := s.cfg.LegacyVerbose || strings.Contains(r.Header.Get("Accept"), "odata=verbose")
	base := baseURL(r)
	meta := legacyRowMeta{Organization: t.Organization(), StartDate: echo.Start, EndDate: echo.End,
		Index: int64(skip), Verbose: verbose, BaseURL: base}
	if verbose {
		buf = append(buf, `{"d":{"results":[`...)
	} else {
		buf = append(buf, `{"odata.metadata":`...)
		buf = appendString(buf, base+"/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace")
		buf = append(buf, `,"value":[`...)
	}
	n := 0
	next, more := t.model.scan(qry, pos, func(row *Row, st Status) bool {
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = appendLegacyRow(buf, row, st, meta)
		meta.Index++
		n++
		return n < top
	})
	buf = append(buf, ']')
	if more {
		s.legacy.put(key, skip+n, next)
		rest := withoutSkipToken(r.URL.RawQuery) + "$skiptoken=" + strconv.Itoa(skip+n)
		if verbose {
			buf = append(buf, `,"__next":`...)
			buf = appendString(buf, base+"/ecp/reportingwebservice/reporting.svc/MessageTrace?"+rest)
		} else {
			buf = append(buf, `,"odata.nextLink":`...)
			buf = appendString(buf, "../../reportingwebservice/reporting.svc/MessageTrace?"+rest)
		}
	}
	buf = append(buf, '}')
	ct := legacyContentType
	if verbose {
		buf = append(buf, '}')
		ct = legacyVerboseContentType
	}
	return response{status: http.StatusOK, contentType: ct, body: buf, rows: n}
}

// legacyQuery parses the report's filter. echo holds the window as asked
// (rows repeat it in StartDate/EndDate); key identifies the query for the
// skiptoken position cache.
func (s *Simulator) legacyQuery(filter string, now time.Time) (q, echo query, key, msg string) {
	q, key, msg = s.parseLegacyFilter(filter, now)
	echo = q
	if msg != "" {
		return
	}
	// Older rows are gone: the report silently returns what it still has.
	if oldest := now.Add(-s.cfg.LegacyRetention); q.Start.Before(oldest) {
		q.Start = oldest
		if q.End.Before(oldest) {
			q.End = oldest
		}
	}
	return q, echo, q.Start.Format(time.RFC3339Nano) + "|" + q.End.Format(time.RFC3339Nano) + key, ""
}

func (s *Simulator) parseLegacyFilter(filter string, now time.Time) (query, string, string) {
	q := query{Now: now}
	clauses, err := parseFilter(filter)
	if err != nil {
		return q, "", "Invalid filter: " + err.Error()
	}
	var key strings.Builder
	for _, c := range clauses {
		switch c.Field {
		case "startdate", "enddate":
			t, err := parseTime(c.Value)
			if err != nil {
				return q, "", fmt.Sprintf("Invalid %s value '%s'.", c.Name, c.Value)
			}
			if c.Field == "startdate" {
				q.Start = t
			} else {
				q.End = t
			}
		default:
			if !legacyFields[c.Field] {
				return q, "", fmt.Sprintf("Could not find a property named '%s' on type 'TenantReporting.MessageTrace'.", c.Name)
			}
			q.Preds = append(q.Preds, predicate{Field: c.Field, Value: c.Value})
			fmt.Fprintf(&key, "|%s=%s", c.Field, strings.ToLower(c.Value))
		}
	}
	if q.End.IsZero() {
		q.End = now
	}
	if q.Start.IsZero() {
		q.Start = q.End.Add(-s.cfg.DefaultRange)
	}
	if q.Start.After(q.End) {
		return q, "", "The StartDate must be earlier than the EndDate."
	}
	return q, key.String(), ""
}

// skipRows finds the position of the skip-th matching row by counting: the
// slow path, used only when a skiptoken was not issued by this process.
func (t *Tenant) skipRows(q query, skip int) (position, bool) {
	start := position{Bucket: t.model.bucketOf(q.End)}
	if skip == 0 {
		return start, true
	}
	n := 0
	return t.model.scan(q, start, func(*Row, Status) bool {
		n++
		return n < skip
	})
}

func legacyError(buf []byte, status int, msg string) response {
	buf = append(buf, `{"odata.error":{"code":"","message":{"lang":"en-US","value":`...)
	buf = appendString(buf, msg)
	buf = append(buf, `}}}`...)
	return response{status: status, contentType: "application/json;odata=minimalmetadata;charset=utf-8", body: buf}
}

// posCache remembers where the pages of legacy queries start, keyed by the
// query and numeric skiptoken, so following a nextLink does not recount.
type posCache struct {
	mu sync.Mutex
	m  map[string]position
}

func newPosCache() *posCache { return &posCache{m: map[string]position{}} }

func (c *posCache) get(key string, skip int) (position, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[key+"#"+strconv.Itoa(skip)]
	return p, ok
}

func (c *posCache) put(key string, skip int, p position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 100000 {
		clear(c.m)
	}
	c.m[key+"#"+strconv.Itoa(skip)] = p
}
