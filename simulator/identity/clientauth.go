package identity

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as a SHA-1 thumbprint
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	jwtBearer            = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	assertionClockSkew   = 5 * time.Minute
	maxAssertionLifetime = 24 * time.Hour
)

// authenticateClient checks the client secret or the client assertion of
// req.app.
func (s *Server) authenticateClient(r *http.Request, req *tokenRequest, f url.Values) *aadError {
	app := req.app
	secret, assertion := f.Get("client_secret"), f.Get("client_assertion")
	switch {
	case secret != "":
		if secret == app.secret && app.secret != "" {
			return nil
		}
		if slices.Contains(app.expired, secret) {
			return errExpiredSecret(app.clientID)
		}
		return errInvalidSecret(app.clientID)
	case assertion != "":
		if f.Get("client_assertion_type") != jwtBearer {
			return errMissingParam("client_assertion_type")
		}
		if !app.home {
			return errBadAssertion(fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.] Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.", app.clientID))
		}
		return s.verifyAssertion(assertion, s.tokenURLs(req.tenant, req.dir.id))
	}
	return errNoCredential()
}

// tokenURLs are the audiences Microsoft accepts in a client assertion: the
// token endpoints of the tenant as the URL named it and by its GUID.
func (s *Server) tokenURLs(tenant, tenantID string) []string {
	base := s.issuerBase()
	var out []string
	for _, t := range []string{tenant, tenantID} {
		out = append(out, base+"/"+t+"/oauth2/token", base+"/"+t+"/oauth2/v2.0/token")
	}
	return out
}

// verifyAssertion checks a client assertion JWT: a federated one when its
// issuer is the issuer of a federated credential of the application (see
// federated.go), otherwise a certificate assertion (RS256 with x5t, or PS256
// with x5t#S256, signed by the registered certificate's key).
func (s *Server) verifyAssertion(assertion string, audiences []string) *aadError {
	if creds := s.federatedCredentials(assertionIssuer(assertion)); len(creds) > 0 {
		return s.verifyFederated(assertion, creds)
	}
	claims := jwt.MapClaims{}
	if s.cfg.Certificate == nil {
		return errBadAssertion(fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.] Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.", s.cfg.ClientID))
	}
	pub, ok := s.cfg.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errBadAssertion("The registered certificate does not hold an RSA key.")
	}
	var aerr *aadError
	_, err := jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods([]string{"RS256", "PS256"})).
		ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
			if aerr = s.checkThumbprint(t.Header); aerr != nil {
				return nil, aerr
			}
			return pub, nil
		})
	if aerr != nil {
		return aerr
	}
	if err != nil {
		return errBadAssertion("Client assertion failed signature validation.")
	}
	return s.checkAssertionClaims(claims, audiences)
}

// checkThumbprint compares the header's x5t (SHA-1) or x5t#S256 (SHA-256)
// with the registered certificate. MSAL writes it in standard base64 while
// the RFC says base64url: Microsoft accepts both.
func (s *Server) checkThumbprint(header map[string]any) *aadError {
	sum1 := sha1.Sum(s.cfg.Certificate.Raw) //nolint:gosec // protocol-defined thumbprint
	sum256 := sha256.Sum256(s.cfg.Certificate.Raw)
	if v, ok := header["x5t#S256"].(string); ok {
		if bytes.Equal(decodeThumbprint(v), sum256[:]) {
			return nil
		}
		return errUnknownKey(s.cfg.ClientID, v)
	}
	if v, ok := header["x5t"].(string); ok {
		if bytes.Equal(decodeThumbprint(v), sum1[:]) {
			return nil
		}
		return errUnknownKey(s.cfg.ClientID, v)
	}
	return errBadAssertion("The client assertion header carries no x5t or x5t#S256 certificate thumbprint.")
}

func errUnknownKey(clientID, thumbprint string) *aadError {
	return errBadAssertion(fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", thumbprint, clientID))
}

func decodeThumbprint(v string) []byte {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b
		}
	}
	return nil
}

// checkAssertionClaims checks a certificate assertion's audience (the
// token endpoint), iss and sub (the client id), jti and lifetime.
func (s *Server) checkAssertionClaims(c jwt.MapClaims, audiences []string) *aadError {
	if !audienceMatches(c, audiences) {
		return errBadAssertion("Client assertion audience claim does not match Realm issuer.")
	}
	iss, _ := c.GetIssuer()
	sub, _ := c.GetSubject()
	if iss != s.cfg.ClientID || sub != s.cfg.ClientID {
		return errBadAssertion("Client assertion contains an invalid iss or sub claim: both must be the application's client id.")
	}
	if jti, _ := c["jti"].(string); jti == "" {
		return errBadAssertion("Client assertion is missing the jti claim.")
	}
	return s.checkAssertionTime(c)
}

func audienceMatches(c jwt.MapClaims, audiences []string) bool {
	aud, _ := c.GetAudience()
	return slices.ContainsFunc(aud, func(a string) bool {
		return slices.ContainsFunc(audiences, func(want string) bool { return strings.EqualFold(strings.TrimSuffix(a, "/"), want) })
	})
}

// checkAssertionTime applies Microsoft's clock skew to exp and nbf and its
// cap on an assertion's lifetime.
func (s *Server) checkAssertionTime(c jwt.MapClaims) *aadError {
	now := s.cfg.Now()
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil || !now.Before(exp.Add(assertionClockSkew)) {
		return errAssertionTime()
	}
	if nbf, err := c.GetNotBefore(); err != nil || (nbf != nil && now.Add(assertionClockSkew).Before(nbf.Time)) {
		return errAssertionTime()
	}
	if nbf, _ := c.GetNotBefore(); nbf != nil && exp.Sub(nbf.Time) > maxAssertionLifetime {
		return errAssertionTime()
	}
	return nil
}

// assertionIssuer reads the iss claim of a JWT without verifying it.
func assertionIssuer(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.Iss
}
