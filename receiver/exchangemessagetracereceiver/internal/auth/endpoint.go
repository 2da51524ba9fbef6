package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/origin"
)

// tokenReply is a successful token endpoint answer. The v1 endpoint writes
// numbers as strings, v2 as numbers.
type tokenReply struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	ExpiresIn    json.Number `json:"expires_in"`
	ExpiresOn    json.Number `json:"expires_on"`
}

// expiry computes when the access token expires, preferring expires_in
// (relative, immune to clock skew) over expires_on.
func (r tokenReply) expiry(now time.Time) time.Time {
	if secs, err := r.ExpiresIn.Int64(); err == nil && secs > 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if on, err := r.ExpiresOn.Int64(); err == nil && on > 0 {
		return time.Unix(on, 0)
	}
	return now.Add(5 * time.Minute)
}

// postToken sends one form to the v1 token endpoint,
// {authority}/{tenant}/oauth2/token, and decodes the answer; failures come
// back classified, free of the form's secrets.
func postToken(ctx context.Context, s Settings, form url.Values, redact []string) (tokenReply, error) {
	endpoint := s.AuthorityHost + "/" + url.PathEscape(s.TenantID) + "/oauth2/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenReply{}, fmt.Errorf("auth: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		return tokenReply{}, transportError(ctx, err, redact)
	}
	defer resp.Body.Close()
	// The guard caps the body at MaxTokenResponseBytes (an error past it);
	// the limit here keeps a client without the guard bounded too.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxTokenResponseBytes+1))
	if err != nil {
		return tokenReply{}, transportError(ctx, err, redact)
	}
	if resp.StatusCode != http.StatusOK {
		return tokenReply{}, classifyResponse(resp.StatusCode, resp.Header, body, s, redact)
	}
	var reply tokenReply
	if err := json.Unmarshal(body, &reply); err != nil || reply.AccessToken == "" {
		// An HTML page or a truncated body: a proxy or an outage, not a refusal.
		return tokenReply{}, notATokenResponse(identityPlatform, identityPlatformCheck, &answer{method: req.Method, origin: origin.String(req.URL),
			contentType: resp.Header.Get("Content-Type"), status: resp.StatusCode, bytes: int64(len(body)), head: body[:min(len(body), answerHeadBytes)]})
	}
	return reply, nil
}
