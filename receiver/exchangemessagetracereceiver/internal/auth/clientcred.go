package auth

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// clientCredential authenticates the app in the authorization code flow's
// own token requests: a client secret, or a certificate assertion.
type clientCredential struct {
	secret string
	cert   *x509.Certificate
	key    crypto.PrivateKey
	now    func() time.Time
}

func newClientCredential(s Settings) (clientCredential, error) {
	switch {
	case s.CertificatePath != "":
		certs, key, err := loadCertificate(s.CertificatePath, s.CertificatePassword)
		if err != nil {
			return clientCredential{}, err
		}
		return clientCredential{cert: certs[0], key: key, now: time.Now}, nil
	case s.ClientSecret != "":
		return clientCredential{secret: s.ClientSecret}, nil
	}
	return clientCredential{}, errors.New("auth: authorization_code needs client_secret or certificate.path to redeem the code")
}

// apply adds the credential to form and returns the values to keep out of
// errors.
func (c clientCredential) apply(form url.Values, tokenURL string) ([]string, error) {
	if c.secret != "" {
		form.Set("client_secret", c.secret)
		return []string{c.secret}, nil
	}
	assertion, err := c.assertion(form.Get("client_id"), tokenURL)
	if err != nil {
		return nil, err
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", assertion)
	return []string{assertion}, nil
}

// assertion is the certificate credential JWT Microsoft documents: PS256
// with the certificate's SHA-256 thumbprint, valid for ten minutes.
func (c clientCredential) assertion(clientID, tokenURL string) (string, error) {
	now := c.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, jwt.MapClaims{
		"aud": tokenURL, "iss": clientID, "sub": clientID, "jti": uuid.NewString(),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	sum := sha256.Sum256(c.cert.Raw)
	tok.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sum[:])
	signed, err := tok.SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign client assertion: %w", err)
	}
	return signed, nil
}
