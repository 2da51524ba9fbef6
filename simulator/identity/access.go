package identity

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
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
	if appID == "" && req.app != nil {
		appID = req.app.clientID
	}
	if appID == "" {
		appID = s.cfg.ClientID
	}
	tid := s.cfg.TenantID
	if req.dir != nil {
		tid = req.dir.id // the GUID, also when the URL named a domain
	}
	claims := map[string]any{
		"aud":   req.resource,
		"iss":   "https://sts.windows.net/" + tid + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   exp.Unix(),
		"appid": appID,
		"tid":   tid,
		"uti":   randomToken(16),
	}
	g := accessGrant{audience: normalizeAudience(req.resource), expires: exp, bearer: Bearer{TenantID: tid, AppID: appID}}
	if req.delegated() {
		g.bearer.Scopes = []string{"ExchangeMessageTrace.Read.All", "ReportingWebService.Read"}
		claims["scp"] = strings.Join(g.bearer.Scopes, " ")
		claims["oid"] = userObjectID
		claims["upn"] = userName
	} else if !req.noRoles {
		g.bearer.Roles = []string{"ExchangeMessageTrace.Read.All", "ReportingWebService.Read.All"}
		claims["roles"] = g.bearer.Roles
	}
	tok := jwtShape(map[string]any{"typ": "JWT", "alg": "RS256", "kid": "simulator"}, claims) + randomToken(64)
	s.access[tok] = g
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

// Bearer is what a valid access token stands for.
type Bearer struct {
	TenantID string   // tid: the tenant's GUID
	AppID    string   // appid
	Roles    []string // app-only permissions (none without admin consent to them)
	Scopes   []string // delegated permissions
}

// Has tells whether the token holds permission as a role or a scope.
func (b Bearer) Has(permission string) bool {
	return slices.Contains(b.Roles, permission) || slices.Contains(b.Scopes, permission)
}

// Authenticate checks the bearer token of a request to a resource server
// (Graph or the legacy reporting service) for audience. It returns
// ok=true, or the 401 status and the body that resource would send.
func (s *Server) Authenticate(r *http.Request, audience string) (status int, body []byte, ok bool) {
	_, status, body, ok = s.Authorize(r, audience)
	return status, body, ok
}

// Authorize is Authenticate that also returns what the token stands for:
// the resource routes the request to the token's tenant, never to one the
// client names.
func (s *Server) Authorize(r *http.Request, audience string) (b Bearer, status int, body []byte, ok bool) {
	h := r.Header.Get("Authorization")
	token, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		token, found = strings.CutPrefix(h, "bearer ")
	}
	token = strings.TrimSpace(token)
	if !found || token == "" {
		status, body, ok = s.unauthorized(audience, "Access token is empty.")
		return b, status, body, ok
	}
	s.mu.Lock()
	g, known := s.access[token]
	now := s.cfg.Now()
	s.mu.Unlock()
	switch {
	case !known:
		status, body, ok = s.unauthorized(audience, "Invalid JWT token. The token is not valid.")
	case !now.Before(g.expires):
		status, body, ok = s.unauthorized(audience, "Lifetime validation failed, the token is expired.")
	case g.audience != normalizeAudience(audience):
		status, body, ok = s.unauthorized(audience, "Invalid audience.")
	default:
		return g.bearer, http.StatusOK, nil, true
	}
	return b, status, body, ok
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
