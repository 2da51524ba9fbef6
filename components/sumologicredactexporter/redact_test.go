package sumologicredactexporter

import (
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

const token = "ZaVnC4dhaV0d2hNdDh4dFJfSHR0cF9Tb3VyY2VfVG9rZW5fX19fX18=="

func TestRedactorString(t *testing.T) {
	cases := []struct {
		endpoint, in, want string
	}{
		{"https://collectors.sumologic.com/receiver/v1/http/" + token,
			`Post "https://collectors.sumologic.com/receiver/v1/http/` + token + `": dial tcp: refused`,
			`Post "https://collectors.sumologic.com/receiver/v1/http/REDACTED": dial tcp: refused`},
		{"https://collectors.sumologic.com/receiver/v1/http/" + token,
			"path /receiver/v1/http/" + token + " token " + token,
			"path /receiver/v1/http/REDACTED token REDACTED"},
		{"https://collectors.sumologic.com/receiver/v1/otlp/" + token + "/v1/logs",
			"https://collectors.sumologic.com/receiver/v1/otlp/" + token + "/v1/logs",
			"https://collectors.sumologic.com/receiver/v1/otlp/REDACTED/v1/logs"},
		// A short token is hidden wherever the URL or its path is whole.
		{"http://127.0.0.1:8080/receiver/v1/http/abc", "to http://127.0.0.1:8080/receiver/v1/http/abc, abc",
			"to http://127.0.0.1:8080/receiver/v1/http/REDACTED, abc"},
		{"http://127.0.0.1:8080/receiver/v1/http/" + token + "?q=secretquery", "http://127.0.0.1:8080/receiver/v1/http/" + token + "?q=secretquery",
			"http://127.0.0.1:8080/receiver/v1/http/REDACTED?REDACTED"},
		{"https://collectors.sumologic.com/receiver/v1/http/" + token, "nothing secret here", "nothing secret here"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := newRedactor(tc.endpoint).String(tc.in); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRedactorErrorKeepsTheChain(t *testing.T) {
	r := newRedactor("https://collectors.sumologic.com/receiver/v1/http/" + token)
	inner := errors.New(`Post "https://collectors.sumologic.com/receiver/v1/http/` + token + `": refused`)
	err := r.Error(consumererror.NewPermanent(inner))
	if strings.Contains(err.Error(), token) {
		t.Errorf("token in %q", err)
	}
	if !consumererror.IsPermanent(err) || !errors.Is(err, inner) {
		t.Errorf("the redacted error lost its chain: %v", err)
	}
	plain := errors.New("status 503")
	if r.Error(plain) != plain {
		t.Error("an error without a secret must be returned as is")
	}
	if r.Error(nil) != nil {
		t.Error("nil must stay nil")
	}
}

// BenchmarkRedactorString: a line that holds the URL, as contrib's
// "setting data urls" and a failed send's error do.
func BenchmarkRedactorString(b *testing.B) {
	r := newRedactor("https://collectors.sumologic.com/receiver/v1/http/" + token)
	line := `Post "https://collectors.sumologic.com/receiver/v1/http/` + token + `": dial tcp: connection refused`
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(line)
	}
}
