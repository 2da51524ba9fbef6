package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// TestAuthCodeCallerLeavesASlowRefreshThatStillSaves: a caller whose
// context ends while the refresh is at the token endpoint (a shutdown
// with a deadline) gets its error at once, not when the exchange ends;
// the exchange finishes on its own and saves the rotated refresh token,
// which a restart then uses (no stale refresh token presented).
func TestAuthCodeCallerLeavesASlowRefreshThatStillSaves(t *testing.T) {
	var hold atomic.Bool
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	s := newWrappedSim(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hold.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if form, _ := url.ParseQuery(string(body)); form.Get("grant_type") == "refresh_token" {
					arrived <- struct{}{}
					<-release
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	store := newMemStore()
	src := s.newAuthCode(t, s.srv.NewAuthCode(), store)
	exchanges := &Exchanges{}
	src.s.Exchanges = exchanges
	_, err := src.Token(context.Background())
	require.NoError(t, err)
	before := savedRefreshToken(t, store, src.key)

	s.expireAccess()
	hold.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		tok string
		err error
	}
	got := make(chan result, 1)
	go func() {
		tok, err := src.Token(ctx)
		got <- result{tok, err}
	}()
	<-arrived // the refresh is at the token endpoint, held there
	cancel()
	select {
	case r := <-got:
		assert.Empty(t, r.tok)
		ae := apiError(t, r.err)
		assert.Equal(t, msgtrace.KindTransient, ae.Kind)
		assert.ErrorIs(t, r.err, context.Canceled)
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Token waited for the token exchange past its caller's context")
	}
	assert.Equal(t, before, savedRefreshToken(t, store, src.key), "nothing rotated yet: the endpoint has not answered")

	close(release) // the endpoint answers now: the exchange goes on without its caller
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	require.NoError(t, exchanges.Wait(wctx), "the abandoned exchange finishes")
	assert.Equal(t, 1, s.srv.Stats().RefreshTokensRotated)
	assert.NotEqual(t, before, savedRefreshToken(t, store, src.key), "the rotated refresh token is saved")

	restarted := s.newAuthCode(t, src.s.AuthorizationCode, store)
	s.expireAccess()
	tok, err := restarted.Token(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
	assert.Equal(t, 0, s.srv.Stats().StaleRefreshReuse, "the newest refresh token was saved")
}

func savedRefreshToken(t *testing.T, store *memStore, key string) string {
	t.Helper()
	raw, err := store.Get(context.Background(), key)
	require.NoError(t, err)
	var st authCodeState
	require.NoError(t, json.Unmarshal(raw, &st))
	require.NotEmpty(t, st.RefreshToken)
	return st.RefreshToken
}

func TestExchangesWait(t *testing.T) {
	var nilExchanges *Exchanges
	nilExchanges.start()
	nilExchanges.done()
	require.NoError(t, nilExchanges.Wait(context.Background()))

	e := &Exchanges{}
	require.NoError(t, e.Wait(context.Background()), "none running")
	e.start()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, e.Wait(ctx), context.Canceled, "one running: Wait ends with its context")
	e.done()
	require.NoError(t, e.Wait(context.Background()))
	e.start() // and again after it was idle
	go e.done()
	require.NoError(t, e.Wait(context.Background()))
}
