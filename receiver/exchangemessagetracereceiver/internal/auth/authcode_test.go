package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// newAuthCode builds an auth-code source on the simulator's clock.
func (s *sim) newAuthCode(t *testing.T, code string, store Store) *authCodeSource {
	t.Helper()
	set := s.settings()
	set.Scope, set.ClientSecret, set.AuthorizationCode, set.Store = legacy, secret, code, store
	src, err := NewTokenSource(set)
	require.NoError(t, err)
	a := src.(*authCodeSource)
	a.now = s.clock.Now
	return a
}

// expireAccess moves past the access token's lifetime, forcing a refresh.
func (s *sim) expireAccess() { s.clock.Advance(time.Hour) }

func TestAuthCodeRedeemsOnceThenRefreshes(t *testing.T) {
	s := newSim(t, nil)
	store := newMemStore()
	code := s.srv.NewAuthCode()
	src := s.newAuthCode(t, code, store)
	rs := s.resourceServer(t, "https://outlook.office365.com")

	for range 3 { // cached: one redemption
		resp, err := getThrough(t, src, rs)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	st := s.srv.Stats()
	assert.Equal(t, 1, st.CodesRedeemed)
	assert.Equal(t, 0, st.TokensIssued["refresh_token"])
	saved := store.dump()
	assert.NotContains(t, saved, code, "the code itself is never stored")

	for i := 1; i <= 3; i++ {
		s.expireAccess()
		_, err := src.Token(context.Background())
		require.NoError(t, err)
		assert.NotEqual(t, saved, store.dump(), "each rotated refresh token is saved")
		saved = store.dump()
		assert.Equal(t, i, s.srv.Stats().RefreshTokensRotated)
	}
	st = s.srv.Stats()
	assert.Equal(t, 1, st.CodesRedeemed)
	assert.Equal(t, 0, st.CodesReused)
	assert.Equal(t, 0, st.StaleRefreshReuse)
}

func TestAuthCodeRestart(t *testing.T) {
	tests := []struct {
		name        string
		newCode     bool // the operator put a fresh code in the config before restarting
		wantRedeems int
	}{
		{name: "same code after restart uses the saved refresh token", wantRedeems: 1},
		{name: "new code after restart is redeemed", newCode: true, wantRedeems: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, nil)
			store := newMemStore()
			code := s.srv.NewAuthCode()
			first := s.newAuthCode(t, code, store)
			_, err := first.Token(context.Background())
			require.NoError(t, err)
			s.expireAccess()
			_, err = first.Token(context.Background()) // rotate, then "crash" right after
			require.NoError(t, err)

			if tt.newCode {
				code = s.srv.NewAuthCode()
			}
			second := s.newAuthCode(t, code, store)
			tok, err := second.Token(context.Background())
			require.NoError(t, err)
			assert.NotEmpty(t, tok)
			st := s.srv.Stats()
			assert.Equal(t, tt.wantRedeems, st.CodesRedeemed)
			assert.Equal(t, 0, st.CodesReused, "a spent code is never presented again")
			assert.Equal(t, 0, st.StaleRefreshReuse, "the newest refresh token was on disk")

			third := s.newAuthCode(t, code, store) // and once more
			s.expireAccess()
			_, err = third.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 0, s.srv.Stats().StaleRefreshReuse)
		})
	}
}

func TestAuthCodeSavesBeforeUse(t *testing.T) {
	s := newSim(t, nil)
	store := newMemStore()
	src := s.newAuthCode(t, s.srv.NewAuthCode(), store)
	_, err := src.Token(context.Background())
	require.NoError(t, err)

	s.expireAccess()
	store.setFailing(true)
	_, err = src.Token(context.Background())
	ae := apiError(t, err)
	assert.Equal(t, msgtrace.KindTransient, ae.Kind)
	assert.Contains(t, ae.Message, "cannot save the new refresh token")
	rotated := s.srv.Stats().RefreshTokensRotated

	store.setFailing(false)
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
	assert.Equal(t, rotated, s.srv.Stats().RefreshTokensRotated, "the held token is saved and its access token used, no extra refresh")

	// A restart now finds the newest refresh token.
	restarted := s.newAuthCode(t, src.s.AuthorizationCode, store)
	s.expireAccess()
	_, err = restarted.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, s.srv.Stats().StaleRefreshReuse)
}

func TestAuthCodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *sim, store *memStore) string // returns the configured code
		kind    msgtrace.ErrorKind
		code    string
		inMsg   []string
	}{
		{name: "code expired", prepare: func(_ *testing.T, s *sim, _ *memStore) string {
			c := s.srv.NewAuthCode()
			s.clock.Advance(11 * time.Minute)
			return c
		}, kind: msgtrace.KindAuth, code: "AADSTS70008", inMsg: []string{"expired", "/oauth2/authorize?", "client_id=" + clientID, "authorization_code"}},
		{name: "code already redeemed elsewhere", prepare: func(_ *testing.T, s *sim, _ *memStore) string {
			c := s.srv.NewAuthCode()
			resp, err := s.client.PostForm(s.ts.URL+"/"+tenantID+"/oauth2/token", url.Values{"grant_type": {"authorization_code"},
				"client_id": {clientID}, "client_secret": {secret}, "code": {c}, "redirect_uri": {"https://localhost"}, "resource": {"https://outlook.office365.com"}})
			if err == nil {
				resp.Body.Close()
			}
			return c
		}, kind: msgtrace.KindAuth, code: "AADSTS54005", inMsg: []string{"already redeemed", "generate a new"}},
		{name: "refresh token idle for 91 days", prepare: func(t *testing.T, s *sim, store *memStore) string {
			c := s.srv.NewAuthCode()
			first := s.newAuthCode(t, c, store)
			_, _ = first.Token(context.Background())
			s.clock.Advance(91 * 24 * time.Hour)
			return c
		}, kind: msgtrace.KindAuth, code: "AADSTS700082", inMsg: []string{"refresh token expired", "client_id=" + clientID}},
		{name: "wrong secret", prepare: func(_ *testing.T, s *sim, _ *memStore) string { return s.srv.NewAuthCode() },
			kind: msgtrace.KindAuth, code: "AADSTS7000215", inMsg: []string{"Value, not its Secret ID"}},
		{name: "outage", prepare: func(_ *testing.T, s *sim, _ *memStore) string {
			s.srv.SetOutage(true)
			return s.srv.NewAuthCode()
		}, kind: msgtrace.KindTransient},
		{name: "consent missing", prepare: func(_ *testing.T, s *sim, _ *memStore) string {
			s.srv.SetConsentMissing(true)
			return s.srv.NewAuthCode()
		}, kind: msgtrace.KindPermission, code: "AADSTS65001", inMsg: []string{"admin consent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, nil)
			store := newMemStore()
			code := tt.prepare(t, s, store)
			src := s.newAuthCode(t, code, store)
			if tt.name == "wrong secret" {
				src.cred.secret = "not-the-secret-value"
			}
			_, err := src.Token(context.Background())
			ae := apiError(t, err)
			assert.Equal(t, tt.kind, ae.Kind, ae.Error())
			assert.Equal(t, tt.code, ae.Code)
			for _, m := range tt.inMsg {
				assert.Contains(t, ae.Message, m)
			}
			assert.NotContains(t, ae.Error(), code)
		})
	}
}

func TestAuthCodeWithCertificate(t *testing.T) {
	cert, _, pemPath := newCertFiles(t)
	s2 := newSim(t, func(c *identity.Config) { c.Certificate = cert })
	set := s2.settings()
	set.Scope, set.CertificatePath, set.AuthorizationCode, set.Store = legacy, pemPath, s2.srv.NewAuthCode(), newMemStore()
	src, err := NewTokenSource(set)
	require.NoError(t, err)
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.True(t, strings.Count(tok, ".") == 2)
	assert.Equal(t, 1, s2.srv.Stats().CodesRedeemed)
}

