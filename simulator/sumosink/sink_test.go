package sumosink

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"net/http"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func compress(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch enc {
	case "gzip":
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
	case "deflate":
		w := zlib.NewWriter(&buf)
		w.Write(b)
		w.Close()
	case "zstd":
		w, _ := zstd.NewWriter(&buf)
		w.Write(b)
		w.Close()
	default:
		buf.Write(b)
	}
	return buf.Bytes()
}

func post(t *testing.T, url, enc, ctype string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/receiver/v1/http/TOKEN", bytes.NewReader(compress(t, enc, body)))
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Sumo-Category", "o365/messagetrace")
	req.Header.Set("X-Sumo-Client", "otelcol")
	req.Header.Set("X-Sumo-Name", "exchange")
	req.Header.Set("X-Sumo-Host", "collector-1")
	req.Header.Set("X-Sumo-Fields", "cloud.provider=azure, team=mail")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSinkDecodesEveryEncodingAndFormat(t *testing.T) {
	logs := plog.NewLogs()
	lr := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lr.AppendEmpty().Body().SetStr(`{"Status":"Delivered"}`)
	lr.AppendEmpty().Body().SetEmptyMap().PutStr("status", "failed")
	otlp, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, enc, ctype string
		body             []byte
		want             []string
	}{
		{"text plain", "", "application/x-www-form-urlencoded", []byte("a\nb\n"), []string{"a", "b"}},
		{"text gzip", "gzip", "application/x-www-form-urlencoded", []byte("a\nb"), []string{"a", "b"}},
		{"json deflate", "deflate", "application/x-www-form-urlencoded", []byte(`{"log":"x"}` + "\n" + `{"log":"y"}`), []string{`{"log":"x"}`, `{"log":"y"}`}},
		{"text zstd", "zstd", "application/x-www-form-urlencoded", []byte("z1\nz2\nz3"), []string{"z1", "z2", "z3"}},
		{"otlp gzip", "gzip", "application/x-protobuf", otlp, []string{`{"Status":"Delivered"}`, `{"status":"failed"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if code := post(t, s.URL, tt.enc, tt.ctype, tt.body); code != 200 {
				t.Fatalf("status %d", code)
			}
			got := s.Lines()
			if len(got) != len(tt.want) {
				t.Fatalf("lines %q, want %q", got, tt.want)
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Errorf("line %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
			st := s.Stats()
			n := int64(len(tt.want))
			if st.Categories["o365/messagetrace"] != n || st.Names["exchange"] != n || st.Hosts["collector-1"] != n ||
				st.Fields["cloud.provider=azure, team=mail"] != n || st.LastClient != "otelcol" {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSinkUnavailableAndSlow(t *testing.T) {
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetUnavailable(time.Hour)
	if code := post(t, s.URL, "", "text/plain", []byte("x")); code != 503 {
		t.Fatalf("unavailable: status %d", code)
	}
	s.SetUnavailable(0)
	if code := post(t, s.URL, "", "text/plain", []byte("x")); code != 200 {
		t.Fatalf("after: status %d", code)
	}
	s.SetSlow(time.Hour, 200*time.Millisecond)
	start := time.Now()
	post(t, s.URL, "", "text/plain", []byte("y"))
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("slow answered in %s", d)
	}
	// Over the admin API too.
	resp, err := http.Post(s.URL+"/admin/sumo/unavailable?for=1h", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.SetSlow(0)
	if code := post(t, s.URL, "", "text/plain", []byte("z")); code != 503 {
		t.Fatalf("admin unavailable: status %d", code)
	}
	if st := s.Stats(); st.Lines != 2 || st.Rejected != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestParseFields(t *testing.T) {
	cases := []struct {
		header string
		want   map[string]string
	}{
		{"", map[string]string{}},
		{"cloud.provider=azure", map[string]string{"cloud.provider": "azure"}},
		{"a=1, b=x:y, c=d_e", map[string]string{"a": "1", "b": "x:y", "c": "d_e"}},
	}
	for _, tc := range cases {
		got := ParseFields(tc.header)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v, want %v", tc.header, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s=%q, want %q", tc.header, k, got[k], v)
			}
		}
	}
}
