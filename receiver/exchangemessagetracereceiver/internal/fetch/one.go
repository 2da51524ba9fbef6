package fetch

import (
	"bytes"
	"context"
	"net/url"

	"go.uber.org/zap"
)

// DocumentDecoder decodes the 2xx body of a call that answers with one
// document rather than pages of rows (Graph's detail events). body is a
// pooled buffer (see bodyPool), valid only during the call: whatever the
// decoder keeps, it copies. It returns how many of the document's entries
// it had to skip as malformed; an error means the body is not the document
// (HTML, truncated) and is retried like any transient fault, described by
// the error when it is a *msgtrace.APIError and by diagnoseBody otherwise.
type DocumentDecoder func(body []byte) (malformed int, err error)

// FetchDocument requests u until decode accepts its body or a failure that
// retrying will not fix, within the same budget, retry policy, error
// classification and body pool as Fetch.
func (l *Loop) FetchDocument(ctx context.Context, u string, decode DocumentDecoder) error {
	request := zap.String("request", ShortURL(u))
	malformed := 0
	_, waited, attempts, err := l.send(ctx, u, false, request, func(buf *bytes.Buffer, _ *url.URL) result {
		defer putBuffer(buf)
		n, err := decode(buf.Bytes())
		if err != nil {
			return failed(l.notTheDocument(buf.Bytes(), err))
		}
		malformed = n
		return result{}
	})
	if err != nil {
		return err
	}
	outcome := OutcomeOK
	if malformed > 0 {
		outcome = OutcomeMalformed
	}
	l.cfg.Observe(outcome, waited)
	l.cfg.Logger.Debug("Fetched document", request, zap.Int("malformed", malformed), zap.Int("attempts", attempts))
	return nil
}

// DocumentClient requests single documents of one API (Graph's detail
// events): the RangeClient's configuration, base URL rules, error
// classification and headers, with a request loop whose 429 ends the
// request (see Config.ThrottledEnds) because its work comes second.
type DocumentClient struct {
	base   *url.URL
	logger *zap.Logger
	loop   *Loop
}

// NewDocumentClient returns a document client of api; cfg.PageSize is not
// used, api's Path, Query and NewDecoder neither.
func NewDocumentClient(api API, cfg ClientConfig) (*DocumentClient, error) {
	cfg, base, err := cfg.resolve(api)
	if err != nil {
		return nil, err
	}
	lc := cfg.loopConfig(api, base)
	lc.ThrottledEnds = true
	return &DocumentClient{base: base, logger: cfg.Logger, loop: NewLoop(lc)}, nil
}

// Base is the API's base URL, without a trailing slash.
func (c *DocumentClient) Base() string { return c.base.String() }

// Logger is the configured logger (never nil).
func (c *DocumentClient) Logger() *zap.Logger { return c.logger }

// Fetch requests u (see Loop.FetchDocument).
func (c *DocumentClient) Fetch(ctx context.Context, u string, decode DocumentDecoder) error {
	return c.loop.FetchDocument(ctx, u, decode)
}
