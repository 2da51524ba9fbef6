package exchangemessagetracereceiver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

// TestReportingWithAuthorizationCodeAndCertificate: the delegated flow
// with a certificate instead of a client secret, as Microsoft allows for
// confidential clients: the code is redeemed once with a signed client
// assertion, against the simulator's v1 token endpoint, and rows arrive.
func TestReportingWithAuthorizationCodeAndCertificate(t *testing.T) {
	cert, _, pemPath := newTestCertificate(t)
	tenant := fixedTenant(500, 1)
	tenant.ClientCertificate = cert
	sim := startSimulator(t, tenant)
	truth := truthKeys(sim.Truth(time.Now().Add(-3*24*time.Hour), time.Now()))

	cfg := reportingConfig(sim)
	cfg.ClientSecret = ""
	cfg.Certificate.Path = pemPath
	code := sim.Identity().NewAuthCode()
	cfg.AuthorizationCode = configOpaque(code)
	host := newTestHost()
	cfg.StorageID = host.withFileStorage(t, t.TempDir())

	sink := new(consumertest.LogsSink)
	_, logs := startReceiver(t, cfg, sink, host)
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 60*time.Second, 50*time.Millisecond)

	stats := sim.Identity().Stats()
	assert.Equal(t, 1, stats.CodesRedeemed)
	missing, duplicated := compare(truth, legacyKeys(sink.AllLogs()))
	assert.Zero(t, missing)
	assert.Zero(t, duplicated)
	assertNoSecrets(t, logs, code)
}

// newTestCertificate writes a self-signed certificate and its key as one
// PEM file, the form certificate.path reads.
func newTestCertificate(t *testing.T) (*x509.Certificate, *rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "otel-collector"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "collector.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return cert, key, path
}
