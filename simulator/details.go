package simulator

import (
	"hash/fnv"
	"net/http"
	"strings"
	"time"
)

// Graph's optional enrichment call:
// GET /v1.0/admin/exchange/tracing/messageTraces/{id}/getDetailsByRecipient(recipientAddress='{smtp}')
// It shares the tenant quota, auth and faults with the list call.

const detailsPrefix = "/admin/exchange/tracing/messagetraces/"

// parseDetailsPath returns the id and recipient of a details path.
func parseDetailsPath(path string) (id, recipient string, ok bool) {
	lp := strings.ToLower(path)
	i := strings.Index(lp, detailsPrefix)
	if i < 0 {
		return "", "", false
	}
	rest := path[i+len(detailsPrefix):]
	id, call, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	const fn = "getdetailsbyrecipient(recipientaddress="
	if !strings.HasPrefix(strings.ToLower(call), fn) || !strings.HasSuffix(call, ")") {
		return "", "", false
	}
	lit := call[len(fn) : len(call)-1]
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", "", false
	}
	return id, strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), true
}

// findRow returns the row with id and recipient, if it exists.
func (m *model) findRow(id, recipient string) (Row, bool) {
	for _, r := range m.staticByID[id] {
		if strings.EqualFold(r.RecipientAddress, recipient) {
			return r, true
		}
	}
	b, ok := bucketOfGUID(id)
	if !ok || m.lambda <= 0 {
		return Row{}, false
	}
	for _, r := range m.generate(b, nil) {
		if r.ID == id && strings.EqualFold(r.RecipientAddress, recipient) {
			return r, true
		}
	}
	return Row{}, false
}

func (s *Simulator) serveDetails(buf []byte, r *http.Request, t *Tenant, now time.Time) response {
	id, rcpt, ok := parseDetailsPath(r.URL.Path)
	if !ok {
		return graphError(buf, r, now, http.StatusBadRequest, "BadRequest", "Resource not found for the segment 'getDetailsByRecipient'.")
	}
	row, found := t.model.findRow(id, rcpt)
	if !found || !row.visibleAt(now) || row.Received.After(now) {
		return graphError(buf, r, now, http.StatusNotFound, "ResourceNotFound", "The message trace '"+id+"' for recipient '"+rcpt+"' was not found.")
	}
	version := "v1.0"
	if strings.HasPrefix(strings.ToLower(r.URL.Path), "/beta/") {
		version = "beta"
	}
	buf = append(buf, `{"@odata.context":`...)
	buf = appendString(buf, baseURL(r)+"/"+version+"/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)")
	buf = append(buf, `,"value":[`...)
	for i, ev := range detailEvents(&row, row.statusAt(now)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":`...)
		buf = appendString(buf, detailID(&row, i))
		buf = append(buf, `,"messageId":`...)
		buf = appendNullable(buf, row.MessageID, row.Nulls&NullMessageID != 0)
		buf = append(buf, `,"dateTime":"`...)
		buf = ev.at.UTC().AppendFormat(buf, graphTimeLayout)
		buf = append(buf, `","event":`...)
		buf = appendString(buf, ev.event)
		buf = append(buf, `,"action":`...)
		buf = appendNullable(buf, ev.action, ev.action == "")
		buf = append(buf, `,"description":`...)
		buf = appendString(buf, ev.description)
		buf = append(buf, `,"data":`...)
		buf = appendString(buf, ev.data)
		buf = append(buf, '}')
	}
	buf = append(buf, `]}`...)
	return response{status: http.StatusOK, contentType: graphContentType, body: buf, rows: 1}
}

// detailID is event i's id: stable for (row, i), whatever the status.
func detailID(r *Row, i int) string {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	h.Write([]byte(r.RecipientAddress))
	g := newRNG(h.Sum64(), uint64(i))
	return guid(&g)
}
