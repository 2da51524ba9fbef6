package simulator

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
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
// the tenant quota and finally the query itself.
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request, ep endpoint) {
	now := s.cfg.Now()
	s.counters.apiRequest(now)
	plan := s.planFaults()
	status := 0
	defer func() { s.counters.response(ep.String(), status) }()

	if plan.slow {
		s.counters.fault("slow")
		t := time.NewTimer(plan.slowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if plan.reset {
		s.counters.fault("reset")
		resetConnection(w)
		return
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	resp := s.decide(r, ep, plan, now, (*bp)[:0])
	*bp = resp.body[:0]

	status = resp.status
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
		s.counters.fault("truncated")
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
	if resp.rows > 0 {
		s.counters.rows(ep.String(), resp.rows)
	}
}

// decide builds the response: auth, switches, quota, injected faults, query.
func (s *Simulator) decide(r *http.Request, ep endpoint, plan faultPlan, now time.Time, buf []byte) response {
	if status, body, ok := s.id.Authenticate(r, ep.audience()); !ok {
		return response{status: status, contentType: "application/json", body: append(buf, body...)}
	}
	f := s.CurrentFaults()
	if ep != endpointLegacy && f.ServicePrincipalMissing {
		return graphError(buf, r, now, http.StatusUnauthorized, "Unauthorized",
			"Service principal-less Authentication failed: the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found. Please create the service principal for this app in your tenant (New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and wait for provisioning to complete.")
	}
	if f.PermissionMissing {
		if ep != endpointLegacy {
			return graphError(buf, r, now, http.StatusForbidden, "Forbidden",
				"Missing role permissions on the request. API requires one of 'ExchangeMessageTrace.Read.All'. Roles on the request ''.")
		}
		return response{status: http.StatusForbidden, contentType: "application/json",
			body: append(buf, `{"ErrorCode":"","Message":"No permission to access the report for the organization ."}`...)}
	}
	if ok, wait := s.quota.admit(now); !ok {
		ra := int(math.Ceil(wait.Seconds()))
		if s.cfg.RetryAfter > 0 {
			ra = int(math.Ceil(s.cfg.RetryAfter.Seconds()))
		}
		return s.throttled(buf, r, ep, now, plan, max(ra, 1))
	}
	switch {
	case plan.throttle:
		s.counters.fault("throttle")
		ra := 5
		if s.cfg.RetryAfter > 0 {
			ra = int(math.Ceil(s.cfg.RetryAfter.Seconds()))
		}
		return s.throttled(buf, r, ep, now, plan, ra)
	case plan.serverError:
		s.counters.fault("server_error")
		return s.apiError(buf, r, ep, now, http.StatusInternalServerError, "InternalServerError", "An internal server error occurred. Please retry the request.")
	case plan.unavailable:
		s.counters.fault("unavailable")
		return s.apiError(buf, r, ep, now, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
	case plan.html:
		s.counters.fault("html")
		return response{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: append(buf, signInPage...)}
	}
	switch ep {
	case endpointGraph:
		return s.serveGraph(buf, r, now, plan)
	case endpointGraphDetails:
		return s.serveDetails(buf, r, now)
	}
	return s.serveLegacy(buf, r, now)
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
