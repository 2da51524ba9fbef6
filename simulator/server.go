package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// Simulator is a running fake of Exchange Online message trace.
type Simulator struct {
	// HTTPSURL and HTTPURL are the base URLs (no trailing slash) of the same
	// handlers: Graph at /v1.0 and /beta, legacy at
	// /ecp/reportingwebservice/reporting.svc, identity at /{tenant}/oauth2/...,
	// admin at /admin/.
	HTTPSURL string
	HTTPURL  string
	// CAFile is the PEM CA that signed the HTTPS certificate.
	CAFile string

	cfg      Config
	id       *identity.Server
	counters *counters
	requests *requestLog
	legacy   *posCache
	// tenants are the home tenant, then Config.Tenants; tenantByName finds
	// them by lower-case GUID and domain.
	tenants      []*Tenant
	tenantByName map[string]*Tenant

	caCert  *x509.Certificate
	servers []*http.Server
	tmpDir  string
}

// Start listens on cfg's addresses and serves until Close.
func Start(cfg Config) (*Simulator, error) {
	cfg = cfg.withDefaults()
	s := &Simulator{
		cfg:      cfg,
		counters: newCounters(cfg.RateWindow),
		requests: newRequestLog(requestLogCap),
		legacy:   newPosCache(),
	}
	s.id = identity.New(identity.Config{
		TenantID: cfg.TenantID, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURI: cfg.RedirectURI, AccessTokenTTL: cfg.AccessTokenTTL, Now: cfg.Now,
		RefreshTokenTTL: cfg.RefreshTokenTTL, AuthCodeTTL: cfg.AuthCodeTTL,
		Certificate: cfg.ClientCertificate, ExpiredSecrets: cfg.ExpiredSecrets, FederatedIssuers: cfg.FederatedIssuers,
	})
	if err := s.newTenants(); err != nil {
		return nil, err
	}
	dir := cfg.CertDir
	if dir == "" {
		d, err := os.MkdirTemp("", "msgtrace-sim-")
		if err != nil {
			return nil, err
		}
		dir, s.tmpDir = d, d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tlsCfg, caFile, caCert, err := newTLS(dir, time.Now())
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("generate certificates: %w", err)
	}
	s.CAFile, s.caCert = caFile, caCert

	httpsLn, err := net.Listen("tcp", cfg.HTTPSAddr)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("listen https on %s: %w", cfg.HTTPSAddr, err)
	}
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		httpsLn.Close()
		s.cleanup()
		return nil, fmt.Errorf("listen http on %s: %w", cfg.HTTPAddr, err)
	}
	s.HTTPSURL = "https://" + httpsLn.Addr().String()
	s.HTTPURL = "http://" + httpLn.Addr().String()
	s.id.SetIssuerURL(s.HTTPSURL)
	s.SetFaults(cfg.Faults)

	h := s.Handler()
	for _, ln := range []net.Listener{tls.NewListener(httpsLn, tlsCfg), httpLn} {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
			// Clients that distrust the CA and resets are expected: keep them out of test logs.
			ErrorLog: log.New(io.Discard, "", 0),
			// No HTTP/2: resets need a hijackable connection.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.Serve(ln) }()
	}
	return s, nil
}

// Close stops the servers and removes the temporary certificate directory.
func (s *Simulator) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	s.cleanup()
	return errors.Join(errs...)
}

func (s *Simulator) cleanup() {
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

// Identity is the simulated identity platform (token endpoints and switches).
func (s *Simulator) Identity() *identity.Server { return s.id }

// Config returns the effective configuration (defaults filled in).
func (s *Simulator) Config() Config { return s.cfg }

// Counters returns a snapshot of the request counters.
func (s *Simulator) Counters() Counters { return s.counters.snapshot() }

// ResetCounters zeroes the counters, the global ones and every tenant's
// (not the quota).
func (s *Simulator) ResetCounters() {
	s.counters.reset()
	for _, t := range s.tenants {
		if t.ready.Load() {
			t.counts.reset()
		}
	}
}

// Truth returns every row of the home tenant received in [start, end]
// (inclusive) that exists now, with its final status, newest first, whether
// or not it is visible yet. Tenant(id).Truth is a customer tenant's.
func (s *Simulator) Truth(start, end time.Time) []Row { return s.HomeTenant().Truth(start, end) }

// Handler serves everything the simulator serves (both listeners use it).
func (s *Simulator) Handler() http.Handler {
	idh := s.id.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		lp := strings.ToLower(p)
		switch {
		case lp == "/v1.0/admin/exchange/tracing/messagetraces" || lp == "/beta/admin/exchange/tracing/messagetraces":
			s.serveAPI(w, r, endpointGraph)
		case (strings.HasPrefix(lp, "/v1.0"+detailsPrefix) || strings.HasPrefix(lp, "/beta"+detailsPrefix)) && strings.Contains(lp, "/getdetailsbyrecipient("):
			s.serveAPI(w, r, endpointGraphDetails)
		case lp == "/ecp/reportingwebservice/reporting.svc/messagetrace":
			s.serveAPI(w, r, endpointLegacy)
		case strings.HasPrefix(p, "/admin/"):
			rec := &statusRecorder{ResponseWriter: w, status: 200}
			s.serveAdmin(rec, r)
			s.counters.response("admin", rec.status)
		default:
			rec := &statusRecorder{ResponseWriter: w, status: 200}
			idh.ServeHTTP(rec, r)
			s.counters.response("identity", rec.status)
		}
	})
}

// statusRecorder remembers the status written, and stays hijackable.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
