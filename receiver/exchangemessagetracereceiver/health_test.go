package exchangemessagetracereceiver

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

func TestHealthNamesTheFailingTenants(t *testing.T) {
	host := newTestHost()
	core, logs := observer.New(zap.InfoLevel)
	h := newTenantHealth(host, zap.New(core), true)
	h.setTotal(50)
	consent := &msgtrace.APIError{Kind: msgtrace.KindAuth, Message: "AADSTS700016 application not found in tenant b"}
	throttled := &msgtrace.APIError{Kind: msgtrace.KindThrottled, Message: "throttled"}

	steps := []struct {
		tenant   string
		err      error
		status   componentstatus.Status
		contains []string
	}{
		{"a", nil, componentstatus.StatusOK, nil},
		{"b", consent, componentstatus.StatusRecoverableError, []string{"1 of 50 tenants failing", "b: AADSTS700016"}},
		{"c", throttled, componentstatus.StatusRecoverableError, []string{"2 of 50 tenants failing", "b: AADSTS700016", "c: throttled"}},
		{"c", nil, componentstatus.StatusRecoverableError, []string{"1 of 50 tenants failing"}},
		{"a", nil, componentstatus.StatusRecoverableError, []string{"1 of 50"}},
		{"b", nil, componentstatus.StatusOK, nil},
	}
	for i, s := range steps {
		before := len(host.events)
		h.report(s.tenant, s.err)
		ev := host.lastEvent()
		require.NotNil(t, ev)
		if s.status == componentstatus.StatusOK && i > 0 && s.tenant == "a" {
			assert.Equal(t, before, len(host.events), "a healthy poll while healthy reports nothing new")
		}
		assert.Equal(t, s.status, ev.Status(), "step %d", i)
		for _, c := range s.contains {
			assert.Contains(t, ev.Err().Error(), c, "step %d", i)
		}
	}
	assert.Equal(t, 1, logs.FilterMessage("message trace collection needs attention; retrying every poll_interval").Len(), "the operator error is logged as such")
	assert.Equal(t, 2, logs.FilterMessage("message trace collection recovered").Len())
	for _, e := range logs.All() {
		assert.Contains(t, e.ContextMap(), "tenant", "every line names its tenant")
	}
}

func TestHealthCapsTheNamedTenants(t *testing.T) {
	host := newTestHost()
	h := newTenantHealth(host, zap.NewNop(), true)
	h.setTotal(1000)
	for i := range 12 {
		h.report(fmt.Sprintf("t%02d", i), errors.New("down"))
	}
	msg := host.lastEvent().Err().Error()
	assert.Contains(t, msg, "12 of 1000 tenants failing: t00: down; t01: down; t02: down; t03: down; t04: down; and 7 more")
}

func TestHealthOfOneTenantIsItsError(t *testing.T) {
	host := newTestHost()
	h := newTenantHealth(host, zap.NewNop(), false)
	err := errors.New("Microsoft Graph answered HTTP 403")
	h.report("contoso", err)
	assert.Equal(t, err, host.lastEvent().Err(), "a single tenant's status is its own error, as before")
	h.report("contoso", nil)
	assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())
}

func TestHealthTenantsFileError(t *testing.T) {
	host := newTestHost()
	h := newTenantHealth(host, zap.NewNop(), true)
	h.setTotal(2)
	h.report("a", nil)
	h.setFileError(errors.New("tenants_file /etc/t.yaml: entry 3 (line 9): tenant_id: required"))
	assert.Equal(t, componentstatus.StatusRecoverableError, host.lastEvent().Status())
	assert.Contains(t, host.lastEvent().Err().Error(), "tenants_file not applied: tenants_file /etc/t.yaml: entry 3 (line 9)")
	h.setFileError(nil)
	assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())
	// A removed failing tenant no longer counts.
	h.report("b", errors.New("down"))
	h.forget("b")
	assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())
}
