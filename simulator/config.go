package simulator

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Config configures a simulator. One convention for every setting, here,
// in msgtrace-sim's flags and in its config file: absent or 0 means the
// default (see withDefaults); for the settings that can be switched off
// (RateLimit, the model's fractions), a negative value means none.
type Config struct {
	// Seed makes every generated row, token and injected fault reproducible.
	Seed uint64

	// TenantID, ClientID and ClientSecret are the credentials the identity
	// endpoints accept. Defaults are fixed, harmless test values.
	TenantID     string
	ClientID     string
	ClientSecret string
	// RedirectURI is the redirect URI accepted for authorization codes.
	RedirectURI string
	// AccessTokenTTL is the lifetime of issued access tokens (default 1h).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL (inactivity lifetime, default 90 days) and AuthCodeTTL
	// (default 10 minutes) are the identity platform's other lifetimes.
	RefreshTokenTTL time.Duration
	AuthCodeTTL     time.Duration
	// ClientCertificate, when set, is registered on the application: client
	// assertions signed by its key are accepted.
	ClientCertificate *x509.Certificate
	// ExpiredSecrets were registered once and have expired (AADSTS7000222).
	ExpiredSecrets []string
	// FederatedIssuers are trusted issuers of workload identity assertions.
	FederatedIssuers []string

	// Tenants are customer tenants of a managed provider, served next to
	// the home tenant (TenantID, whose data are Model and Rows): the
	// application above is multi-tenant and works in each once it
	// consented. GenerateTenants draws many with a realistic size spread.
	Tenants []TenantConfig

	Model ModelConfig
	// Rows are explicit rows served next to the model's (or alone, when
	// Model.RowsPerDay is 0). They are always visible unless their
	// VisibleAfter says otherwise.
	Rows []Row

	// RateLimit is the per-tenant number of Graph and legacy requests
	// allowed in any rolling RateWindow: 0 means the default 100, a
	// negative value turns the quota off.
	RateLimit  int
	RateWindow time.Duration
	// RetryAfter, when > 0, is the Retry-After every 429 carries; otherwise
	// it is the time until the oldest counted request leaves the window.
	RetryAfter time.Duration

	// Graph limits (real durations by default).
	MaxWindow    time.Duration // 10 days
	Retention    time.Duration // 90 days, counted from 00:00 UTC
	DefaultRange time.Duration // 48 h, used without a filter
	// LegacyRetention bounds what the legacy report returns (30 days).
	LegacyRetention time.Duration
	// LegacyVerbose makes the legacy report answer in the verbose OData
	// shape ({"d":{"results":[...]}}) even without an odata=verbose Accept.
	LegacyVerbose bool

	// Faults is the initial fault setting (SetFaults changes it).
	Faults Faults

	// HTTPSAddr and HTTPAddr are listen addresses (default 127.0.0.1:0).
	HTTPSAddr string
	HTTPAddr  string
	// CertDir receives ca.pem; default a temporary directory removed by Close.
	CertDir string

	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ModelConfig describes the synthetic mail flow. For the fractions, 0
// means the default and a negative value means none (Config's convention).
type ModelConfig struct {
	// RowsPerDay is the mean number of rows (message x recipient) per day;
	// 0 disables the model (only Config.Rows are served).
	RowsPerDay float64
	// From is the oldest received time generated (default now - 30 days);
	// To, when set, the end (default: none, rows keep arriving).
	From time.Time
	To   time.Time

	// DailySwing in [0, 1) makes the rate follow the working day: the
	// hourly rate is RowsPerDay/24 * (1 + DailySwing*sin(...)), peaking at
	// 15:00 UTC and lowest at 03:00 UTC; the daily total is unchanged.
	// 0 (the default) is a flat rate.
	DailySwing float64

	// MultiRecipientFraction of messages have 2..MaxRecipients recipients.
	MultiRecipientFraction float64 // default 0.15
	MaxRecipients          int     // default 5

	// DelayedFraction of rows become visible only after a random delay up
	// to MaxVisibilityDelay (skewed towards short delays); the rest at once.
	DelayedFraction    float64       // default 0.1
	MaxVisibilityDelay time.Duration // default 30m
	// ChangingFraction of rows first show gettingStatus or pending and turn
	// into their final status after their visibility delay plus up to
	// MaxChangeDelay.
	ChangingFraction float64       // default 0.1
	MaxChangeDelay   time.Duration // default 1h

	// StatusWeights are the relative weights of final statuses (Graph
	// spelling); default mostly delivered.
	StatusWeights map[Status]float64
	// NullFraction of rows carry a null messageId or subject.
	NullFraction float64 // default 0.01
	// InboundFraction of messages come from outside (toIP ""); the rest are
	// outbound or internal.
	InboundFraction float64 // default 0.6

	// Organization (legacy Organization field) and Domain (internal mail
	// domain).
	Organization string // default contoso.onmicrosoft.com
	Domain       string // default contoso.com
}

// Faults are injected failures, each at a rate in [0, 1] per API request
// (Graph and legacy), plus switches.
type Faults struct {
	Throttle     float64 `json:"throttle,omitempty"`      // 429
	ServerError  float64 `json:"server_error,omitempty"`  // 500
	Unavailable  float64 `json:"unavailable,omitempty"`   // 503
	HTML         float64 `json:"html,omitempty"`          // 200 "Sign in to Outlook" page
	Truncated    float64 `json:"truncated,omitempty"`     // body cut in the middle
	Slow         float64 `json:"slow,omitempty"`          // answer after SlowDelay
	Reset        float64 `json:"reset,omitempty"`         // TCP connection reset
	BadSkipToken float64 `json:"bad_skiptoken,omitempty"` // Graph nextLink with the doubly-quoted defect

	// SlowDelay is the extra latency of a slow response (default 5s).
	SlowDelay Duration `json:"slow_delay,omitempty"`
	// RetryAfterSeconds, when > 0, forces the Retry-After of every 429.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`

	// ServicePrincipalMissing answers Graph with 401 "Service
	// principal-less Authentication failed".
	ServicePrincipalMissing bool `json:"service_principal_missing,omitempty"`
	// PermissionMissing answers both APIs with their 403.
	PermissionMissing bool `json:"permission_missing,omitempty"`
	// TokenOutage makes the identity token endpoints answer 503.
	TokenOutage bool `json:"token_outage,omitempty"`
	// ConsentMissing makes the token endpoints refuse with AADSTS65001.
	ConsentMissing bool `json:"consent_missing,omitempty"`
}

// Duration is a time.Duration that reads and writes as "5s" in JSON (and
// accepts a number of nanoseconds), and is a flag.Value.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// Set reads a flag's value ("5s").
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		v, err := time.ParseDuration(s[1 : len(s)-1])
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return &time.ParseError{Value: s, Message: ": not a duration"}
		}
		n = n*10 + int64(c-'0')
	}
	*d = Duration(n)
	return nil
}

