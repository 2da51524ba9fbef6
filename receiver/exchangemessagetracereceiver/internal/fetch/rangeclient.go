package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// ClientConfig configures a client of either API (graph.New, reporting.New).
type ClientConfig struct {
	// BaseURL is e.g. https://graph.microsoft.com/v1.0 (or /beta, a national
	// cloud, the simulator); the API's path is appended.
	BaseURL string
	// Client adds the bearer token. Errors of its RoundTrip that wrap a
	// *msgtrace.APIError (the token source's) keep their Kind.
	Client   *http.Client
	Budget   Budget
	PageSize int // $top
	Retry    configretry.BackOffConfig
	// ClientID is our app's id, named in permission messages.
	ClientID string
	Logger   *zap.Logger
	// Observe is called once per request with its outcome (an ErrorKind's
	// String(), "ok" or "malformed") and the time it waited for the budget.
	Observe func(outcome string, throttleWait time.Duration)
}

// API is what differs between Microsoft Graph and the legacy report: where
// they live, how a range is asked for, how pages decode, what errors mean.
type API struct {
	Kind            msgtrace.API
	Service         string // names the API in messages ("Microsoft Graph")
	DefaultBaseURL  string
	Path            string
	DefaultPageSize int
	MaxPageSize     int
	// Query is the query string of a range, without $top.
	Query      func(r msgtrace.Range) string
	NewDecoder func(r msgtrace.Range, pageSize int) PageDecoder
	Classify   func(clientID string) Classifier
	// Header is sent with every request of the API.
	Header http.Header
}

// RangeClient implements msgtrace.Source for one API.
type RangeClient struct {
	api      API
	endpoint string
	base     *url.URL
	pageSize int
	logger   *zap.Logger
	loop     *Loop
}

var _ msgtrace.Source = (*RangeClient)(nil)

// NewRangeClient returns a client of api; an empty BaseURL is the API's
// default (see resolve).
func NewRangeClient(api API, cfg ClientConfig) (*RangeClient, error) {
	cfg, base, err := cfg.resolve(api)
	if err != nil {
		return nil, err
	}
	pageSize := cfg.PageSize
	if pageSize <= 0 {
		pageSize = api.DefaultPageSize
	}
	if api.MaxPageSize > 0 {
		pageSize = min(pageSize, api.MaxPageSize)
	}
	lc := cfg.loopConfig(api, base)
	lc.MaxBodyBytes = MaxPageBodyBytes(pageSize)
	lc.BodyCap = fmt.Sprintf("the cap for page_size %d, and never under %d rows (a service may ignore $top): %d KiB a row, about eight times what a row takes",
		pageSize, minCapRows, MaxRowBytes>>10)
	return &RangeClient{
		api:      api,
		endpoint: base.String() + api.Path,
		base:     base,
		pageSize: pageSize,
		logger:   cfg.Logger,
		loop:     NewLoop(lc),
	}, nil
}

// resolve fills cfg's defaults and parses its BaseURL (empty: the API's
// default). A BaseURL that is not an absolute URL is an error, never a
// silent fall back to the global cloud: a national-cloud user with a typo
// would otherwise send their token to another cloud.
func (cfg ClientConfig) resolve(api API) (ClientConfig, *url.URL, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = api.DefaultBaseURL
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || !base.IsAbs() || base.Host == "" {
		return cfg, nil, fmt.Errorf("endpoint: %q is not an absolute URL of %s: use e.g. %s", cfg.BaseURL, api.Service, api.DefaultBaseURL)
	}
	return cfg, base, nil
}

// loopConfig is the request loop of api's requests to base.
func (cfg ClientConfig) loopConfig(api API, base *url.URL) Config {
	return Config{
		Service:  api.Service,
		Base:     base,
		Client:   cfg.Client,
		Budget:   cfg.Budget,
		Retry:    cfg.Retry,
		Logger:   cfg.Logger,
		Observe:  cfg.Observe,
		Classify: api.Classify(cfg.ClientID),
		Header:   api.Header,
	}
}

// API tells which field names the rows carry.
func (c *RangeClient) API() msgtrace.API { return c.api.Kind }

// FetchPages implements msgtrace.Source. A saved resumeLink is followed only
// when it points at the configured host: the bearer token never goes
// elsewhere.
func (c *RangeClient) FetchPages(ctx context.Context, r msgtrace.Range, resumeLink string, onPage func(*msgtrace.Page) error) error {
	first, isLink := c.QueryURL(r), false
	if resumeLink != "" {
		if SameOrigin(resumeLink, c.base) {
			first, isLink = SanitizeLink(resumeLink), true
		} else {
			c.logger.Warn("Ignoring a saved nextLink of another host; starting the range afresh",
				zap.String("link", ShortURL(resumeLink)), zap.String("expected_host", c.base.Host))
		}
	}
	return c.loop.Run(ctx, first, isLink, c.api.NewDecoder(r, c.pageSize), onPage)
}

// QueryURL is the first request of a range query (both bounds inclusive).
func (c *RangeClient) QueryURL(r msgtrace.Range) string {
	return c.endpoint + "?" + c.api.Query(r) + "&$top=" + strconv.Itoa(c.pageSize)
}
