package identity

import (
	"net/http"
	"net/url"
	"strings"
)

// serveOpenIDConfiguration answers what MSAL (and so azidentity) fetches
// before its first token request: {authority}/v2.0/.well-known/openid-configuration.
// MSAL requires token_endpoint, authorization_endpoint and issuer, and
// requires the issuer's scheme and host to match the authority's.
func (s *Server) serveOpenIDConfiguration(version tokenVersion) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		dir := s.lookupTenant(tenant, true)
		if dir == nil {
			aerr := errTenantNotFound(tenant)
			aerr.oauth = "invalid_tenant"
			s.writeAADError(w, r, aerr)
			return
		}
		base := s.issuerBase()
		// The issuer names the tenant by its GUID (also when asked by a
		// domain); Microsoft answers the multi-tenant aliases with a
		// templated one.
		issuerTenant := dir.id
		if s.lookupTenant(tenant, false) == nil {
			issuerTenant = "{tenantid}"
		}
		doc := map[string]any{
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"request_uri_parameter_supported":       false,
			"tenant_region_scope":                   "NA",
			"cloud_instance_name":                   "microsoftonline.com",
			"cloud_graph_host_name":                 "graph.windows.net",
			"msgraph_host":                          "graph.microsoft.com",
		}
		if version == tokenV2 {
			doc["token_endpoint"] = base + "/" + tenant + "/oauth2/v2.0/token"
			doc["authorization_endpoint"] = base + "/" + tenant + "/oauth2/v2.0/authorize"
			doc["jwks_uri"] = base + "/" + tenant + "/discovery/v2.0/keys"
			doc["issuer"] = base + "/" + issuerTenant + "/v2.0"
			doc["device_authorization_endpoint"] = base + "/" + tenant + "/oauth2/v2.0/devicecode"
			doc["end_session_endpoint"] = base + "/" + tenant + "/oauth2/v2.0/logout"
		} else {
			doc["token_endpoint"] = base + "/" + tenant + "/oauth2/token"
			doc["authorization_endpoint"] = base + "/" + tenant + "/oauth2/authorize"
			doc["jwks_uri"] = base + "/common/discovery/keys"
			doc["issuer"] = "https://sts.windows.net/" + issuerTenant + "/"
			doc["end_session_endpoint"] = base + "/" + tenant + "/oauth2/logout"
		}
		writeJSON(w, http.StatusOK, doc)
	}
}

// serveInstanceDiscovery answers MSAL's instance discovery
// GET /common/discovery/instance?api-version=1.1&authorization_endpoint=https://{host}/{tenant}/oauth2/v2.0/authorize
// MSAL calls it for an authority on a trusted Microsoft host when writing its
// cache (aliases) and for untrusted hosts unless instance discovery is
// disabled. The answer lists the host's aliases and its tenant discovery
// endpoint.
func (s *Server) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ae, err := url.Parse(q.Get("authorization_endpoint"))
	if q.Get("api-version") == "" || err != nil || ae.Host == "" {
		aerr := errMissingParam("authorization_endpoint")
		aerr.oauth = "invalid_instance"
		aerr.code = 50049
		aerr.text = "Unknown or invalid instance."
		s.writeAADError(w, r, aerr)
		return
	}
	tenant := strings.Split(strings.TrimPrefix(ae.Path, "/"), "/")[0]
	host := ae.Host
	aliases := []string{host}
	if known := strings.ToLower(host); known == "login.microsoftonline.com" || known == "login.windows.net" ||
		known == "login.microsoft.com" || known == "sts.windows.net" {
		aliases = []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           aliases,
		}},
	})
}

// serveAuthorize stands in for the browser sign-in: a known client with the
// registered redirect URI is sent straight back with a fresh code.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant, true) {
		s.writeAADError(w, r, errTenantNotFound(tenant))
		return
	}
	if !strings.EqualFold(q.Get("client_id"), s.cfg.ClientID) {
		s.writeAADError(w, r, errAppNotFound(q.Get("client_id"), tenant))
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		redirect = s.cfg.RedirectURI
	}
	if redirect != s.cfg.RedirectURI {
		s.writeAADError(w, r, &aadError{http.StatusBadRequest, "invalid_request", 50011, "The redirect URI '" + redirect + "' specified in the request does not match the redirect URIs configured for the application."})
		return
	}
	u, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := u.Query()
	resource := q.Get("resource")
	for _, sc := range strings.Fields(q.Get("scope")) {
		if res, ok := resourceOfScope(sc); ok && resource == "" {
			resource = res
		}
	}
	back.Set("code", s.newAuthCode(resource))
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	back.Set("session_state", randomToken(16))
	u.RawQuery = back.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
