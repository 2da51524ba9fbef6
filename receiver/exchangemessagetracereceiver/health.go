package exchangemessagetracereceiver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// maxNamedTenants bounds how many failing tenants the status names.
const maxNamedTenants = 5

// tenantHealth turns the polls of every tenant into one component status:
// OK while every tenant is healthy (reported on the first good poll and on
// recovery), a recoverable error naming how many and which tenants fail
// otherwise. It is reported on every change, but the collector's status
// machine refuses a recoverable error after a recoverable error, so what
// the health check shows is the first failure's text until every tenant is
// healthy again: the log (one line per failed poll, naming the tenant) and
// the metrics by tenant carry the newest causes. It logs each failure with
// what the operator should do.
type tenantHealth struct {
	host        component.Host
	logger      *zap.Logger
	multiTenant bool

	mu       sync.Mutex
	total    int
	failing  map[string]error
	fileErr  error
	reported bool
}

func newTenantHealth(host component.Host, logger *zap.Logger, multiTenant bool) *tenantHealth {
	return &tenantHealth{host: host, logger: logger, multiTenant: multiTenant, failing: map[string]error{}}
}

// report records the outcome of one tenant's poll.
func (h *tenantHealth) report(tenant string, err error) {
	// A field, not logger.With: this runs on every poll of every tenant,
	// and With copies the logger's core each time.
	var fields []zap.Field
	if h.multiTenant {
		fields = []zap.Field{zap.String("tenant", tenant)}
	}
	logger := h.logger
	h.mu.Lock()
	defer h.mu.Unlock()
	_, wasFailing := h.failing[tenant]
	if err == nil {
		delete(h.failing, tenant)
		if wasFailing {
			logger.Info("message trace collection recovered", fields...)
		}
		if wasFailing || !h.reported {
			h.publish()
		}
		return
	}
	if isOperatorError(err) {
		logger.Error("message trace collection needs attention; retrying every poll_interval", append(fields, zap.Error(err))...)
	} else {
		logger.Warn("message trace poll failed; the cursor did not move and the next poll resumes where it stopped", append(fields, zap.Error(err))...)
	}
	h.failing[tenant] = err
	h.publish()
}

// forget drops a tenant that was removed.
func (h *tenantHealth) forget(tenant string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.failing[tenant]; ok {
		delete(h.failing, tenant)
		h.publish()
	}
}

func (h *tenantHealth) setTotal(n int) {
	h.mu.Lock()
	h.total = n
	h.mu.Unlock()
}

// setFileError records a tenants file that could not be applied (nil once
// a good one was).
func (h *tenantHealth) setFileError(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if (err == nil) == (h.fileErr == nil) && err == nil {
		return
	}
	h.fileErr = err
	h.publish()
}

// publish reports the status the tenants are in now. Called with h.mu held.
func (h *tenantHealth) publish() {
	h.reported = true
	err := h.status()
	if err == nil {
		componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK))
		return
	}
	componentstatus.ReportStatus(h.host, componentstatus.NewRecoverableErrorEvent(err))
}

// status is nil when all is well; otherwise what is wrong. One tenant's
// error is its own message, as before there were many tenants.
func (h *tenantHealth) status() error {
	if len(h.failing) == 0 && h.fileErr == nil {
		return nil
	}
	if !h.multiTenant {
		for _, err := range h.failing {
			return err
		}
	}
	var parts []string
	if h.fileErr != nil {
		parts = append(parts, "tenants_file not applied: "+h.fileErr.Error())
	}
	if n := len(h.failing); n > 0 {
		ids := make([]string, 0, n)
		for id := range h.failing {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		named := make([]string, 0, maxNamedTenants)
		for _, id := range ids[:min(n, maxNamedTenants)] {
			named = append(named, fmt.Sprintf("%s: %v", id, h.failing[id]))
		}
		more := ""
		if n > maxNamedTenants {
			more = fmt.Sprintf("; and %d more (see the log and the metrics, by tenant)", n-maxNamedTenants)
		}
		parts = append(parts, fmt.Sprintf("%d of %d tenants failing: %s%s", n, max(h.total, n), strings.Join(named, "; "), more))
	}
	// The collector keeps the first error's text until the component is OK
	// again (see tenantHealth): say so, so that a stale list is not read as
	// the current one.
	return errors.New(strings.Join(parts, "; ") + " (as of the first failure: this status keeps its text until every tenant is healthy; the log names each failing tenant on every poll)")
}

// isOperatorError tells failures that need the operator (credentials,
// permissions) from those that heal by themselves.
func isOperatorError(err error) bool {
	kind, ok := msgtrace.KindOf(err)
	return ok && (kind == msgtrace.KindAuth || kind == msgtrace.KindPermission || kind == msgtrace.KindBadRequest)
}
