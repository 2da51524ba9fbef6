// Package graph reads message trace rows from Microsoft Graph
// (GET /admin/exchange/tracing/messageTraces).
package graph

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/apiclient"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
)

// DefaultBaseURL is Graph's v1.0 endpoint in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Path is appended to the base URL.
const Path = "/admin/exchange/tracing/messageTraces"

// Page size bounds: Graph accepts $top 1..5000 and defaults to 1000.
const (
	DefaultPageSize = 1000
	MaxPageSize     = 5000
)

// Config configures a Client.
type Config struct {
	// BaseURL is e.g. https://graph.microsoft.com/v1.0 (or /beta, or the
	// simulator); Path is appended.
	BaseURL string
	// Client adds the bearer token. Errors of its RoundTrip that wrap a
	// *trace.APIError (the token source's) keep their Kind.
	Client   *http.Client
	Budget   *throttle.Budget
	PageSize int // $top
	Retry    configretry.BackOffConfig
	// ClientID is our app's id, named in permission messages.
	ClientID string
	Logger   *zap.Logger
	// Observe is called once per request with its outcome (an ErrorKind's
	// String(), "ok" or "malformed") and the time it waited for the budget.
	Observe func(outcome string, throttleWait time.Duration)
}

// Client implements trace.Source over Microsoft Graph.
type Client struct {
	endpoint string
	base     *url.URL
	pageSize int
	logger   *zap.Logger
	loop     *apiclient.Loop
}

var _ trace.Source = (*Client)(nil)

// New returns a client. A BaseURL that does not parse falls back to
// DefaultBaseURL (config validation is expected to have caught it).
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || !base.IsAbs() {
		cfg.Logger.Error("Invalid Graph base URL; using the default", zap.String("base_url", cfg.BaseURL), zap.String("default", DefaultBaseURL))
		base, _ = url.Parse(DefaultBaseURL)
	}
	pageSize := cfg.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	c := &Client{
		endpoint: base.String() + Path,
		base:     base,
		pageSize: pageSize,
		logger:   cfg.Logger,
	}
	c.loop = apiclient.NewLoop(apiclient.Config{
		Service:  "Microsoft Graph",
		Base:     base,
		Client:   cfg.Client,
		Budget:   cfg.Budget,
		Retry:    cfg.Retry,
		Logger:   cfg.Logger,
		Observe:  cfg.Observe,
		Classify: classifier(cfg.ClientID),
	})
	return c
}

// API reports that rows carry Graph's camelCase field names.
func (*Client) API() trace.API { return trace.APIGraph }

// FetchPages implements trace.Source. Rows get StartDate/EndDate from r and
// Index from their position in the query (0-based across pages; a resumed
// query counts from the resume point, as Graph's skiptoken does not tell
// the offset).
func (c *Client) FetchPages(ctx context.Context, r trace.Range, resumeLink string, onPage func(*trace.Page) error) error {
	first, isLink := c.QueryURL(r), false
	if resumeLink != "" {
		if apiclient.SameOrigin(resumeLink, c.base) {
			first, isLink = apiclient.SanitizeLink(resumeLink), true
		} else {
			c.logger.Warn("Ignoring a saved nextLink of another host; starting the range afresh",
				zap.String("link", apiclient.ShortURL(resumeLink)), zap.String("expected_host", c.base.Host))
		}
	}
	return c.loop.Run(ctx, first, isLink, newPageDecoder(r, c.pageSize), onPage)
}

// QueryURL is the first request of a range query: both bounds inclusive,
// UTC, with fractional seconds when the range has them.
func (c *Client) QueryURL(r trace.Range) string {
	filter := "receivedDateTime ge " + r.Start.UTC().Format(apiclient.ISOLayout) +
		" and receivedDateTime le " + r.End.UTC().Format(apiclient.ISOLayout)
	return c.endpoint + "?$filter=" + apiclient.QueryEscape(filter) + "&$top=" + strconv.Itoa(c.pageSize)
}
