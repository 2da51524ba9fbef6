package fetch

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

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
	// Body is a pooled buffer's (see bodyPool): valid only during the
	// Classifier's call, so the error it returns holds copies. It is at
	// most the first maxErrorBodyBytes of the body.
	Body []byte
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
// requested, for resolving relative links. body is a pooled buffer (see
// bodyPool): the page's Row.Raw may alias it, and the loop keeps it until
// the page is released; a returned error must not alias it. One decoder
// serves one range query and may reuse the previous page's Rows array.
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
	Budget   Budget
	Retry    configretry.BackOffConfig
	Logger   *zap.Logger
	Observe  func(outcome string, throttleWait time.Duration)
	Classify Classifier
	// MaxBodyBytes caps a 2xx response body; 0 means DefaultMaxBodyBytes.
	// An error response is read up to maxErrorBodyBytes.
	MaxBodyBytes int64
	// BodyCap says where MaxBodyBytes comes from, for the message of a
	// body over it ("the cap for page_size 1000: ...").
	BodyCap string
	// Header is sent with every request, besides Accept.
	Header http.Header
	// ThrottledEnds makes a 429 end the request, once the budget is
	// paused, rather than wait out the pause and send it again: for work
	// that comes second (detail lookups), which must never hold a poll.
	ThrottledEnds bool
}

// Budget admits requests: the tenant's whole budget (*throttle.Budget) for
// the list calls, or a share of it (*throttle.Share) for detail lookups,
// which gives up at once rather than wait.
type Budget interface {
	// Wait blocks until a request may be sent (or fails: the share is
	// spent, the context ended) and returns how long it waited.
	Wait(ctx context.Context) (time.Duration, error)
	// Pause holds every request of the tenant for d (a 429's Retry-After).
	Pause(d time.Duration)
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
		cfg.MaxBodyBytes, cfg.BodyCap = DefaultMaxBodyBytes, documentBodyCap
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
// A page ends when onPage returns (see msgtrace.Page): its body buffer is
// released at once, and the next page's decoding reuses its Rows.
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
	// A field, not Logger.With: With copies the logger per request, and
	// most requests log nothing above debug.
	request := zap.String("request", ShortURL(u))
	res, waited, attempts, err := l.send(ctx, u, isLink, request, func(buf *bytes.Buffer, reqURL *url.URL) result {
		return l.decode(dec, buf, reqURL)
	})
	if err != nil {
		return nil, nil, err
	}
	l.observePage(request, res.page, waited, attempts)
	buf := res.buf
	return res.page, func() { putBuffer(buf) }, nil
}

// send requests u, within the budget and the retry policy, until an
// attempt succeeds or fails for good. It returns the successful attempt,
// how long that attempt waited for the budget and how many were sent.
func (l *Loop) send(ctx context.Context, u string, isLink bool, request zap.Field, decode decodeFunc) (res result, waited time.Duration, attempts int, err error) {
	retry := retries{cfg: &l.cfg, log: l.cfg.Logger, request: request}
	for {
		waited, err := l.cfg.Budget.Wait(ctx)
		if err != nil {
			return result{}, 0, retry.attempts, stopped(err, retry.last)
		}
		retry.attempts++
		res, err := l.attempt(ctx, u, isLink, decode)
		if err != nil {
			return result{}, 0, retry.attempts, stopped(err, retry.last)
		}
		if res.fail == nil {
			return res, waited, retry.attempts, nil
		}
		l.cfg.Observe(res.fail.Kind.String(), waited)
		wait, err := retry.after(res.fail, res.fromTransport)
		if err != nil {
			return result{}, 0, retry.attempts, err
		}
		if err := sleep(ctx, wait); err != nil {
			return result{}, 0, retry.attempts, stopped(err, retry.last)
		}
	}
}

// observePage counts a request that returned a page. Its malformed rows
// are only counted here, as the request's outcome: the receiver logs them
// and counts the rows, once per page.
func (l *Loop) observePage(request zap.Field, page *msgtrace.Page, waited time.Duration, attempts int) {
	outcome := OutcomeOK
	if page.Malformed > 0 {
		outcome = OutcomeMalformed
	}
	l.cfg.Observe(outcome, waited)
	l.cfg.Logger.Debug("Fetched page", request, zap.Int("rows", len(page.Rows)), zap.Int("attempts", attempts),
		zap.Bool("more", page.NextLink != ""))
}
