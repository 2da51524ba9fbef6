package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFreshTokenRequestIsTriedOncePerRefusal: after the API refused a
// token, the next token request carries the claims that make MSAL skip
// its cache. An authority that rejects that request (here: one that does
// not accept claims at all) costs one attempt: the same Token call then
// asks without claims, and later calls do not send claims again until the
// API refuses a token again.
func TestFreshTokenRequestIsTriedOncePerRefusal(t *testing.T) {
	var claimsRequests atomic.Int32
	s := newWrappedSim(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if form, err := url.ParseQuery(string(body)); err == nil && form.Get("claims") != "" {
					claimsRequests.Add(1)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, `{"error":"invalid_request","error_description":"AADSTS50000: claims are not supported by this authority.","error_codes":[50000]}`)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	set := s.settings()
	set.ClientSecret = secret
	src, err := NewTokenSource(set)
	require.NoError(t, err)
	az := src.(*azureSource)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	first, err := src.Token(ctx)
	require.NoError(t, err)
	az.Invalidate(first)

	second, err := src.Token(ctx)
	require.NoError(t, err, "the rejected claims request is not the tenant's end")
	assert.NotEmpty(t, second)
	assert.Equal(t, int32(1), claimsRequests.Load(), "one request for a newly issued token")

	for range 3 {
		_, err = src.Token(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), claimsRequests.Load(), "the claims request is not repeated without a new refusal")

	az.Invalidate(second)
	_, err = src.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(2), claimsRequests.Load(), "a new refusal asks for a newly issued token again")
}
