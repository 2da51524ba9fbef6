package exchangemessagetracereceiver

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap/xconfmap"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// TestMessagesNameRealKeys: every key a message names is a key of Config,
// so an operator can search the config for it. Messages come from Validate
// over invalidConfigs, from unmarshaling the bad testdata configs, and from
// the auth package (token source construction and the operator message of
// every AADSTS code it explains).
func TestMessagesNameRealKeys(t *testing.T) {
	keys := configKeys()
	require.Contains(t, keys, "certificate.path")
	require.Contains(t, keys, "managed_identity.client_id")
	require.Contains(t, keys, "tls.ca_file", "squashed HTTP client settings are keys too")

	messages := validateMessages(t)
	messages = append(messages, authMessages(t)...)
	require.Greater(t, len(messages), 60)

	var named []string
	for _, msg := range messages {
		for _, word := range keyLikeWords(msg, keys) {
			named = append(named, word)
			assert.True(t, isKey(word, keys), "%q names %q, which is not a config key", msg, word)
		}
	}
	t.Logf("%d messages name %d keys", len(messages), len(named))
}

func validateMessages(t *testing.T) []string {
	var out []string
	for _, tt := range invalidConfigs {
		cfg := validBase()
		tt.edit(cfg)
		out = append(out, splitJoined(xconfmap.Validate(cfg))...)
	}
	for _, name := range []string{"unknown_api", "bad_field_names", "bad_body_format", "misspelled_managed_identity_key"} {
		_, err := loadConfig(t, name)
		out = append(out, err.Error())
	}
	return out
}

// splitJoined returns the messages of an errors.Join, one each.
func splitJoined(err error) []string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []string{err.Error()}
}

// authMessages collects what the auth package tells operators. Of a
// *msgtrace.APIError only Message is ours (Err quotes Microsoft).
func authMessages(t *testing.T) []string {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	require.NoError(t, os.WriteFile(junk, []byte("not a certificate"), 0o600))
	cert, key, _ := newTestCertificate(t)
	pfx, err := gopkcs12.Modern.Encode(key, cert, nil, "right-password")
	require.NoError(t, err)
	pfxPath := filepath.Join(dir, "collector.pfx")
	require.NoError(t, os.WriteFile(pfxPath, pfx, 0o600))

	base := auth.Settings{TenantID: "t", ClientID: "c", Scope: reportingScope}
	with := func(edit func(*auth.Settings)) auth.Settings { s := base; edit(&s); return s }
	var out []string
	for _, s := range []auth.Settings{
		base, // no credential
		with(func(s *auth.Settings) { s.ClientSecret, s.AuthorityHost = "x", "http://login.microsoftonline.com" }),
		with(func(s *auth.Settings) { s.ClientSecret, s.Scope = "x", "" }),
		with(func(s *auth.Settings) { s.ClientSecret, s.TenantID = "x", "" }),
		with(func(s *auth.Settings) { s.ClientSecret, s.AuthorizationCode = "x", "code" }),
		with(func(s *auth.Settings) { s.AuthorizationCode, s.Store = "code", newMapStore() }),
		with(func(s *auth.Settings) { s.CertificatePath = filepath.Join(dir, "missing.pem") }),
		with(func(s *auth.Settings) { s.CertificatePath = junk }),
		with(func(s *auth.Settings) { s.CertificatePath, s.CertificatePassword = pfxPath, "wrong-password" }),
	} {
		_, err := auth.NewTokenSource(s)
		require.Error(t, err)
		out = append(out, err.Error())
	}

	// The token endpoint's refusals, through the authorization code flow
	// (it posts to the endpoint directly, no discovery first).
	var mu sync.Mutex
	var answer func(w http.ResponseWriter)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		answer(w)
	}))
	t.Cleanup(srv.Close)
	refuse := func(status, code int) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"AADSTS%d: refused.","error_codes":[%d]}`, code, code)
		}
	}
	answers := []func(http.ResponseWriter){
		refuse(http.StatusTooManyRequests, 0), refuse(http.StatusServiceUnavailable, 0),
		func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/html"); fmt.Fprint(w, "<html>") },
	}
	// Every code classify.go explains, and one it does not.
	for _, code := range []int{0, 7000215, 7000222, 7000218, 700016, 90002, 65001, 700027, 700024, 70008, 700082, 54005, 50173, 9002313, 70000, 500112, 50011, 12345} {
		answers = append(answers, refuse(http.StatusBadRequest, code))
	}
	for _, a := range answers {
		mu.Lock()
		answer = a
		mu.Unlock()
		src, err := auth.NewTokenSource(auth.Settings{TenantID: "t", ClientID: "c", ClientSecret: "x", AuthorizationCode: "code",
			Scope: reportingScope, AuthorityHost: srv.URL, HTTPClient: srv.Client(), Store: newMapStore(), KeyPrefix: "v1/reporting/t"})
		require.NoError(t, err)
		_, err = src.Token(context.Background())
		var ae *msgtrace.APIError
		require.ErrorAs(t, err, &ae)
		out = append(out, ae.Message)
	}
	return out
}

// configKeys lists every key of Config as the collector spells it
// (certificate.path, tls.ca_file), by the mapstructure tags.
func configKeys() map[string]bool {
	keys := map[string]bool{}
	addKeys(reflect.TypeFor[Config](), "", keys)
	return keys
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func addKeys(t reflect.Type, prefix string, keys map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == "go.opentelemetry.io/collector/config/configoptional" && strings.HasPrefix(t.Name(), "Optional[") {
		t = t.Field(0).Type // the value it holds
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		switch {
		case strings.Contains(opts, "squash"):
			addKeys(f.Type, prefix, keys)
		case name == "-" || !f.IsExported():
		default:
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			keys[prefix+name] = true
			addKeys(f.Type, prefix+name+".", keys)
		}
	}
}

// notKeys are snake_case words messages use that are not keys.
var notKeys = map[string]bool{
	"file_storage": true, // the storage extensions' types
	"db_storage":   true,
}

var urlPattern = regexp.MustCompile(`https?://\S+`)

