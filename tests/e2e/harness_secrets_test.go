//go:build e2e

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// secretPatterns match what the simulated identity platform hands out:
// access and ID tokens (JWT-shaped, "eyJ..."), refresh tokens ("1.A..."),
// authorization codes ("0.A..."), and the Bearer header carrying a token.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}`),
	regexp.MustCompile(`\b1\.A[A-Za-z0-9_-]{100,}`),
	regexp.MustCompile(`\b0\.A[A-Za-z0-9_-]{60,}`),
	regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._-]{20,}`),
}

// knownSecrets are literal secrets handed to collectors (the client
// secret, authorization codes), added by the tests that use them.
var knownSecrets = struct {
	sync.Mutex
	list []string
}{list: []string{simSecret}}

func addKnownSecret(s string) {
	knownSecrets.Lock()
	defer knownSecrets.Unlock()
	knownSecrets.list = append(knownSecrets.list, s)
}

// withSourceToken gives the fake Sumo Logic source's URL a token of its own
// in the shape of a real HTTP source's (/receiver/v1/http/<token>: base64,
// about a hundred characters, the README's secret) in place of the
// simulator's "sim", and adds it to knownSecrets: every collector log of
// every test is then scanned for it. The fake source accepts any path.
func withSourceToken(sumoURL string) string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	token := "ZaVn" + base64.RawURLEncoding.EncodeToString(b) + "=="
	addKnownSecret(token)
	return strings.TrimSuffix(sumoURL, "/sim") + "/" + token
}

// secretScan counts what was scanned over the whole run, for the report.
var secretScan struct {
	files, lines, bytes, found atomic.Int64
}

// findSecrets returns the secrets found in data (redacted to a prefix).
func findSecrets(data []byte) []string {
	var found []string
	knownSecrets.Lock()
	for _, s := range knownSecrets.list {
		if bytes.Contains(data, []byte(s)) {
			found = append(found, redact(s))
		}
	}
	knownSecrets.Unlock()
	for _, re := range secretPatterns {
		for _, m := range re.FindAll(data, 3) {
			found = append(found, redact(string(m)))
		}
	}
	return found
}

func redact(s string) string {
	if len(s) > 8 {
		return s[:8] + "...(redacted)"
	}
	return "(redacted)"
}

func assertNoSecrets(t *testing.T, where string, data []byte) {
	t.Helper()
	secretScan.bytes.Add(int64(len(data)))
	secretScan.lines.Add(int64(bytes.Count(data, []byte("\n"))))
	if found := findSecrets(data); len(found) > 0 {
		secretScan.found.Add(int64(len(found)))
		t.Errorf("SECRET LEAK: %s contains %d secret(s): %v", where, len(found), found)
	}
}

func assertNoSecretsInFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("reading %s for the secret scan: %v", path, err)
		return
	}
	secretScan.files.Add(1)
	assertNoSecrets(t, path, b)
}

// assertNoSecretsInLines scans every exported record.
func assertNoSecretsInLines(t *testing.T, lines [][]byte) {
	t.Helper()
	assertNoSecrets(t, "the records exported to the fake Sumo Logic source", bytes.Join(lines, []byte("\n")))
}
