package auth

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

// loadCertificate reads a PEM file (certificate and key) or a PKCS#12 file.
// azidentity.ParseCertificates reads PEM and legacy PKCS#12 (3DES/SHA-1);
// PKCS#12 files written by OpenSSL 3 or recent Windows use PBES2/AES and
// SHA-256, which it rejects, so those go through go-pkcs12.
func loadCertificate(path, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: certificate.path: cannot read the file: %w", err)
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(password))
	if err == nil {
		return certs, key, nil
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		if key, leaf, chain, err2 := gopkcs12.DecodeChain(data, password); err2 == nil {
			return append([]*x509.Certificate{leaf}, chain...), key, nil
		} else if errors.Is(err2, gopkcs12.ErrIncorrectPassword) {
			return nil, nil, fmt.Errorf("auth: certificate.path %s: certificate.password is wrong", path)
		}
	}
	// Neither parser echoes the password; keep only the reason.
	return nil, nil, fmt.Errorf("auth: certificate.path %s holds no usable certificate and private key (PEM, or PKCS#12 with certificate.password): %w", path, err)
}
