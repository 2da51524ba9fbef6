package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// Response is an HTTP error response, handed to the API's Classifier.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// IsLink is true when the request followed a nextLink (or a saved
	// resume link) rather than the query we built.
	IsLink bool
	URL    *url.URL
}

// Classifier turns a non-2xx response into a classified error. It decides
// the kind and the operator message; the loop decides what to do with it:
// KindThrottled pauses the budget and retries, KindTransient retries with
// backoff, a 401 KindAuth is retried once, anything else is returned.
type Classifier func(r *Response) *msgtrace.APIError

// PageDecoder decodes a 2xx body. An error means the body is not a page
// (HTML, truncated): it is retried. The decoder must keep its own state
// (row positions) unchanged when it fails. reqURL is the URL that was
// requested, for resolving relative links.
type PageDecoder interface {
	Decode(body []byte, reqURL *url.URL) (*msgtrace.Page, error)
}

// Config is what the request loop needs.
type Config struct {
	// Service names the API in messages ("Microsoft Graph").
	Service string
	// Base is the API's base URL: links to other hosts are never followed.
	Base     *url.URL
	Client   *http.Client
	Budget   *throttle.Budget
	Retry    configretry.BackOffConfig
	Logger   *zap.Logger
	Observe  func(outcome string, throttleWait time.Duration)
	Classify Classifier
	// MaxBodyBytes caps a response body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Header is sent with every request, besides Accept.
	Header http.Header
}

// Loop sends the requests of range queries: budget, retries, paging.
type Loop struct {
	cfg Config
}

