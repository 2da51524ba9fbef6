package identity

import (
	"net/http"
	"strconv"
	"time"
)

// grant runs the grant-specific rules and issues tokens.
func (s *Server) grant(r *http.Request, req *tokenRequest) (map[string]any, *aadError) {
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var chain *refreshChain
	switch req.grant {
	case grantClientCredentials:
	case grantAuthorizationCode:
		code := f.Get("code")
		if code == "" {
			return nil, errMissingParam("code")
		}
		c, ok := s.codes[code]
		if !ok {
			return nil, errMalformedGrant("code")
		}
		if c.redeemed {
			s.stats.CodesReused++
			return nil, errCodeRedeemed()
		}
		if now.Sub(c.issued) > s.cfg.AuthCodeTTL {
			return nil, errCodeExpired()
		}
		if f.Get("redirect_uri") != s.cfg.RedirectURI {
			return nil, errRedirectMismatch()
		}
		if req.resource == "" {
			req.resource = c.resource // v1 remembers the authorize request's resource
		}
		if req.resource == "" {
			return nil, errMissingParam("resource")
		}
		c.redeemed = true
		s.stats.CodesRedeemed++
		chain = &refreshChain{resource: req.resource}
	case grantRefreshToken:
		rt := f.Get("refresh_token")
		if rt == "" {
			return nil, errMissingParam("refresh_token")
		}
		c, ok := s.refresh[rt]
		if !ok {
			return nil, errMalformedGrant("refresh_token")
		}
		if rt != c.latest {
			s.stats.StaleRefreshReuse++
			return nil, errRevokedGrant()
		}
		if inactive := now.Sub(c.lastActive); inactive > s.cfg.RefreshTokenTTL {
			return nil, errRefreshInactive(c.issued, inactive)
		}
		if req.resource == "" {
			req.resource = c.resource
		}
		if req.version == tokenV2 && req.scope == "" {
			req.scope = req.resource + "/.default offline_access"
			req.offline = true
		}
		s.stats.RefreshTokensRotated++
		chain = c
	}
	s.stats.TokensIssued[req.grant]++
	return s.tokenResponse(req, chain, now), nil
}

// tokenResponse issues an access token (and, for delegated grants, the
// chain's next refresh token) and renders the version's JSON shape.
func (s *Server) tokenResponse(req *tokenRequest, chain *refreshChain, now time.Time) map[string]any {
	ttl := s.cfg.AccessTokenTTL
	at := s.newAccessToken(req, now)
	expiresIn := int64(ttl/time.Second) - 1
	resp := map[string]any{"token_type": "Bearer", "access_token": at}
	withRefresh := chain != nil && (req.version == tokenV1 || req.offline)
	if chain != nil {
		rt := "1.A" + randomToken(160)
		s.refresh[rt] = chain
		chain.latest, chain.issued, chain.lastActive = rt, now, now
		if withRefresh {
			resp["refresh_token"] = rt
		}
	}
	if req.version == tokenV1 {
		// v1 renders every number as a string.
		resp["expires_in"] = strconv.FormatInt(expiresIn, 10)
		resp["ext_expires_in"] = strconv.FormatInt(expiresIn, 10)
		resp["expires_on"] = strconv.FormatInt(now.Add(ttl).Unix(), 10)
		resp["not_before"] = strconv.FormatInt(now.Unix(), 10)
		resp["resource"] = req.resource
		if chain != nil {
			resp["scope"] = "ReportingWebService.Read"
		}
		return resp
	}
	resp["expires_in"] = expiresIn
	resp["ext_expires_in"] = expiresIn
	if chain != nil {
		// App-only answers carry no scope; delegated ones echo the grant.
		resp["scope"] = req.scope
	}
	if chain != nil && req.openID {
		resp["id_token"] = s.idToken(now)
	}
	if chain != nil && req.clientInf {
		resp["client_info"] = clientInfo(s.cfg.TenantID)
	}
	return resp
}
