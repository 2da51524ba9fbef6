package kubelease

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/k8sleaderelector"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const (
	leaseNS       = "otel"
	leaseName     = "otelcol-messagetrace"
	leaseDuration = 2 * time.Second
	renewDeadline = 1500 * time.Millisecond
	retryPeriod   = 200 * time.Millisecond
	// client-go waits retry_period plus up to 1.2 times it between attempts
	// (leaderelection.JitterFactor), and a follower counts a lease's
	// duration from when it saw the last change, up to one interval late.
	// So a new leader follows the old holder's last write within
	// lease_duration plus two of the longest intervals; slack is for a
	// loaded 2-core machine.
	maxRetryInterval = retryPeriod + retryPeriod*12/10
	failoverBound    = leaseDuration + 2*maxRetryInterval + time.Second
)

// electors is the test's view of the callbacks: who leads, and whether two
// ever led at once.
type electors struct {
	mu         sync.Mutex
	leading    map[string]bool
	started    map[string][]time.Time
	violations []string
}

func (e *electors) callbacks(name string) (k8sleaderelector.StartCallback, k8sleaderelector.StopCallback) {
	start := func(context.Context) {
		e.mu.Lock()
		defer e.mu.Unlock()
		for other, on := range e.leading {
			if on && other != name {
				e.violations = append(e.violations, fmt.Sprintf("%s started leading while %s led", name, other))
			}
		}
		e.leading[name] = true
		e.started[name] = append(e.started[name], time.Now())
	}
	stop := func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		// client-go calls OnStoppedLeading whenever Run returns, led or not.
		e.leading[name] = false
	}
	return start, stop
}

// leader is the one instance leading, "" if none; it fails on two.
func (e *electors) leader(t *testing.T) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var on []string
	for name, l := range e.leading {
		if l {
			on = append(on, name)
		}
	}
	if len(on) > 1 {
		t.Fatalf("two leaders at once: %v", on)
	}
	if len(on) == 0 {
		return ""
	}
	return on[0]
}

func (e *electors) lastStart(name string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.started[name]
	if len(s) == 0 {
		return time.Time{}
	}
	return s[len(s)-1]
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// klogLines captures client-go's leader election log (klog) for the test
// to read, instead of stderr.
func klogLines(t *testing.T) func() string {
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	klog.SetLogger(funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		buf.WriteString(args + "\n")
	}, funcr.Options{}))
	t.Cleanup(klog.ClearLogger)
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// elector is one real contrib k8s_leader_elector extension and its
// holder identity.
type elector struct {
	ext  extension.Extension
	id   func() string
	name string
}

