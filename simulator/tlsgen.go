package simulator

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/internal/tlsgen"
)

// newTLS makes a fresh CA and a server certificate for 127.0.0.1, ::1 and
// localhost, writes the CA to dir/ca.pem (what a collector's tls.ca_file
// names) and returns the server's TLS config, the CA path and the CA.
func newTLS(dir string, now time.Time) (*tls.Config, string, *x509.Certificate, error) {
	b, err := tlsgen.New("msgtrace-sim CA", now)
	if err != nil {
		return nil, "", nil, err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := b.WriteCA(caFile); err != nil {
		return nil, "", nil, err
	}
	// HTTP/1.1 only: fault injection resets connections by hijacking them.
	b.Server.NextProtos = []string{"http/1.1"}
	return b.Server, caFile, b.CA, nil
}
