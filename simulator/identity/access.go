package identity

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The user a delegated sign-in stands for.
const (
	userObjectID = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
	userName     = "admin@contoso.onmicrosoft.com"
)

// newAccessToken returns a JWT-shaped token (clients must treat it as
// opaque) and remembers its audience and expiry; the caller holds s.mu.
func (s *Server) newAccessToken(req *tokenRequest, now time.Time) string {
	exp := now.Add(s.cfg.AccessTokenTTL)
	appID := req.appID
	if appID == "" {
		appID = s.cfg.ClientID
	}
	claims := map[string]any{
		"aud":   req.resource,
		"iss":   "https://sts.windows.net/" + s.cfg.TenantID + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   exp.Unix(),
		"appid": appID,
		"tid":   s.cfg.TenantID,
		"uti":   randomToken(16),
	}
	if req.delegated() {
		claims["scp"] = "ExchangeMessageTrace.Read.All ReportingWebService.Read"
		claims["oid"] = userObjectID
		claims["upn"] = userName
	} else {
		claims["roles"] = []string{"ExchangeMessageTrace.Read.All", "ReportingWebService.Read.All"}
	}
	tok := jwtShape(map[string]any{"typ": "JWT", "alg": "RS256", "kid": "simulator"}, claims) + randomToken(64)
	s.access[tok] = accessGrant{audience: normalizeAudience(req.resource), expires: exp}
	return tok
}

// idToken is an unsigned-looking OpenID token: MSAL reads its claims to
// build the account, it never checks the signature.
// The caller holds s.mu.
func (s *Server) idToken(now time.Time) string {
	claims := map[string]any{
		"aud":                s.cfg.ClientID,
		"iss":                s.issuerBaseLocked() + "/" + s.cfg.TenantID + "/v2.0",
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"oid":                userObjectID,
		"sub":                uuid.NewSHA1(uuid.NameSpaceOID, []byte(userObjectID)).String(),
		"tid":                s.cfg.TenantID,
		"preferred_username": userName,
		"name":               "Simulated Admin",
		"ver":                "2.0",
	}
	return jwtShape(map[string]any{"typ": "JWT", "alg": "RS256", "kid": "simulator"}, claims) + randomToken(64)
}

func clientInfo(tenantID string) string {
	b, _ := json.Marshal(map[string]string{"uid": userObjectID, "utid": tenantID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtShape renders "header.claims." ready for a signature segment.
func jwtShape(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

// Authenticate checks the bearer token of a request to a resource server
// (Graph or the legacy reporting service) for audience. It returns
// ok=true, or the 401 status and the body that resource would send.
func (s *Server) Authenticate(r *http.Request, audience string) (status int, body []byte, ok bool) {
	h := r.Header.Get("Authorization")
	token, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		token, found = strings.CutPrefix(h, "bearer ")
	}
	token = strings.TrimSpace(token)
	if !found || token == "" {
		return s.unauthorized(audience, "Access token is empty.")
	}
	s.mu.Lock()
	g, known := s.access[token]
	now := s.cfg.Now()
	s.mu.Unlock()
	switch {
	case !known:
		return s.unauthorized(audience, "Invalid JWT token. The token is not valid.")
	case !now.Before(g.expires):
		return s.unauthorized(audience, "Lifetime validation failed, the token is expired.")
	case g.audience != normalizeAudience(audience):
		return s.unauthorized(audience, "Invalid audience.")
	}
	return http.StatusOK, nil, true
}

func isGraph(audience string) bool {
	a := normalizeAudience(audience)
	return strings.Contains(a, "graph.microsoft") || strings.Contains(a, "microsoftgraph") ||
		a == "00000003-0000-0000-c000-000000000000"
}

func (s *Server) unauthorized(audience, message string) (int, []byte, bool) {
	if isGraph(audience) {
		body, _ := json.Marshal(map[string]any{"error": map[string]any{
			"code":    "InvalidAuthenticationToken",
			"message": message,
			"innerError": map[string]string{
				"date":              s.cfg.Now().UTC().Format("2006-01-02T15:04:05"),
				"request-id":        uuid.NewString(),
				"client-request-id": uuid.NewString(),
			},
		}})
		return http.StatusUnauthorized, body, false
	}
	// The legacy reporting service answers in OData v3 error JSON.
	body, _ := json.Marshal(map[string]any{"odata.error": map[string]any{
		"code":    "",
		"message": map[string]string{"lang": "en-US", "value": message},
	}})
	return http.StatusUnauthorized, body, false
}
