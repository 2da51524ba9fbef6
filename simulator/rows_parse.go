package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRows reads explicit rows for Config.Rows from JSON: an array of rows
// or a whole API response ({"value":[...]} or {"d":{"results":[...]}}), in
// Graph or legacy field names (so a recorded legacy response, such as the
// seed's sample, is served back with its exact values). Extra keys
// "visibleAfter", "interimStatus" and "statusAfter" (durations) set the
// row's behaviour.
func ParseRows(data []byte) ([]Row, error) {
	data = bytes.TrimSpace(data)
	var items []map[string]any
	if len(data) > 0 && data[0] == '{' {
		var env struct {
			Value []map[string]any `json:"value"`
			D     struct {
				Results []map[string]any `json:"results"`
			} `json:"d"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, err
		}
		items = append(env.Value, env.D.Results...)
	} else if err := json.Unmarshal(data, &items); err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(items))
	for i, it := range items {
		r, err := rowFromMap(it)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func rowFromMap(m map[string]any) (Row, error) {
	var r Row
	// Keys compared case-insensitively: Graph and legacy names differ in case only,
	// except id/MessageTraceId and receivedDateTime/Received.
	get := func(names ...string) (any, bool) {
		for k, v := range m {
			for _, n := range names {
				if strings.EqualFold(k, n) {
					return v, true
				}
			}
		}
		return nil, false
	}
	str := func(null Nulls, names ...string) string {
		v, ok := get(names...)
		if !ok || v == nil {
			r.Nulls |= null
			return ""
		}
		s, _ := v.(string)
		return s
	}
	r.ID = str(0, "id", "MessageTraceId")
	r.MessageID = str(NullMessageID, "messageId")
	r.SenderAddress = str(NullSenderAddress, "senderAddress")
	r.RecipientAddress = str(0, "recipientAddress")
	r.Subject = str(NullSubject, "subject")
	r.FromIP = str(NullFromIP, "fromIP")
	r.ToIP = str(0, "toIP")
	if v, ok := get("Organization"); ok && v != nil {
		r.Organization, _ = v.(string)
	}
	if st := str(0, "status"); st != "" {
		r.Status = Status(strings.ToLower(st[:1]) + st[1:])
	}
	if v, ok := get("size"); ok {
		switch n := v.(type) {
		case float64:
			r.Size = int32(n)
		case string:
			x, _ := strconv.Atoi(n)
			r.Size = int32(x)
		}
	}
	recv := str(0, "receivedDateTime", "Received")
	if ms, ok := strings.CutPrefix(recv, "/Date("); ok {
		n, err := strconv.ParseInt(strings.TrimSuffix(ms, ")/"), 10, 64)
		if err != nil {
			return r, fmt.Errorf("received %q: %w", recv, err)
		}
		r.Received = time.UnixMilli(n).UTC()
	} else {
		t, err := parseTime(recv)
		if err != nil {
			return r, fmt.Errorf("received: %w", err)
		}
		r.Received = t
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"visibleAfter", &r.VisibleAfter}, {"statusAfter", &r.StatusAfter}} {
		if v, ok := get(d.key); ok {
			s, _ := v.(string)
			x, err := time.ParseDuration(s)
			if err != nil {
				return r, fmt.Errorf("%s: %w", d.key, err)
			}
			*d.dst = x
		}
	}
	if v, ok := get("interimStatus"); ok {
		s, _ := v.(string)
		r.InterimStatus = Status(s)
	}
	if r.ID == "" || r.RecipientAddress == "" {
		return r, fmt.Errorf("id and recipientAddress are required")
	}
	return r, nil
}
