package identity

import (
	"crypto"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// FederatedAudience is the audience Entra requires of federated tokens.
const FederatedAudience = "api://AzureADTokenExchange"

// FederatedCredential is a federated identity credential registered on the
// application (workload identity federation): a token issued by Issuer about
// Subject, for Audience, is exchanged for an access token of the application
// (client_credentials with client_assertion_type jwt-bearer).
type FederatedCredential struct {
	Issuer string
	// Subject is the only sub accepted, such as
	// system:serviceaccount:NAMESPACE:NAME; "" accepts any (the
	// Config.FederatedIssuers shorthand).
	Subject  string
	Audience string // default FederatedAudience
	// Key verifies the token's signature. It stands in for the issuer's
	// signing keys, which Entra fetches from the issuer's OpenID discovery
	// document; nil accepts any signature.
	Key crypto.PublicKey
}

func (c FederatedCredential) audience() string {
	if c.Audience == "" {
		return FederatedAudience
	}
	return c.Audience
}

// AddFederatedCredential registers one more federated credential on the
// application, as an administrator does under "Certificates & secrets".
func (s *Server) AddFederatedCredential(c FederatedCredential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.federated = append(s.federated, c)
}

// federatedCredentials are the registered credentials of issuer.
func (s *Server) federatedCredentials(issuer string) []FederatedCredential {
	if issuer == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []FederatedCredential
	for _, c := range s.federated {
		if c.Issuer == issuer {
			out = append(out, c)
		}
	}
	return out
}

// verifyFederated checks a federated token against the credentials of its
// issuer, in Entra's order: audience, subject, signature, lifetime. Unlike
// a certificate assertion it needs no jti: Kubernetes service account
// tokens did not always carry one.
func (s *Server) verifyFederated(token string, creds []FederatedCredential) *aadError {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return errBadAssertion("Client assertion failed signature validation. The assertion is not a well-formed JWT.")
	}
	// Entra's code here is AADSTS700212 ("No matching federated identity
	// record found for presented assertion audience"); the simulator keeps
	// 700027, the code the receiver's tests expect for a bad assertion.
	creds = slices.DeleteFunc(creds, func(c FederatedCredential) bool { return !audienceMatches(claims, []string{c.audience()}) })
	if len(creds) == 0 {
		aud, _ := claims.GetAudience()
		return errBadAssertion(fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", strings.Join(aud, ",")))
	}
	sub, _ := claims.GetSubject()
	creds = slices.DeleteFunc(creds, func(c FederatedCredential) bool { return c.Subject != "" && c.Subject != sub })
	if len(creds) == 0 {
		return errFederatedSubject(sub)
	}
	if !slices.ContainsFunc(creds, func(c FederatedCredential) bool { return signedBy(token, c.Key) }) {
		return errBadAssertion("Client assertion failed signature validation: the token is not signed by a key of its issuer.")
	}
	return s.checkAssertionTime(claims)
}

// signedBy reports whether token verifies with key (always, for a nil key).
func signedBy(token string, key crypto.PublicKey) bool {
	if key == nil {
		return true
	}
	_, err := jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"})).
		Parse(token, func(*jwt.Token) (any, error) { return key, nil })
	return err == nil
}
