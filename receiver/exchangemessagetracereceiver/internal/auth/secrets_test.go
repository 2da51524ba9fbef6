package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// recordingSource remembers every token it handed out, to look for them in
// errors and logs afterwards.
type recordingSource struct {
	TokenSource
	seen *[]string
}

func (r recordingSource) Token(ctx context.Context) (string, error) {
	tok, err := r.TokenSource.Token(ctx)
	if tok != "" {
		*r.seen = append(*r.seen, tok)
	}
	return tok, err
}

// TestNoSecretsInErrorsOrLogs drives every flow through success and
// failure with a debug logger, then searches every error text and every log
// entry (message and fields) for the secret, the codes, the refresh tokens
// and the access tokens.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)
	s := newSim(t, nil)
	var errs []error
	var secrets []string
	var tokens []string
	secrets = append(secrets, secret, oldSecret)

	run := func(set Settings, steps func(ts TokenSource)) {
		set.Logger = logger
		src, err := NewTokenSource(set)
		if err != nil {
			errs = append(errs, err)
			return
		}
		steps(recordingSource{TokenSource: src, seen: &tokens})
	}
	try := func(ts TokenSource) {
		_, err := ts.Token(context.Background())
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Client credentials: good, invalid and expired secrets, outage.
	for _, sec := range []string{secret, "bad-secret-value-1234", oldSecret} {
		secrets = append(secrets, sec)
		set := s.settings()
		set.ClientSecret = sec
		run(set, try)
	}
	s.srv.SetOutage(true)
	set := s.settings()
	set.ClientSecret = secret
	run(set, func(ts TokenSource) { try(ts) })
	s.srv.SetOutage(false)

	// Authorization code: redeem, refresh, restart, reuse, expiry, failed save.
	store := newMemStore()
	code := s.srv.NewAuthCode()
	secrets = append(secrets, code)
	authSet := s.settings()
	authSet.Scope, authSet.ClientSecret, authSet.AuthorizationCode, authSet.Store = legacy, secret, code, store
	run(authSet, func(ts TokenSource) {
		ts.(recordingSource).TokenSource.(*authCodeSource).now = s.clock.Now
		try(ts)
		s.expireAccess()
		try(ts)
		store.setFailing(true)
		s.expireAccess()
		try(ts)
		store.setFailing(false)
		try(ts)
	})
	run(authSet, try) // restart with the same code
	spent := s.srv.NewAuthCode()
	secrets = append(secrets, spent)
	_, _ = s.client.PostForm(s.ts.URL+"/"+tenantID+"/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"client_id": {clientID}, "client_secret": {secret}, "code": {spent}, "redirect_uri": {"https://localhost"}, "resource": {"https://outlook.office365.com"}})
	reuse := authSet
	reuse.AuthorizationCode, reuse.Store = spent, newMemStore()
	run(reuse, try) // 54005
	expired := authSet
	expired.AuthorizationCode, expired.Store = s.srv.NewAuthCode(), newMemStore()
	secrets = append(secrets, expired.AuthorizationCode)
	s.clock.Advance(time.Hour)
	run(expired, func(ts TokenSource) {
		ts.(recordingSource).TokenSource.(*authCodeSource).now = s.clock.Now
		try(ts)
	}) // 70008
	run(authSet, func(ts TokenSource) { // 700082 after 91 idle days
		ts.(recordingSource).TokenSource.(*authCodeSource).now = s.clock.Now
		s.clock.Advance(91 * 24 * time.Hour)
		try(ts)
	})

	// Certificate with a wrong PKCS#12 password.
	_, _, pemPath := newCertFiles(t)
	if pfx := pkcs12File(t, pemPath, "pfx-password-secret"); pfx != "" {
		secrets = append(secrets, "pfx-password-secret")
		certSet := s.settings()
		certSet.CertificatePath, certSet.CertificatePassword = pfx, "pfx-password-wrong"
		secrets = append(secrets, "pfx-password-wrong")
		run(certSet, try)
	}

	// Refresh tokens the store held, read back from it.
	for _, line := range strings.Split(store.dump(), "\n") {
		if i := strings.Index(line, `"refresh_token":"`); i >= 0 {
			rt := line[i+len(`"refresh_token":"`):]
			secrets = append(secrets, rt[:strings.Index(rt, `"`)])
		}
	}
	secrets = append(secrets, tokens...)

	require.GreaterOrEqual(t, len(errs), 8, "the scenarios must fail somewhere")
	require.NotEmpty(t, tokens)
	require.NotZero(t, logs.Len())
	var texts []string
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			texts = append(texts, u.Error())
		}
	}
	for _, e := range logs.All() {
		texts = append(texts, e.Message)
		for k, v := range e.ContextMap() {
			texts = append(texts, k+"="+fmt.Sprint(v))
		}
	}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, text := range texts {
			assert.NotContains(t, text, sec, "a secret leaked")
		}
	}
}
