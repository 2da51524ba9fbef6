package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// TestOddTokenEndpointAnswers covers answers the simulator's token endpoint
// does not give but proxies and bad days do: an HTML page with 200, a 429,
// a 502 from a gateway, an AADSTS code without a specific message.
func TestOddTokenEndpointAnswers(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		header      map[string]string
		body        string
		kind        msgtrace.ErrorKind
		code        string
		retryAfter  time.Duration
		inMsg       string
	}{
		{name: "HTML sign-in page with 200", status: 200, contentType: "text/html", body: "<html><title>Sign in</title></html>", kind: msgtrace.KindTransient},
		{name: "throttled", status: 429, contentType: "application/json", header: map[string]string{"Retry-After": "7"},
			body: `{"error":"temporarily_unavailable"}`, kind: msgtrace.KindThrottled, retryAfter: 7 * time.Second},
		{name: "gateway error page", status: 502, contentType: "text/html", body: "<html>Bad Gateway</html>", kind: msgtrace.KindTransient},
		{name: "other AADSTS code", status: 400, contentType: "application/json",
			body: `{"error":"invalid_request","error_description":"AADSTS12345: Something new. Trace ID: x Correlation ID: y Timestamp: z","error_codes":[12345]}`,
			kind: msgtrace.KindAuth, code: "AADSTS12345", inMsg: "error?code=12345"},
		{name: "400 without a body", status: 400, kind: msgtrace.KindAuth, inMsg: "check tenant_id, client_id"},
	}
	flows := map[string]func(s *Settings){
		"auth code": func(s *Settings) {
			s.AuthorizationCode, s.Store, s.KeyPrefix = "0.Acode-value-123", newMemStore(), keyPrefix
		},
		"client secret": func(*Settings) {},
	}
	for flow, apply := range flows {
		for _, tt := range tests {
			t.Run(flow+"/"+tt.name, func(t *testing.T) {
				authority := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					if tt.contentType != "" {
						w.Header().Set("Content-Type", tt.contentType)
					}
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.body))
				}))
				defer authority.Close()
				set := Settings{TenantID: tenantID, ClientID: clientID, ClientSecret: secret, Scope: legacy,
					AuthorityHost: authority.URL, HTTPClient: authority.Client()}
				apply(&set)
				src, err := NewTokenSource(set)
				require.NoError(t, err)
				_, err = src.Token(context.Background())
				ae := apiError(t, err)
				assert.Equal(t, tt.kind, ae.Kind, ae.Error())
				assert.Equal(t, tt.code, ae.Code)
				assert.Equal(t, tt.retryAfter, ae.RetryAfter)
				assert.Contains(t, ae.Message, tt.inMsg)
				assert.NotContains(t, ae.Error(), "0.Acode-value-123")
				assert.NotContains(t, ae.Error(), secret)
			})
		}
	}
}
