package simulator

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

type endpoint int

const (
	endpointGraph endpoint = iota
	endpointLegacy
	endpointGraphDetails
)

func (e endpoint) String() string {
	switch e {
	case endpointGraph:
		return "graph"
	case endpointGraphDetails:
		return "graph_details"
	}
	return "legacy"
}

func (e endpoint) audience() string {
	if e != endpointLegacy {
		return "https://graph.microsoft.com"
	}
	return "https://outlook.office365.com"
}

// response is a built answer; body may alias a pooled buffer.
type response struct {
	status      int
	contentType string
	retryAfter  int // seconds, 0 for none
	body        []byte
	rows        int
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// serveAPI runs one Graph or legacy request through fault injection, auth,
// the tenant quota and finally the query itself. The token says which
// tenant asks; a request without a valid token has none: the home tenant's
// faults apply to it and only the global counters count it.
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request, ep endpoint) {
	now := s.cfg.Now()
	s.counters.apiRequest(now)
	auth := s.authorize(r, ep)
	t := auth.tenant
	t.init()
	if auth.ok {
		t.counts.apiRequest(now)
	}
	plan := t.planFaults()
	// The answer is counted before the client can read it (so that a test
	// reading the counters after a response sees it), or as status 0 when
	// the request ends without one (a reset, a client gone).
	recorded := false
	record := func(status, rows int) {
		if recorded {
			return
		}
		recorded = true
		s.counters.response(ep.String(), status)
		s.logRequest(r, auth, now, ep, status)
		if auth.ok {
			t.counts.response(ep.String(), status)
		}
		if rows > 0 {
			s.counters.rows(ep.String(), rows)
			t.counts.rows(ep.String(), rows)
		}
	}
	defer record(0, 0)

	if plan.slow {
		s.fault(auth, "slow")
		t := time.NewTimer(plan.slowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if plan.reset {
		s.fault(auth, "reset")
		resetConnection(w)
		return
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	resp := s.decide(r, ep, auth, plan, now, (*bp)[:0])
	*bp = resp.body[:0]

	record(resp.status, resp.rows)
	h := w.Header()
	h.Set("Content-Type", resp.contentType)
	h.Set("request-id", newRequestID(r))
	if cid := r.Header.Get("client-request-id"); cid != "" {
		h.Set("client-request-id", cid)
	}
	if resp.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(resp.retryAfter))
	}
	body := resp.body
	if plan.truncated && resp.status == http.StatusOK && len(body) > 1 {
		s.fault(auth, "truncated")
		// Half the time the connection dies mid-body (unexpected EOF), half
		// the time a complete HTTP response carries half a JSON document.
		cut := len(body) / 2
		if plan.truncatedCut {
			h.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(resp.status)
			_, _ = w.Write(body[:cut])
			panic(http.ErrAbortHandler)
		}
		body = body[:cut]
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)
}

// authResult is what the request's token says: ok with the tenant it was
// issued in and its permissions, or the resource's 401.
type authResult struct {
	ok     bool
	tenant *Tenant
	bearer identity.Bearer
	status int
	body   []byte
}

func (s *Simulator) authorize(r *http.Request, ep endpoint) authResult {
	b, status, body, ok := s.id.Authorize(r, ep.audience())
	a := authResult{ok: ok, tenant: s.HomeTenant(), bearer: b, status: status, body: body}
	if ok {
		if t, found := s.Tenant(b.TenantID); found {
			a.tenant = t
		}
	}
	return a
}

// fault counts an injected fault globally and, for a known tenant, there.
func (s *Simulator) fault(a authResult, kind string) {
	s.counters.fault(kind)
	if a.ok {
		a.tenant.counts.fault(kind)
	}
}

// Permissions the APIs require, as role (app-only) or scope (delegated).
const (
	graphPermission          = "ExchangeMessageTrace.Read.All"
	legacyPermission         = "ReportingWebService.Read.All"
	legacyDelegatedPermssion = "ReportingWebService.Read"
)

// permitted tells whether the token holds the endpoint's permission.
func permitted(b identity.Bearer, ep endpoint) bool {
	if ep != endpointLegacy {
		return b.Has(graphPermission)
	}
	return b.Has(legacyPermission) || b.Has(legacyDelegatedPermssion)
}

// decide builds the response: auth, switches, quota, injected faults, query.
func (s *Simulator) decide(r *http.Request, ep endpoint, auth authResult, plan faultPlan, now time.Time, buf []byte) response {
	if !auth.ok {
		return response{status: auth.status, contentType: "application/json", body: append(buf, auth.body...)}
	}
	t := auth.tenant
	f := t.Faults()
	if ep != endpointLegacy && f.ServicePrincipalMissing {
		return graphError(buf, r, now, http.StatusUnauthorized, "Unauthorized",
			"Service principal-less Authentication failed: the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found. Please create the service principal for this app in your tenant (New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and wait for provisioning to complete.")
	}
	if f.PermissionMissing || !permitted(auth.bearer, ep) {
		roles := ""
		if !f.PermissionMissing {
			roles = strings.Join(auth.bearer.Roles, ",")
		}
		if ep != endpointLegacy {
			return graphError(buf, r, now, http.StatusForbidden, "Forbidden",
				"Missing role permissions on the request. API requires one of '"+graphPermission+"'. Roles on the request '"+roles+"'.")
		}
		return response{status: http.StatusForbidden, contentType: "application/json",
			body: append(buf, `{"ErrorCode":"","Message":"No permission to access the report for the organization ."}`...)}
	}
	if ok, wait := t.quota.admit(now); !ok {
		ra := int(math.Ceil(wait.Seconds()))
		if s.cfg.RetryAfter > 0 {
			ra = int(math.Ceil(s.cfg.RetryAfter.Seconds()))
		}
		return s.throttled(buf, r, ep, now, plan, max(ra, 1))
	}
	switch {
	case plan.throttle:
		s.fault(auth, "throttle")
		ra := 5
		if s.cfg.RetryAfter > 0 {
			ra = int(math.Ceil(s.cfg.RetryAfter.Seconds()))
		}
		return s.throttled(buf, r, ep, now, plan, ra)
	case plan.serverError:
		s.fault(auth, "server_error")
		return s.apiError(buf, r, ep, now, http.StatusInternalServerError, "InternalServerError", "An internal server error occurred. Please retry the request.")
	case plan.unavailable:
		s.fault(auth, "unavailable")
		return s.apiError(buf, r, ep, now, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
	case plan.html:
		s.fault(auth, "html")
		return response{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: append(buf, signInPage...)}
	}
	switch ep {
	case endpointGraph:
		return s.serveGraph(buf, r, t, now, plan)
	case endpointGraphDetails:
		return s.serveDetails(buf, r, t, now)
	}
	return s.serveLegacy(buf, r, t, now)
}

func (s *Simulator) throttled(buf []byte, r *http.Request, ep endpoint, now time.Time, plan faultPlan, retryAfter int) response {
	if plan.retryAfterSeconds > 0 {
		retryAfter = plan.retryAfterSeconds
	}
	resp := s.apiError(buf, r, ep, now, http.StatusTooManyRequests, "TooManyRequests",
		"Your recent queries have surpassed the permitted limit, please try again later.")
	resp.retryAfter = retryAfter
	return resp
}

func (s *Simulator) apiError(buf []byte, r *http.Request, ep endpoint, now time.Time, status int, code, msg string) response {
	if ep != endpointLegacy {
		return graphError(buf, r, now, status, code, msg)
	}
	return legacyError(buf, status, msg)
}