// NewLoop fills the defaults of cfg and returns its loop.
func NewLoop(cfg Config) *Loop {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Budget == nil {
		cfg.Budget = throttle.New(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, time.Duration) {}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &Loop{cfg: cfg}
}

// Outcomes reported to Observe besides the error kinds.
const (
	OutcomeOK        = "ok"
	OutcomeMalformed = "malformed" // the page decoded but some rows were skipped
)

// Run fetches first and every page after it, calling onPage for each in
// order. firstIsLink says first is a saved nextLink rather than a query.
func (l *Loop) Run(ctx context.Context, first string, firstIsLink bool, dec PageDecoder, onPage func(*msgtrace.Page) error) error {
	u, isLink := first, firstIsLink
	for {
		page, release, err := l.Fetch(ctx, u, isLink, dec)
		if err != nil {
			return err
		}
		err = onPage(page)
		next := page.NextLink
		release()
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if !SameOrigin(next, l.cfg.Base) {
			return &msgtrace.APIError{
				Kind: msgtrace.KindBadRequest,
				Message: fmt.Sprintf("%s returned a nextLink to another host (%s, expected %s); it is not followed so that the access token is not sent there",
					l.cfg.Service, logsafe.Quote(ShortURL(next)), l.cfg.Base.Host),
			}
		}
		u, isLink = next, true
	}
}

// Fetch requests u until it yields a page or a failure that retrying will
// not fix. release returns the body buffer to its pool: call it once the
// page's rows (whose Raw aliases the buffer) are no longer used.
func (l *Loop) Fetch(ctx context.Context, u string, isLink bool, dec PageDecoder) (*msgtrace.Page, func(), error) {
	var (
		bo          *backoff.ExponentialBackOff
		firstFail   time.Time
		attempts    int
		authRetried bool
		last        *msgtrace.APIError
	)
	log := l.cfg.Logger.With(zap.String("request", ShortURL(u)))
	for {
		waited, err := l.cfg.Budget.Wait(ctx)
		if err != nil {
			return nil, nil, stopped(err, last)
		}
		attempts++
		page, buf, apiErr, fromTransport, err := l.attempt(ctx, u, isLink, dec)
		if err != nil {
			return nil, nil, stopped(err, last)
		}
		if apiErr == nil {
			outcome := OutcomeOK
			if page.Malformed > 0 {
				outcome = OutcomeMalformed
				log.Warn("Skipped malformed rows of a page",
					zap.Int("malformed", page.Malformed), zap.Errors("reasons", page.MalformedErrors))
			}
			l.cfg.Observe(outcome, waited)
			log.Debug("Fetched page", zap.Int("rows", len(page.Rows)), zap.Int("attempts", attempts),
				zap.Bool("more", page.NextLink != ""))
			return page, func() { putBuffer(buf) }, nil
		}
		l.cfg.Observe(apiErr.Kind.String(), waited)
		last = apiErr

		var wait time.Duration
		switch {
		case apiErr.Kind == msgtrace.KindThrottled && !fromTransport:
			// A 429 is not a failure of the range: the whole tenant waits
			// for Retry-After, in full, and the same request goes again.
			l.cfg.Budget.Pause(apiErr.RetryAfter)
			log.Warn("Throttled by Microsoft; pausing every request of this tenant",
				zap.Duration("retry_after", apiErr.RetryAfter), zap.String("error", apiErr.Error()))
			continue
		case apiErr.Kind == msgtrace.KindAuth && apiErr.StatusCode == http.StatusUnauthorized && !authRetried:
			// The token may have expired between issue and use: one retry.
			authRetried = true
			log.Warn("Access token refused; retrying once", zap.String("error", apiErr.Error()))
			continue
		case apiErr.Kind == msgtrace.KindTransient || (apiErr.Kind == msgtrace.KindThrottled && fromTransport):
			if !l.cfg.Retry.Enabled {
				return nil, nil, apiErr
			}
			if bo == nil {
				bo = l.newBackOff()
				firstFail = time.Now()
			}
			wait = bo.NextBackOff()
			if wait != backoff.Stop {
				wait = max(wait, apiErr.RetryAfter)
			}
			if wait == backoff.Stop || (l.cfg.Retry.MaxElapsedTime > 0 && time.Since(firstFail)+wait > l.cfg.Retry.MaxElapsedTime) {
				return nil, nil, gaveUp(apiErr, attempts, time.Since(firstFail))
			}
			log.Warn("Request failed; retrying", zap.String("kind", apiErr.Kind.String()),
				zap.Int("status", apiErr.StatusCode), zap.Duration("backoff", wait), zap.Int("attempt", attempts),
				zap.String("error", apiErr.Error()))
		default:
			return nil, nil, apiErr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, stopped(ctx.Err(), last)
		case <-t.C:
		}
	}
}

func (l *Loop) newBackOff() *backoff.ExponentialBackOff {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = l.cfg.Retry.InitialInterval
	bo.RandomizationFactor = l.cfg.Retry.RandomizationFactor
	bo.Multiplier = l.cfg.Retry.Multiplier
	bo.MaxInterval = l.cfg.Retry.MaxInterval
	if bo.Multiplier < 1 {
		bo.Multiplier = backoff.DefaultMultiplier
	}
	bo.Reset()
	return bo
}

// attempt sends one request. It returns either a page and its buffer, a
// classified failure (fromTransport when the client's transport, e.g. the
// token source, produced it), or err when the context ended.
func (l *Loop) attempt(ctx context.Context, u string, isLink bool, dec PageDecoder) (
	page *msgtrace.Page, buf *bytes.Buffer, apiErr *msgtrace.APIError, fromTransport bool, err error,
) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, &msgtrace.APIError{Kind: msgtrace.KindBadRequest,
			Message: fmt.Sprintf("cannot build a request for %s", logsafe.Quote(ShortURL(u))), Err: err}, false, nil
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range l.cfg.Header {
		req.Header[k] = slices.Clone(v) // a transport may edit the request's
	}
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, nil, false, ctx.Err()
		}
		var tokenErr *msgtrace.APIError
		if errors.As(err, &tokenErr) {
			return nil, nil, tokenErr, true, nil
		}
		return nil, nil, l.transportError(req.URL, err), false, nil
	}
	defer resp.Body.Close()
	buf, err = readBody(resp.Body, resp.ContentLength, l.cfg.MaxBodyBytes)
	if err != nil {
		n := buf.Len()
		putBuffer(buf)
		if ctx.Err() != nil {
			return nil, nil, nil, false, ctx.Err()
		}
		if errors.Is(err, errBodyTooLarge) {
			return nil, nil, &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: resp.StatusCode,
				Message: fmt.Sprintf("%s sent a response larger than %d MiB; lower the page size", l.cfg.Service, l.cfg.MaxBodyBytes>>20)}, false, nil
		}
		return nil, nil, &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("connection to %s lost while reading the response (%d bytes received)", l.cfg.Service, n),
			Err:     unwrapURLError(err)}, false, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: buf.Bytes(), IsLink: isLink, URL: req.URL}
		if r.StatusCode == http.StatusTooManyRequests {
			apiErr = throttled(l.cfg.Service, r)
		} else {
			apiErr = l.cfg.Classify(r)
		}
		putBuffer(buf)
		return nil, nil, apiErr, false, nil
	}
	page, err = dec.Decode(buf.Bytes(), req.URL)
	if err != nil {
		if !errors.As(err, &apiErr) {
			apiErr = DiagnoseBody(l.cfg.Service, buf.Bytes(), err)
		}
		putBuffer(buf)
		return nil, nil, apiErr, false, nil
	}
	return page, buf, nil, false, nil
}

func (l *Loop) transportError(u *url.URL, err error) *msgtrace.APIError {
	inner := unwrapURLError(err)
	what := "request to %s (%s) failed"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		what = "request to %s (%s) timed out"
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: fmt.Sprintf(what, l.cfg.Service, u.Host), Err: inner}
}

// unwrapURLError drops *url.Error's "Get <url>:" prefix: the URL is
// already in the message and a skiptoken can be kilobytes long.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

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
