// Package rws reads message trace rows from the legacy Office 365 Reporting
// Web Service (GET .../reporting.svc/MessageTrace), which Microsoft is
// retiring but some tenants and clouds still depend on.
package rws

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

// DefaultBaseURL is the service's endpoint in the global cloud.
const DefaultBaseURL = "https://reports.office365.com/ecp/reportingwebservice/reporting.svc"

// Path is appended to the base URL.
const Path = "/MessageTrace"

// DefaultPageSize is the $top sent when none is configured.
const DefaultPageSize = 1000

// MaxRowsPerQuery is the most rows one range query may hold. The service's
// $skiptoken is a row offset and it fails with HTTP 500 at large offsets
// (reported at 999999), and the only remedy is a smaller range: callers
// must size legacy query windows so that each stays well under this many
// rows (the receiver splits a window whose query reaches it).
const MaxRowsPerQuery = 500000

// Config configures a Client; it has the shape of graph.Config.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; Path is appended.
	BaseURL string
	// Client adds the bearer token (resource https://outlook.office365.com).
	// Errors of its RoundTrip that wrap a *trace.APIError keep their Kind.
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

// Client implements trace.Source over the Reporting Web Service.
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
		cfg.Logger.Error("Invalid Reporting Web Service base URL; using the default",
			zap.String("base_url", cfg.BaseURL), zap.String("default", DefaultBaseURL))
		base, _ = url.Parse(DefaultBaseURL)
	}
	pageSize := cfg.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	c := &Client{endpoint: base.String() + Path, base: base, pageSize: pageSize, logger: cfg.Logger}
	c.loop = apiclient.NewLoop(apiclient.Config{
		Service:  "The Reporting Web Service",
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

// API reports that rows carry the legacy PascalCase field names.
func (*Client) API() trace.API { return trace.APIReporting }

// FetchPages implements trace.Source. Callers must keep r small enough to
// hold fewer than MaxRowsPerQuery rows.
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

// QueryURL is the first request of a range query (both bounds inclusive).
func (c *Client) QueryURL(r trace.Range) string {
	filter := "StartDate eq datetime'" + r.Start.UTC().Format(apiclient.ISOLayout) +
		"' and EndDate eq datetime'" + r.End.UTC().Format(apiclient.ISOLayout) + "'"
	return c.endpoint + "?$filter=" + apiclient.QueryEscape(filter) + "&$format=json&$top=" + strconv.Itoa(c.pageSize)
}
