package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// renewBefore renews the access token this long before it expires, so a
// request never leaves with a token that dies in flight.
const renewBefore = 5 * time.Minute

// authCodeState is what survives a restart. The code itself is never
// stored: only its hash, to recognize it as spent.
type authCodeState struct {
	CodeSHA256   string    `json:"code_sha256"`
	RefreshToken string    `json:"refresh_token"`
	Resource     string    `json:"resource"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// authCodeSource runs the delegated flow on the v1 endpoint (resource=),
// the one the legacy report's authorize URL issues codes for: redeem the
// configured code once, then refresh. Microsoft rotates the refresh token on
// every use, so each new one is written to the Store before the access token
// it came with is handed out: a crash at any point leaves the newest refresh
// token on disk.
type authCodeSource struct {
	s       Settings
	key     string
	oldKey  string // where releases before checkpoint.AuthCodeKey kept the state
	cred    clientCredential
	now     func() time.Time
	logger  *zap.Logger
	codeSum string

	// exchanging is a one-slot lock over the token exchanges and the
	// fields they use (loaded, state, dirty): the goroutine that runs an
	// exchange holds it until the exchange and its save are done, whether
	// or not the caller that started it still waits.
	exchanging chan struct{}
	loaded     bool
	state      *authCodeState // nil until a code was redeemed
	dirty      bool           // state holds a refresh token the Store does not have yet

	mu      sync.Mutex // guards the access tokens below; never held across I/O
	access  string
	expires time.Time
	// pending is the access token that came with a refresh token not saved
	// yet; it is handed out once the save succeeds.
	pending        string
	pendingExpires time.Time
}

func newAuthCodeSource(s Settings) (TokenSource, error) {
	if s.Store == nil || s.KeyPrefix == "" {
		return nil, errors.New("auth: authorization_code needs storage (and the checkpoint's key prefix) to keep its refresh token across restarts")
	}
	cred, err := newClientCredential(s)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(s.AuthorizationCode))
	// One key per tenant, app and resource: two receivers sharing a
	// storage extension never overwrite each other's refresh token.
	keySum := sha256.Sum256([]byte(s.AuthorityHost + "|" + s.TenantID + "|" + s.ClientID + "|" + s.resource()))
	id := hex.EncodeToString(keySum[:8])
	return &authCodeSource{
		s: s, cred: cred, now: time.Now, logger: s.Logger,
		key:        checkpoint.AuthCodeKey(s.KeyPrefix, id),
		oldKey:     "auth_code_state_" + id,
		codeSum:    hex.EncodeToString(sum[:]),
		exchanging: make(chan struct{}, 1),
	}, nil
}

// exchangeTimeout bounds a token exchange and the save that follows it.
// The exchange runs detached from the caller's context: once Microsoft has
// rotated the refresh token, abandoning the answer (a shutdown, a poll
// timeout) would lose the only valid refresh token. The caller does not
// wait for it past its own context, though (see Token).
const exchangeTimeout = 30 * time.Second

// Token returns the kept access token, or runs an exchange for a new one.
// The exchange runs in a goroutine of its own that holds the exchange
// lock until the exchange and the save of a rotated refresh token are
// done: a caller whose context ends (a shutdown with a deadline) returns
// at once, and the exchange still finishes and saves what it got,
// tracked by Settings.Exchanges so that the storage is not closed under
// it.
func (a *authCodeSource) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", canceled(err)
	}
	if tok, ok := a.kept(); ok {
		return tok, nil
	}
	select {
	case a.exchanging <- struct{}{}:
	case <-ctx.Done():
		return "", canceled(ctx.Err())
	}
	if err := ctx.Err(); err != nil {
		<-a.exchanging
		return "", canceled(err)
	}
	type result struct {
		token string
		err   error
	}
	done := make(chan result, 1)
	a.s.Exchanges.start()
	go func() {
		defer a.s.Exchanges.done()
		defer func() { <-a.exchanging }()
		xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exchangeTimeout)
		defer cancel()
		tok, err := a.exchange(xctx)
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		return r.token, r.err
	case <-ctx.Done():
		return "", &msgtrace.APIError{Kind: msgtrace.KindTransient,
			Message: "token request canceled; the token exchange under way finishes, and saves its refresh token, on its own", Err: ctx.Err()}
	}
}

func canceled(err error) *msgtrace.APIError {
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "token request canceled", Err: err}
}

// kept is the access token when it is good for renewBefore more.
func (a *authCodeSource) kept() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access != "" && a.now().Add(renewBefore).Before(a.expires) {
		return a.access, true
	}
	return "", false
}

// exchange gets a new access token; the caller holds the exchange lock.
func (a *authCodeSource) exchange(ctx context.Context) (string, error) {
	if tok, ok := a.kept(); ok { // another exchange got one meanwhile
		return tok, nil
	}
	if err := a.load(ctx); err != nil {
		return "", err
	}
	if a.dirty {
		// A refresh succeeded but its token was not saved: save it before
		// anything else, or a restart would present a replaced token.
		if err := a.save(ctx); err != nil {
			return "", err
		}
		a.mu.Lock()
		if a.pending != "" && a.now().Add(renewBefore).Before(a.pendingExpires) {
			a.access, a.expires, a.pending = a.pending, a.pendingExpires, ""
			tok := a.access
			a.mu.Unlock()
			return tok, nil
		}
		a.mu.Unlock()
	}
	if a.s.guard != nil {
		a.s.guard.reset()
	}
	var reply tokenReply
	var err error
	if a.state == nil || (a.state.CodeSHA256 != a.codeSum && a.s.AuthorizationCode != "") {
		reply, err = a.redeem(ctx)
	} else {
		reply, err = a.refresh(ctx)
	}
	if err != nil {
		return "", err
	}
	saveErr := a.save(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if saveErr != nil {
		a.pending, a.pendingExpires = reply.AccessToken, reply.expiry(a.now())
		return "", saveErr
	}
	a.access, a.expires, a.pending = reply.AccessToken, reply.expiry(a.now()), ""
	return a.access, nil
}

// Invalidate drops the kept access token if it is the refused one (the
// API answered 401), so that the next Token redeems the refresh token for
// a new one instead of sending the refused one until it expires.
func (a *authCodeSource) Invalidate(refused string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access == refused {
		a.access, a.expires = "", time.Time{}
	}
	if a.pending == refused {
		a.pending = ""
	}
}

// load reads the persisted state once.
func (a *authCodeSource) load(ctx context.Context) error {
	if a.loaded {
		return nil
	}
	raw, err := a.s.Store.Get(ctx, a.key)
	if err == nil && raw == nil {
		raw, err = a.migrate(ctx)
	}
	if err != nil {
		return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "cannot read the saved refresh token from storage; retrying before the next token is used", Err: err}
	}
	if raw != nil {
		var st authCodeState
		if err := json.Unmarshal(raw, &st); err != nil {
			a.logger.Warn("Saved authorization code state is unreadable; redeeming the configured authorization code again", zap.Error(err))
		} else {
			a.state = &st
		}
	}
	a.loaded = true
	if a.state != nil && a.state.CodeSHA256 == a.codeSum {
		a.logger.Debug("Resuming from the saved refresh token; the configured authorization code was already redeemed")
	}
	return nil
}

// migrate moves the state from the key of releases before
// checkpoint.AuthCodeKey to the current one, and returns it. The new key is
// written before the old one is deleted: a failure at any step leaves the
// refresh token under one key at least, and the next start carries on.
func (a *authCodeSource) migrate(ctx context.Context) ([]byte, error) {
	raw, err := a.s.Store.Get(ctx, a.oldKey)
	if err != nil || raw == nil {
		return nil, err
	}
	if err := a.s.Store.Set(ctx, a.key, raw); err != nil {
		return nil, fmt.Errorf("moving it to its new storage key (the old one is kept): %w", err)
	}
	if err := a.s.Store.Delete(ctx, a.oldKey); err != nil {
		a.logger.Warn("Moved the saved refresh token to its new storage key but cannot delete the old one; it is no longer used", zap.Error(err))
	}
	a.logger.Info("Moved the saved refresh token under the checkpoint's storage prefix")
	return raw, nil
}

func (a *authCodeSource) redeem(ctx context.Context) (tokenReply, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {a.s.AuthorizationCode},
		"redirect_uri": {a.s.RedirectURI}, "resource": {a.s.resource()}}
	reply, err := a.post(ctx, form)
	if err != nil {
		return reply, err
	}
	if reply.RefreshToken == "" {
		return reply, &msgtrace.APIError{Kind: msgtrace.KindAuth, Message: "the token endpoint redeemed the authorization code but returned no refresh token: the collector could not keep access past the first hour"}
	}
	a.state = &authCodeState{CodeSHA256: a.codeSum, RefreshToken: reply.RefreshToken, Resource: a.s.resource(), UpdatedAt: a.now()}
	a.dirty = true
	a.logger.Info("Redeemed the authorization code; from now on the refresh token kept in storage is used")
	return reply, nil
}

func (a *authCodeSource) refresh(ctx context.Context) (tokenReply, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.state.RefreshToken}, "resource": {a.s.resource()}}
	reply, err := a.post(ctx, form)
	if err != nil {
		return reply, err
	}
	if reply.RefreshToken != "" && reply.RefreshToken != a.state.RefreshToken {
		a.state.RefreshToken = reply.RefreshToken
		a.dirty = true
	}
	a.state.UpdatedAt = a.now()
	a.logger.Debug("Refreshed the access token", zap.Bool("refresh_token_rotated", a.dirty))
	return reply, nil
}

func (a *authCodeSource) post(ctx context.Context, form url.Values) (tokenReply, error) {
	form.Set("client_id", a.s.ClientID)
	redact, err := a.cred.apply(form, a.s.AuthorityHost+"/"+a.s.TenantID+"/oauth2/token")
	if err != nil {
		return tokenReply{}, err
	}
	redact = append(redact, a.s.AuthorizationCode)
	if a.state != nil {
		redact = append(redact, a.state.RefreshToken)
	}
	return postToken(ctx, a.s, form, redact)
}

// save persists the state; until it succeeds no access token is handed out.
func (a *authCodeSource) save(ctx context.Context) error {
	if !a.dirty {
		return nil
	}
	raw, err := json.Marshal(a.state)
	if err != nil {
		return fmt.Errorf("auth: encode state: %w", err)
	}
	if err := a.s.Store.Set(ctx, a.key, raw); err != nil {
		a.logger.Warn("Cannot save the new refresh token; holding it in memory and retrying before the next token is used", zap.Error(err))
		return &msgtrace.APIError{Kind: msgtrace.KindTransient,
			Message: "cannot save the new refresh token to storage: the token is kept in memory and saved on the next attempt", Err: err}
	}
	a.dirty = false
	return nil
}