// keyLikeWords returns the words of msg that look like config keys:
// snake_case words, and dotted words under a key with sub-keys
// (certificate.path). URLs, hosts and identifiers with capitals are not.
func keyLikeWords(msg string, keys map[string]bool) []string {
	msg = urlPattern.ReplaceAllString(msg, " ")
	words := strings.FieldsFunc(msg, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.')
	})
	var out []string
	for _, w := range words {
		w = strings.Trim(w, ".")
		if w == "" || strings.ToLower(w) != w || notKeys[w] {
			continue
		}
		first, _, dotted := strings.Cut(w, ".")
		if strings.Contains(w, "_") || (dotted && hasSubKeys(first, keys)) {
			out = append(out, w)
		}
	}
	return out
}

func hasSubKeys(key string, keys map[string]bool) bool {
	for k := range keys {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// isKey accepts a full key, or a sub-key's own name as messages of a
// section write it (retry_on_failure: 'max_elapsed_time' ...).
func isKey(word string, keys map[string]bool) bool {
	if keys[word] {
		return true
	}
	for k := range keys {
		if strings.HasSuffix(k, "."+word) {
			return true
		}
	}
	return false
}

func TestConfigKeysByReflection(t *testing.T) {
	keys := configKeys()
	var top []string
	for k := range keys {
		if !strings.Contains(k, ".") {
			top = append(top, k)
		}
	}
	sort.Strings(top)
	for _, want := range []string{"api", "tenant_id", "client_id", "client_secret", "certificate", "managed_identity", "workload_identity",
		"authorization_code", "redirect_uri", "authority_host", "scope", "endpoint", "timeout", "tls", "auth", "initial_lookback", "delay",
		"settle", "max_window", "poll_interval", "page_size", "max_requests_per_5m", "retry_on_failure", "field_names", "body_format",
		"organization", "storage"} {
		assert.Contains(t, top, want)
	}
	assert.NotContains(t, keys, "certificate_path")
	assert.True(t, keys["workload_identity.federated_token_file"])
	assert.True(t, keys["auth.authenticator"])
}

// mapStore is an in-memory auth.Store.
type mapStore struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMapStore() *mapStore { return &mapStore{data: map[string][]byte{}} }

func (m *mapStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data[key], nil
}

func (m *mapStore) Set(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = value
	return nil
}

func (m *mapStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

// TestReadmeDocumentsEveryKey: the README's configuration table has a row
// for every key of the receiver's own (the HTTP client's are one row,
// linking confighttp, but for endpoint and timeout).
func TestReadmeDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([a-z0-9_.]+)`").FindAllStringSubmatch(cell, -1) {
			documented[m[1]] = true
		}
	}
	httpKeys := map[string]bool{}
	addKeys(reflect.TypeFor[confighttp.ClientConfig](), "", httpKeys)
	keys := configKeys()
	for key := range keys {
		if httpKeys[key] && key != "endpoint" && key != "timeout" {
			continue
		}
		if hasSubKeys(key, keys) && key != "managed_identity" && key != "workload_identity" {
			continue // a section: its keys have rows
		}
		assert.True(t, documented[key], "README.md's configuration table has no row for %q", key)
	}
}