// Default credentials: fixed so that demo configs can name them.
const (
	DefaultTenantID     = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
	DefaultClientID     = "2f1d6e9c-3a4b-4c5d-8e7f-9a0b1c2d3e4f"
	DefaultClientSecret = "sim-client-secret"
	DefaultRedirectURI  = "https://localhost"
)

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TenantID == "" {
		c.TenantID = DefaultTenantID
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if c.RedirectURI == "" {
		c.RedirectURI = DefaultRedirectURI
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = time.Hour
	}
	if c.RateLimit == 0 {
		c.RateLimit = 100
	}
	if c.RateWindow == 0 {
		c.RateWindow = 5 * time.Minute
	}
	if c.MaxWindow == 0 {
		c.MaxWindow = 10 * 24 * time.Hour
	}
	if c.Retention == 0 {
		c.Retention = 90 * 24 * time.Hour
	}
	if c.DefaultRange == 0 {
		c.DefaultRange = 48 * time.Hour
	}
	if c.LegacyRetention == 0 {
		c.LegacyRetention = 30 * 24 * time.Hour
	}
	if c.HTTPSAddr == "" {
		c.HTTPSAddr = "127.0.0.1:0"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:0"
	}
	c.Model = c.Model.withDefaults(c.Now())
	return c
}

func (m ModelConfig) withDefaults(now time.Time) ModelConfig {
	if m.From.IsZero() {
		m.From = now.Add(-30 * 24 * time.Hour)
	}
	if m.MultiRecipientFraction == 0 {
		m.MultiRecipientFraction = 0.15
	}
	if m.MaxRecipients < 2 {
		m.MaxRecipients = 5
	}
	if m.DelayedFraction == 0 {
		m.DelayedFraction = 0.1
	}
	if m.MaxVisibilityDelay == 0 {
		m.MaxVisibilityDelay = 30 * time.Minute
	}
	if m.ChangingFraction == 0 {
		m.ChangingFraction = 0.1
	}
	if m.MaxChangeDelay == 0 {
		m.MaxChangeDelay = time.Hour
	}
	if len(m.StatusWeights) == 0 {
		m.StatusWeights = map[Status]float64{
			StatusDelivered:      0.86,
			StatusFilteredAsSpam: 0.05,
			StatusFailed:         0.03,
			StatusQuarantined:    0.02,
			StatusExpanded:       0.04,
		}
	}
	if m.NullFraction == 0 {
		m.NullFraction = 0.01
	}
	if m.InboundFraction == 0 {
		m.InboundFraction = 0.6
	}
	if m.Organization == "" {
		m.Organization = "contoso.onmicrosoft.com"
	}
	if m.Domain == "" {
		m.Domain = "contoso.com"
	}
	return m
}

// allStatuses are every status a row can have, in Graph's spelling.
var allStatuses = []Status{StatusGettingStatus, StatusPending, StatusDelivered, StatusFailed, StatusExpanded,
	StatusQuarantined, StatusFilteredAsSpam, StatusNone, StatusRecalled, StatusUnknownFutureValue}

// ParseStatus reads a status in any case ("filteredasspam") as Graph
// spells it ("filteredAsSpam").
func ParseStatus(s string) (Status, error) {
	for _, st := range allStatuses {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	names := make([]string, len(allStatuses))
	for i, st := range allStatuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("%q is not a message trace status; use one of %s", s, strings.Join(names, ", "))
}
