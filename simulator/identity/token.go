package identity

import (
	"net/http"
	"strings"
)

type tokenVersion int

const (
	tokenV1 tokenVersion = iota + 1 // /oauth2/token, resource=
	tokenV2                         // /oauth2/v2.0/token, scope=
)

const (
	grantClientCredentials = "client_credentials"
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
)

// tokenRequest is a parsed, authenticated token request.
type tokenRequest struct {
	version   tokenVersion
	tenant    string
	grant     string
	resource  string // "" when the request named none (refresh may inherit it)
	scope     string // granted scope string echoed back (v2)
	offline   bool   // v2 offline_access: return a refresh token
	openID    bool   // v2 openid: return an id_token
	clientInf bool   // client_info=1: return client_info (MSAL asks for it)
	appID     string // the token's appid when not the application's (a managed identity)
	// dir is the tenant the token is for (nil: the home tenant) and app
	// the application asking (nil: the Config's); noRoles issues an
	// app-only token without roles (consent without the permission).
	dir     *dirTenant
	app     *registeredApp
	noRoles bool
}

// delegated reports whether the token stands for a signed-in user.
func (req *tokenRequest) delegated() bool {
	return req.grant == grantAuthorizationCode || req.grant == grantRefreshToken
}

func (s *Server) serveToken(version tokenVersion) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, aerr := s.parseTokenRequest(r, version)
		if aerr == nil {
			var resp map[string]any
			resp, aerr = s.grant(r, req)
			if aerr == nil {
				s.countTenant(req.dir, 0)
				writeJSON(w, http.StatusOK, resp)
				return
			}
		}
		s.countFailure(aerr.code)
		if req != nil {
			s.countTenant(req.dir, aerr.code)
		}
		s.writeAADError(w, r, aerr)
	}
}

func (s *Server) countFailure(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Failures[code]++
}

func (s *Server) countTenant(t *dirTenant, code int) {
	if t == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.count(code)
}

// parseTokenRequest applies the checks Microsoft applies before looking at
// the grant itself, in its order: availability, tenant, client (is the app
// in this tenant: registered or consented), credential, consent, scope.
// Once the tenant is known the request is returned with the error, for the
// tenant's counts.
func (s *Server) parseTokenRequest(r *http.Request, version tokenVersion) (*tokenRequest, *aadError) {
	s.mu.Lock()
	outage, consentMissing := s.outage, s.consentMissing
	s.mu.Unlock()
	if outage {
		return nil, errUnavailable()
	}
	if err := r.ParseForm(); err != nil {
		return nil, errMissingParam("grant_type")
	}
	f := r.PostForm
	req := &tokenRequest{version: version, tenant: r.PathValue("tenant"), grant: f.Get("grant_type")}
	req.dir = s.lookupTenant(req.tenant, req.delegated())
	if req.dir == nil {
		return nil, errTenantNotFound(req.tenant)
	}
	s.mu.Lock()
	outage, consentMissing = req.dir.outage, consentMissing || req.dir.consentMissing
	s.mu.Unlock()
	if outage {
		return req, errUnavailable()
	}
	if req.grant == "" {
		return req, errMissingParam("grant_type")
	}
	switch req.grant {
	case grantClientCredentials, grantAuthorizationCode, grantRefreshToken:
	default:
		return req, errUnsupportedGrant(req.grant)
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		// With an assertion the client id may come from its iss claim only.
		clientID = assertionIssuer(f.Get("client_assertion"))
	}
	if clientID == "" {
		return req, errMissingParam("client_id")
	}
	app, aerr := s.appIn(clientID, req.tenant, req.dir)
	if aerr != nil {
		return req, aerr
	}
	if !app.home && req.delegated() {
		// Delegated sign-ins are the Config's application's only.
		return req, errAppNotFound(clientID, req.tenant)
	}
	req.app = app
	if aerr := s.authenticateClient(r, req, f); aerr != nil {
		return req, aerr
	}
	if consentMissing {
		return req, errConsent(app.clientID)
	}
	req.noRoles = !s.rolesIn(app, req.dir)
	req.clientInf = f.Get("client_info") == "1"
	if aerr := req.parseAudience(f.Get("resource"), f.Get("scope")); aerr != nil {
		return req, aerr
	}
	return req, nil
}

// parseAudience reads resource= (v1) or scope= (v2).
func (req *tokenRequest) parseAudience(resource, scope string) *aadError {
	if req.version == tokenV1 {
		req.resource = resource
		if req.resource == "" && req.grant == grantClientCredentials {
			return errMissingParam("resource")
		}
		return nil
	}
	if scope == "" {
		if req.grant == grantRefreshToken {
			return nil // Microsoft reuses the scopes of the original grant
		}
		return errMissingParam("scope")
	}
	// MSAL adds "openid offline_access profile" to every request, client
	// credentials included; Microsoft ignores them there.
	var granted []string
	resources := 0
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "offline_access":
			req.offline = true
		case "openid":
			req.openID = true
		case "profile", "email":
		default:
			res, ok := resourceOfScope(sc)
			if !ok || (req.grant == grantClientCredentials && !strings.HasSuffix(sc, "/.default")) {
				return errInvalidScope(sc)
			}
			if req.resource == "" {
				req.resource = res
			}
			resources++
		}
		granted = append(granted, sc)
	}
	if req.grant == grantClientCredentials {
		if resources != 1 {
			return errInvalidScope(scope)
		}
		req.offline, req.openID = false, false
	}
	req.scope = strings.Join(granted, " ")
	return nil
}

// resourceOfScope splits "https://graph.microsoft.com/.default" or
// "https://outlook.office365.com/ReportingWebService.Read" into its resource.
func resourceOfScope(scope string) (string, bool) {
	i := strings.LastIndex(scope, "/")
	if i <= 0 || !strings.Contains(scope[:i], "://") && !strings.Contains(scope[:i], "-") {
		return "", false
	}
	return scope[:i], true
}

// normalizeAudience makes "https://graph.microsoft.com/", ".../.default"
// and "https://graph.microsoft.com" compare equal.
func normalizeAudience(a string) string {
	a = strings.TrimSuffix(a, "/.default")
	a = strings.TrimSuffix(a, "/")
	return strings.ToLower(a)
}
