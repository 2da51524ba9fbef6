package simulator

import (
	"encoding/xml"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parsedData is a data string read back with encoding/xml: escaping that
// an XML parser rejects fails the test.
type parsedData struct {
	XMLName xml.Name `xml:"root"`
	MEP     []struct {
		Name    string  `xml:"Name,attr"`
		String  *string `xml:"String,attr"`
		Integer *string `xml:"Integer,attr"`
		Long    *string `xml:"Long,attr"`
		Blob    *string `xml:"Blob,attr"`
	}
}

func parseDetailData(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if data == "" {
		return out
	}
	var d parsedData
	if err := xml.Unmarshal([]byte(data), &d); err != nil {
		t.Fatalf("data %q: %v", data, err)
	}
	for _, m := range d.MEP {
		n := 0
		for _, v := range []*string{m.String, m.Integer, m.Long, m.Blob} {
			if v != nil {
				n++
				out[m.Name] = *v
			}
		}
		if n != 1 || m.Name == "" {
			t.Fatalf("data %q: entry %q has %d values", data, m.Name, n)
		}
		for _, v := range []*string{m.Integer, m.Long} {
			if v != nil {
				if _, err := strconv.ParseInt(*v, 10, 64); err != nil {
					t.Fatalf("data %q: %s is not a number", data, m.Name)
				}
			}
		}
	}
	return out
}

// storyRows are rows of every status, a third late, a third changing.
func storyRows(t *testing.T) []Row {
	clk := newClock(testNow)
	cfg := quiet(40000, clk)
	cfg.Model.DelayedFraction, cfg.Model.ChangingFraction = 0.3, 0.3
	cfg.Model.StatusWeights = map[Status]float64{StatusDelivered: 1, StatusFailed: 1, StatusQuarantined: 1,
		StatusFilteredAsSpam: 1, StatusExpanded: 1, StatusPending: 1}
	s := startSim(t, cfg)
	rows := s.Truth(testNow.Add(-6*time.Hour), testNow)
	if len(rows) < 5000 {
		t.Fatalf("%d rows", len(rows))
	}
	return rows
}

func TestDetailStoriesPerStatus(t *testing.T) {
	rows := storyRows(t)
	type seen struct {
		rows, withDefer, emptyData int
		kinds                      map[string]bool
	}
	stats := map[Status]*seen{}
	for i := range rows {
		r := &rows[i]
		evs := detailEvents(r, r.Status)
		st := stats[r.Status]
		if st == nil {
			st = &seen{kinds: map[string]bool{}}
			stats[r.Status] = st
		}
		st.rows++
		if len(evs) == 0 || evs[0].event != "Receive" {
			t.Fatalf("%s row %s: no Receive first: %+v", r.Status, r.ID, evs)
		}
		prev := r.Received
		var datas []map[string]string
		for _, e := range evs {
			if !e.at.After(prev) {
				t.Fatalf("%s row %s: %s at %s, not after %s", r.Status, r.ID, e.event, e.at, prev)
			}
			prev = e.at
			if e.description == "" {
				t.Fatalf("%s row %s: %s without description", r.Status, r.ID, e.event)
			}
			if e.data == "" {
				st.emptyData++
			}
			datas = append(datas, parseDetailData(t, e.data))
			if e.event == "Defer" {
				st.withDefer++
				if !strings.Contains(e.description, ": 4") {
					t.Fatalf("deferral without a 4xx: %s", e.description)
				}
			}
		}
		last := evs[len(evs)-1]
		find := func(event string) (int, bool) {
			for i, e := range evs {
				if e.event == event {
					return i, true
				}
			}
			return 0, false
		}
		switch r.Status {
		case StatusDelivered:
			if last.event != "Send" && last.event != "Deliver" {
				t.Fatalf("delivered ends in %s", last.event)
			}
			st.kinds[last.event] = true
		case StatusFailed:
			led := strings.TrimPrefix(strings.SplitN(last.description, "}", 2)[0], "Reason: [{LED=")
			if last.event != "Fail" || led[0] != '5' {
				t.Fatalf("failed ends in %s %q", last.event, last.description)
			}
			st.kinds[led[:10]] = true
		case StatusQuarantined:
			if last.event != "Fail" || last.action != "Quarantine" {
				t.Fatalf("quarantined ends in %s/%s", last.event, last.action)
			}
			verdict := evs[len(evs)-2]
			switch d := datas[len(evs)-2]; verdict.event {
			case "Spam Diagnostics":
				if d["SCL"] != "9" || d["DI"] != "SQ" {
					t.Fatalf("quarantining verdict %v", d)
				}
			case "Malware":
				if d["MalwareName"] == "" || d["AttachmentHash"] == "" {
					t.Fatalf("malware data %v", d)
				}
			case "Transport rule":
				if !strings.Contains(verdict.description, "quarantined") || d["TransportRuleId"] == "" || d["RuleName"] == "" {
					t.Fatalf("rule event %+v %v", verdict, d)
				}
			default:
				t.Fatalf("quarantined by %s", verdict.event)
			}
			st.kinds[verdict.event] = true
		case StatusFilteredAsSpam:
			i, ok := find("Spam Diagnostics")
			scl, _ := strconv.Atoi(datas[i]["SCL"])
			if !ok || scl < 5 || scl > 9 || last.event != "Deliver" || last.action != "MoveToJmf" {
				t.Fatalf("filtered as spam: %+v", evs)
			}
			st.kinds[datas[i]["CAT"]] = true
		case StatusPending:
			if _, ok := find("Defer"); !ok || last.event != "Defer" {
				t.Fatalf("pending without a deferral last: %+v", evs)
			}
		case StatusExpanded:
			if last.event != "Expand" {
				t.Fatalf("expanded ends in %s", last.event)
			}
		}
		if !reflect.DeepEqual(evs, detailEvents(r, r.Status)) {
			t.Fatalf("row %s: two stories differ", r.ID)
		}
	}
	for status, want := range map[Status][]string{
		StatusDelivered:      {"Send", "Deliver"},
		StatusFailed:         {"550 5.1.10", "554 5.4.14", "550 5.7.1 "},
		StatusQuarantined:    {"Spam Diagnostics", "Malware", "Transport rule"},
		StatusFilteredAsSpam: {"SPM", "BULK"},
	} {
		for _, k := range want {
			if !stats[status].kinds[k] {
				t.Errorf("%s rows never show %q (saw %v)", status, k, stats[status].kinds)
			}
		}
	}
	if stats[StatusFailed].withDefer == 0 || stats[StatusDelivered].emptyData == 0 {
		t.Errorf("no variety: %d deferrals in failed rows, %d empty data in delivered rows",
			stats[StatusFailed].withDefer, stats[StatusDelivered].emptyData)
	}
}

// TestDetailStoriesKeepTheirBeginning: a changing row's interim story is
// the beginning of its final one, so event ids (by index) keep meaning
// the same event when the status changes.
func TestDetailStoriesKeepTheirBeginning(t *testing.T) {
	n := 0
	for _, r := range storyRows(t) {
		if r.InterimStatus == "" {
			continue
		}
		n++
		interim, final := detailEvents(&r, r.InterimStatus), detailEvents(&r, r.Status)
		if len(interim) > len(final) || !reflect.DeepEqual(interim, final[:len(interim)]) {
			t.Fatalf("row %s %s -> %s:\n%+v\n%+v", r.ID, r.InterimStatus, r.Status, interim, final)
		}
	}
	if n == 0 {
		t.Fatal("no changing rows")
	}
}

func TestDetailDataEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`dan.o'connor@contoso.com`, "dan.o&apos;connor@contoso.com"},
		{`Finance: "wire" & <payroll>`, "Finance: &quot;wire&quot; &amp; &lt;payroll&gt;"},
		{"tab\there\r\nnext", "tab&#9;here&#13;&#10;next"},
		{"bell\x07 nul\x00", "bell\uFFFD nul\uFFFD"},
		{"ünïcode ✓", "ünïcode ✓"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	} {
		if got := string(appendXMLAttr(nil, tc.in)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	data := detailData([]mep{mepS("RuleName", "a \"b\" & 'c' <d>"), mepI("SCL", 5), mepL("MessageSize", 1<<40), mepB("Blob", "AAE=")})
	if got := parseDetailData(t, data); !reflect.DeepEqual(got, map[string]string{
		"RuleName": "a \"b\" & 'c' <d>", "SCL": "5", "MessageSize": "1099511627776", "Blob": "AAE="}) {
		t.Fatalf("%s read back as %v", data, got)
	}
	if detailData(nil) != "" {
		t.Fatal("no entries must be empty data")
	}
}