func TestAuthCodeConcurrentCallersRefreshOnce(t *testing.T) {
	s := newSim(t, nil)
	store := newMemStore()
	src := s.newAuthCode(t, s.srv.NewAuthCode(), store)
	_, err := src.Token(context.Background())
	require.NoError(t, err)
	s.expireAccess()

	var wg sync.WaitGroup
	tokens := make([]string, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], _ = src.Token(context.Background())
		}()
	}
	wg.Wait()
	for _, tok := range tokens {
		assert.Equal(t, tokens[0], tok)
		assert.NotEmpty(t, tok)
	}
	st := s.srv.Stats()
	assert.Equal(t, 1, st.RefreshTokensRotated, "one refresh serves every caller")
	assert.Equal(t, 0, st.StaleRefreshReuse)
}

func TestAuthCodeCanceledContext(t *testing.T) {
	s := newSim(t, nil)
	src := s.newAuthCode(t, s.srv.NewAuthCode(), newMemStore())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := src.Token(ctx)
	ae := apiError(t, err)
	assert.Equal(t, msgtrace.KindTransient, ae.Kind)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, s.srv.Stats().CodesRedeemed, "a canceled call does not spend the code")
}

// Releases before the checkpoint prefix kept the state under a key of its
// own at the storage root: the first start moves it, and the refresh token
// survives whatever step fails.
func TestAuthCodeMovesItsStateUnderTheCheckpointPrefix(t *testing.T) {
	tests := []struct {
		name       string
		failSet    bool // writing the new key fails on the first attempt
		failDelete bool
		wantOldKey bool
	}{
		{name: "moved"},
		{name: "the new key cannot be written: the old one is kept, the next attempt moves it", failSet: true},
		{name: "the old key cannot be deleted: the new one is used", failDelete: true, wantOldKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, nil)
			store := newMemStore()
			code := s.srv.NewAuthCode()
			first := s.newAuthCode(t, code, store)
			_, err := first.Token(context.Background())
			require.NoError(t, err)
			// Put the state where the previous release wrote it.
			sum := sha256.Sum256([]byte(s.ts.URL + "|" + tenantID + "|" + clientID + "|https://outlook.office365.com"))
			oldKey := "auth_code_state_" + hex.EncodeToString(sum[:8])
			newKey := keyPrefix + "/auth_code/" + hex.EncodeToString(sum[:8])
			saved := store.data[newKey]
			require.NotNil(t, saved)
			store.data = map[string][]byte{oldKey: saved}

			restarted := s.newAuthCode(t, code, store)
			s.expireAccess()
			if tt.failSet {
				store.setFailing(true)
				_, err := restarted.Token(context.Background())
				assert.Equal(t, msgtrace.KindTransient, apiError(t, err).Kind)
				assert.Equal(t, saved, store.data[oldKey], "the old key is kept until the new one is written")
				store.setFailing(false)
			}
			store.failDelete = tt.failDelete
			tok, err := restarted.Token(context.Background())
			require.NoError(t, err)
			assert.NotEmpty(t, tok)
			st := s.srv.Stats()
			assert.Equal(t, 1, st.CodesRedeemed, "the saved refresh token was found: no second redemption")
			assert.Equal(t, 0, st.CodesReused)
			assert.Equal(t, 0, st.StaleRefreshReuse)
			assert.NotNil(t, store.data[newKey])
			assert.NotEqual(t, saved, store.data[newKey], "the rotated refresh token is saved under the new key")
			_, old := store.data[oldKey]
			assert.Equal(t, tt.wantOldKey, old)

			// And the start after that reads the new key.
			again := s.newAuthCode(t, code, store)
			s.expireAccess()
			_, err = again.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 0, s.srv.Stats().StaleRefreshReuse)
		})
	}
}
