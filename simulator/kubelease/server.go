package kubelease

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/internal/tlsgen"
)

// DefaultNamespace is the kubeconfig context's namespace.
const DefaultNamespace = "default"

// Config says where the fake listens and what exists in it.
type Config struct {
	// Addr is host:port on a loopback address (the certificate names only
	// 127.0.0.1, ::1 and localhost). Default 127.0.0.1:0, any free port.
	Addr string
	// Namespaces are the namespaces that exist; creating a lease in another
	// one is refused as the real server does. Empty: every namespace exists.
	Namespaces []string
	// Token is the bearer token clients must send. Default: a random one,
	// which WriteKubeconfig writes for them.
	Token string
}

// Server is a running fake Lease API.
type Server struct {
	// URL is https://host:port, the kubeconfig's cluster server.
	URL string

	token  string
	tls    *tlsgen.Bundle
	store  *store
	http   *http.Server
	ln     net.Listener
	served chan error

	closeOnce sync.Once
	closeErr  error

	mu          sync.Mutex
	unavailable time.Time // every API request answers 503 until then
}

// Start listens on cfg.Addr and serves until Close.
func Start(cfg Config) (*Server, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	token := cfg.Token
	if token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		token = hex.EncodeToString(b)
	}
	bundle, err := tlsgen.New("kube-lease-api CA", time.Now())
	if err != nil {
		return nil, fmt.Errorf("kubelease: certificates: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kubelease: listen on %s: %w", addr, err)
	}
	s := &Server{
		URL:    "https://" + ln.Addr().String(),
		token:  token,
		tls:    bundle,
		store:  newStore(cfg.Namespaces),
		ln:     ln,
		served: make(chan error, 1),
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		TLSConfig:         bundle.Server,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { s.served <- s.http.ServeTLS(ln, "", "") }()
	return s, nil
}

// Close stops the server and waits for it; closing again returns the first
// Close's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.http.Close()
		if served := <-s.served; !errors.Is(served, http.ErrServerClosed) && s.closeErr == nil {
			s.closeErr = served
		}
	})
	return s.closeErr
}

// CAPEM is the server's CA certificate in PEM.
func (s *Server) CAPEM() []byte { return s.tls.CAPEM }

// WriteCA writes the CA certificate in PEM to path (for curl and for
// clients configured without the kubeconfig).
func (s *Server) WriteCA(path string) error { return s.tls.WriteCA(path) }

// Holder is the lease's holder identity; false when the lease does not exist.
func (s *Server) Holder(namespace, name string) (string, bool) {
	st, ok := s.store.state(namespace, name)
	if !ok || st.Deleted {
		return "", false
	}
	return st.Holder, true
}

// Transitions is the history of the lease's holder changes, oldest first
// (nil if it never existed).
func (s *Server) Transitions(namespace, name string) []Transition {
	st, _ := s.store.state(namespace, name)
	return st.History
}

// Lease is the admin view of one lease; false if it never existed.
func (s *Server) Lease(namespace, name string) (LeaseState, bool) {
	return s.store.state(namespace, name)
}

// Leases is the admin view of every lease, by namespace and name.
func (s *Server) Leases() []LeaseState { return s.store.states() }

// Unavailable makes every Kubernetes API request answer 503 for d (0 ends
// an outage now).
func (s *Server) Unavailable(d time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable = time.Now().Add(d)
	return s.unavailable
}

func (s *Server) isUnavailable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.unavailable)
}

func (s *Server) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(s.token)) == 1
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("kubelease: addr %q: %w (want host:port, e.g. 127.0.0.1:16443)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("kubelease: addr %q is not a loopback address: the certificate names only 127.0.0.1, ::1 and localhost", addr)
	}
	return nil
}
