// Package tlsgen makes a throwaway certificate authority and a server
// certificate for the loopback addresses, so that the fakes (the Microsoft
// APIs simulator, the Kubernetes Lease API) serve real HTTPS that clients
// verify against a CA file, as they would in production.
package tlsgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"time"
)

// Bundle is a fresh CA and a server certificate it signed for 127.0.0.1,
// ::1 and localhost.
type Bundle struct {
	// Server is the TLS config to serve with (the leaf and the CA chain).
	Server *tls.Config
	// CA is the authority clients trust.
	CA *x509.Certificate
	// CAPEM is CA in PEM, what a ca_file or a kubeconfig's
	// certificate-authority-data holds.
	CAPEM []byte
}

// New makes a CA named caName and a loopback server certificate, valid from
// an hour before now (clock skew between the fake and its clients).
func New(caName string, now time.Time) (*Bundle, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: caName, Organization: []string{caName}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(5 * 365 * 24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(2 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &Bundle{
		Server: &tls.Config{
			MinVersion: tls.VersionTLS12,
			Certificates: []tls.Certificate{{
				Certificate: [][]byte{leafDER, caDER},
				PrivateKey:  key,
			}},
		},
		CA:    caCert,
		CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}, nil
}

// WriteCA writes the CA in PEM to path (world-readable: it is public).
func (b *Bundle) WriteCA(path string) error {
	return os.WriteFile(path, b.CAPEM, 0o644)
}

// Pool is a cert pool holding only the CA, for clients in tests.
func (b *Bundle) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(b.CA)
	return pool
}
