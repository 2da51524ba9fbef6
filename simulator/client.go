package simulator

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"time"
)

// Client returns an HTTP client that trusts the simulator's CA, for tests
// that talk to HTTPSURL themselves.
func (s *Simulator) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.caCert)
	return &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
}
