package fetch

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// retries is the retry policy of one request (one URL of Loop.Fetch): it
// sees every failed attempt and says whether and when to send again.
type retries struct {
	cfg         *Config
	log         *zap.Logger
	request     zap.Field // the URL, on every line
	attempts    int
	authRetried bool
	// bo and firstFail start at the first transient failure.
	bo        *backoff.ExponentialBackOff
	firstFail time.Time
	// last is the latest failure, reported with the context's end.
	last *msgtrace.APIError
}

// after records a failed attempt and returns how long to wait before the
// next one, or the error that ends the request. fromTransport says the
// client's transport (the token source) produced fail, not the API.
func (r *retries) after(fail *msgtrace.APIError, fromTransport bool) (time.Duration, error) {
	r.last = fail
	switch {
	case fail.Kind == msgtrace.KindThrottled && !fromTransport:
		// A 429 is not a failure of the range: the whole tenant waits
		// for Retry-After, in full, and the same request goes again.
		r.cfg.Budget.Pause(fail.RetryAfter)
		r.log.Warn("Throttled by Microsoft; pausing every request of this tenant", r.request,
			zap.Duration("retry_after", fail.RetryAfter), zap.String("error", fail.Error()))
		if r.cfg.ThrottledEnds {
			return 0, fail
		}
		return 0, nil
	case fail.Kind == msgtrace.KindAuth && fail.StatusCode == http.StatusUnauthorized && !r.authRetried:
		// The token may have expired between issue and use: one retry.
		r.authRetried = true
		r.log.Warn("Access token refused; retrying once", r.request, zap.String("error", fail.Error()))
		return 0, nil
	case fail.Kind == msgtrace.KindTransient || (fail.Kind == msgtrace.KindThrottled && fromTransport):
		return r.backOff(fail)
	}
	return 0, fail
}

// backOff is the wait before retrying a transient failure (at least what
// its Retry-After asks), or the final error once retries are disabled or
// their time is spent.
func (r *retries) backOff(fail *msgtrace.APIError) (time.Duration, error) {
	if !r.cfg.Retry.Enabled {
		return 0, fail
	}
	if r.bo == nil {
		r.bo = newBackOff(r.cfg)
		r.firstFail = time.Now()
	}
	wait := r.bo.NextBackOff()
	if wait != backoff.Stop {
		wait = max(wait, fail.RetryAfter)
	}
	if wait == backoff.Stop || (r.cfg.Retry.MaxElapsedTime > 0 && time.Since(r.firstFail)+wait > r.cfg.Retry.MaxElapsedTime) {
		return 0, gaveUp(fail, r.attempts, time.Since(r.firstFail))
	}
	r.log.Warn("Request failed; retrying", r.request, zap.String("kind", fail.Kind.String()),
		zap.Int("status", fail.StatusCode), zap.Duration("backoff", wait), zap.Int("attempt", r.attempts),
		zap.String("error", fail.Error()))
	return wait, nil
}

func newBackOff(cfg *Config) *backoff.ExponentialBackOff {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = cfg.Retry.InitialInterval
	bo.RandomizationFactor = cfg.Retry.RandomizationFactor
	bo.Multiplier = cfg.Retry.Multiplier
	bo.MaxInterval = cfg.Retry.MaxInterval
	if bo.Multiplier < 1 {
		bo.Multiplier = backoff.DefaultMultiplier
	}
	bo.Reset()
	return bo
}

// sleep waits d, or returns the context's error if it ends first. A zero
// d (a throttled or refused request, which waits in the budget or not at
// all) returns at once. A tenant backing off gives its scheduling slot to
// another tenant while it waits.
func sleep(ctx context.Context, d time.Duration) error { return schedule.Sleep(ctx, d) }

// gaveUp marks the last transient failure as final.
func gaveUp(last *msgtrace.APIError, attempts int, elapsed time.Duration) *msgtrace.APIError {
	e := *last
	e.Message = fmt.Sprintf("%s (gave up after %d attempts in %s)", last.Message, attempts, elapsed.Round(time.Millisecond))
	return &e
}

// stopped reports a context end, keeping the failure that was being
// retried (if any) so that the caller can still see why.
func stopped(ctxErr error, last *msgtrace.APIError) error {
	if last == nil {
		return ctxErr
	}
	return fmt.Errorf("%w while retrying: %w", ctxErr, last)
}