// newElector makes the extension from collector configuration (auth_type
// kubeConfig: KUBECONFIG names the fake's kubeconfig).
func newElector(t *testing.T, name string) *elector {
	t.Helper()
	factory := k8sleaderelector.NewFactory()
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{
		"auth_type":       "kubeConfig",
		"lease_name":      leaseName,
		"lease_namespace": leaseNS,
		"lease_duration":  leaseDuration.String(),
		"renew_deadline":  renewDeadline.String(),
		"retry_period":    retryPeriod.String(),
	}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	set := extensiontest.NewNopSettings(factory.Type())
	set.Logger = zap.New(core)
	ext, err := factory.Create(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := func() string {
		started := logs.FilterMessageSnippet("UUID").All()
		if len(started) != 1 {
			t.Fatalf("%s: no holder identity in the extension's start log", name)
		}
		return started[0].ContextMap()["UUID"].(string)
	}
	return &elector{ext: ext, id: id, name: name}
}

// start starts the extension and registers the test's callbacks as a
// receiver would (after the extensions started).
func (el *elector) start(t *testing.T, e *electors) string {
	t.Helper()
	if err := el.ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	start, stop := e.callbacks(el.name)
	el.ext.(k8sleaderelector.LeaderElection).SetCallBackFuncs(start, stop)
	return el.id()
}

// TestRealLeaderElector runs two real k8s_leader_elector extensions
// (client-go's leader election over HTTPS and the kubeconfig) against the
// fake: exactly one leads at any time; when its lease is stolen (a 409 on
// its optimistic renewal), when the API server is down, and when it shuts
// down, a leader follows within the lease's bound.
func TestRealLeaderElector(t *testing.T) {
	s, kc := start(t, Config{Namespaces: []string{leaseNS}})
	t.Setenv("KUBECONFIG", kc)
	klogText := klogLines(t)
	e := &electors{leading: map[string]bool{}, started: map[string][]time.Time{}}
	exts := map[string]extension.Extension{}
	ids := map[string]string{}
	// Both are created before either starts: contrib's k8sconfig sets the
	// Proxy of client-go's shared (cached) transport when it makes a
	// client, a data race with requests already in flight on that transport
	// (the factory's comment knows of it). One collector has one elector, so
	// only a test running two in one process meets it.
	var els []*elector
	for _, name := range []string{"a", "b"} {
		els = append(els, newElector(t, name))
	}
	for _, el := range els {
		exts[el.name], ids[el.name] = el.ext, el.start(t, e)
	}
	t.Cleanup(func() {
		for _, ext := range exts {
			_ = ext.Shutdown(context.Background())
		}
	})
	defer func() {
		if t.Failed() {
			t.Logf("client-go log:\n%s", klogText())
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, v := range e.violations {
			t.Errorf("two leaders: %s", v)
		}
	}()
	holderIs := func(name string) bool {
		h, _ := s.Holder(leaseNS, leaseName)
		return h == ids[name]
	}

	waitFor(t, 5*time.Second, "a first leader", func() bool { return e.leader(t) != "" })
	first := e.leader(t)
	if !holderIs(first) {
		t.Fatalf("%s leads but the server's holder is %v", first, s.Transitions(leaseNS, leaseName))
	}

	t.Run("stolen", func(t *testing.T) {
		before, _ := s.Lease(leaseNS, leaseName)
		leases := clientset(t, kc).CoordinationV1().Leases(leaseNS)
		l, err := leases.Get(context.Background(), leaseName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.NewMicroTime(time.Now())
		l.Spec.HolderIdentity = ptr.To("thief")
		l.Spec.AcquireTime, l.Spec.RenewTime = &now, &now
		l.Spec.LeaseTransitions = ptr.To(*l.Spec.LeaseTransitions + 1)
		if _, err := leases.Update(context.Background(), l, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		stolen := time.Now()
		waitFor(t, renewDeadline+2*maxRetryInterval+time.Second, first+" stops leading", func() bool { return e.leader(t) != first })
		t.Logf("%s stopped leading %v after the theft", first, time.Since(stolen).Round(time.Millisecond))
		// The old leader renews optimistically with the resourceVersion it
		// last wrote: the server refuses it, client-go reads the lease
		// again and sees the thief.
		after, _ := s.Lease(leaseNS, leaseName)
		if after.Conflicts <= before.Conflicts {
			t.Fatalf("conflicts %d -> %d: the old leader's renewal should have met a 409", before.Conflicts, after.Conflicts)
		}
		if log := klogText(); !strings.Contains(log, "optimistically") || !strings.Contains(log, "the object has been modified") {
			t.Fatalf("client-go did not report the 409 as a Conflict; its log:\n%s", log)
		}
		waitFor(t, failoverBound, "a leader after the thief's lease", func() bool { return e.leader(t) != "" })
		next := e.leader(t)
		t.Logf("%s leads %v after the theft (lease %v)", next, e.lastStart(next).Sub(stolen).Round(time.Millisecond), leaseDuration)
		if e.lastStart(next).Sub(stolen) < leaseDuration {
			t.Fatalf("%s took the lease %v after the theft, before the thief's %v lease ran out", next, e.lastStart(next).Sub(stolen), leaseDuration)
		}
		waitFor(t, time.Second, "the server's holder follows", func() bool { return holderIs(next) })
	})

	t.Run("API server outage", func(t *testing.T) {
		leader := e.leader(t)
		outage := 2500 * time.Millisecond
		began := time.Now()
		s.Unavailable(outage)
		waitFor(t, renewDeadline+2*maxRetryInterval+time.Second, leader+" stops leading in the outage", func() bool { return e.leader(t) == "" })
		t.Logf("%s stopped leading %v into the outage", leader, time.Since(began).Round(time.Millisecond))
		waitFor(t, outage+failoverBound, "a leader after the outage", func() bool { return e.leader(t) != "" })
		next := e.leader(t)
		if e.lastStart(next).Before(began.Add(outage)) {
			t.Fatalf("%s led during the outage", next)
		}
		t.Logf("%s leads %v after the outage ended", next, e.lastStart(next).Sub(began.Add(outage)).Round(time.Millisecond))
	})

	t.Run("leader shut down", func(t *testing.T) {
		leader := e.leader(t)
		other := map[string]string{"a": "b", "b": "a"}[leader]
		last, _ := s.Lease(leaseNS, leaseName)
		if err := exts[leader].Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		delete(exts, leader)
		stopped := time.Now()
		waitFor(t, failoverBound, other+" takes over", func() bool { return e.leader(t) == other })
		took := e.lastStart(other).Sub(*last.RenewTime)
		t.Logf("%s leads %v after %s's last renewal, %v after its shutdown (bound %v)", other, took.Round(time.Millisecond),
			leader, e.lastStart(other).Sub(stopped).Round(time.Millisecond), failoverBound)
		if took > failoverBound {
			t.Fatalf("failover took %v after the last renewal, over %v", took, failoverBound)
		}
		waitFor(t, time.Second, "the server's holder follows", func() bool { return holderIs(other) })
	})

	hist := s.Transitions(leaseNS, leaseName)
	t.Logf("holder changes: %d, lease transitions %d", len(hist), hist[len(hist)-1].LeaseTransitions)
}
