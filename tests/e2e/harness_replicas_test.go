//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/kubelease"
)

// leaseSettings are the k8s_leader_elector extension's timings.
type leaseSettings struct {
	Duration, RenewDeadline, RetryPeriod time.Duration
}

// haLease is what every high-availability test runs with: short, so that a
// failover takes seconds (the extension's defaults are 15s, 10s and 2s).
var haLease = leaseSettings{Duration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}

// The lease the replicas share.
const (
	haLeaseNamespace = "default"
	haLeaseName      = "otelcol-messagetrace"
)

// replicaSet is N replicas of the distribution with one config: the
// receiver follows the k8s_leader_elector extension's lease (on the fake
// Lease API, through KUBECONFIG) and keeps its state in db_storage on one
// PostgreSQL; every API request carries X-Sim-Client: <replica name>, so
// that the simulator's request log says who sent it.
type replicaSet struct {
	t          *testing.T
	tb         *testbed
	bins       binaries
	pg         *postgres
	lease      *kubelease.Server
	kubeconfig string
	lookback   time.Duration
	configure  func(cfg yamlMap)
	replicas   map[string]*replica
	names      []string
}

// replica is one replica by name, across its runs (a killed replica is
// started again under the same name).
type replica struct {
	name       string
	healthAddr string
	proc       *collectorProc   // the current run
	all        []*collectorProc // every run, oldest first
	runs       int
	paused     bool
}

// newReplicaSet prepares replicas by name against the testbed's simulator,
// pg and lease; configure changes the receiver's keys (it is called on
// each replica's config). Start each with Start.
func newReplicaSet(t *testing.T, tb *testbed, bins binaries, pg *postgres, lease *kubelease.Server, lookback time.Duration,
	configure func(cfg yamlMap), names ...string) *replicaSet {
	t.Helper()
	rs := &replicaSet{t: t, tb: tb, bins: bins, pg: pg, lease: lease, lookback: lookback, configure: configure,
		replicas: map[string]*replica{}, names: names}
	rs.kubeconfig = filepath.Join(tb.dir, "kubeconfig")
	if err := lease.WriteKubeconfig(rs.kubeconfig); err != nil {
		t.Fatalf("writing the kubeconfig of the Lease API: %v", err)
	}
	for _, n := range names {
		rs.replicas[n] = &replica{name: n, healthAddr: freeAddr(t)}
	}
	// After the runs' own cleanups (stopped, their logs scanned): the tail
	// of every replica's last run, not only the test's last one.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range rs.names {
			if p := rs.replicas[n].proc; p != nil {
				logTail(t, fmt.Sprintf("replica %s, run %d", n, rs.replicas[n].runs), p.logPath, 25)
			}
		}
	})
	return rs
}

// startHA starts a high-availability test's parts: the Lease API,
// PostgreSQL, the simulator with simArgs, and two replicas "a" and "b" prepared on
// them (not started). configure changes each replica's config.
func startHA(t *testing.T, bins binaries, simArgs []string, lookback time.Duration, configure func(cfg yamlMap)) (*testbed, *replicaSet) {
	t.Helper()
	requireComponent(t, bins, "k8s_leader_elector")
	lease := startLeaseAPI(t)
	pg := startPostgres(t)
	tb := newTestbed(t, bins, simArgs...)
	return tb, newReplicaSet(t, tb, bins, pg, lease, lookback, configure, "a", "b")
}

// components is the built distribution's `components` output, read once.
var components struct {
	once sync.Once
	out  string
	err  error
}

// requireComponent fails the test unless the distribution was built with
// the component of that type.
func requireComponent(t *testing.T, bins binaries, typ string) {
	t.Helper()
	components.once.Do(func() {
		out, err := exec.Command(bins.otelcol, "components").CombinedOutput()
		components.out, components.err = string(out), err
	})
	if components.err != nil {
		t.Fatalf("%s components: %v\n%s", bins.otelcol, components.err, components.out)
	}
	if !strings.Contains(components.out, "name: "+typ+"\n") {
		t.Fatalf("the distribution has no %s component: add it to builder-config.yaml and `make build`", typ)
	}
}

// startLeaseAPI runs the fake Kubernetes Lease API (simulator/kubelease)
// for the test, on loopback; the real k8s_leader_elector extension reaches
// it through the kubeconfig it writes.
func startLeaseAPI(t *testing.T) *kubelease.Server {
	t.Helper()
	srv, err := kubelease.Start(kubelease.Config{Namespaces: []string{haLeaseNamespace}})
	if err != nil {
		t.Fatalf("starting the Lease API: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// leaseHandovers are the lease's changes of holder as the Lease API saw
// them, by replica name ("?" for an identity no run logged), the first
// acquisition left out.
func (rs *replicaSet) leaseHandovers() []string {
	names := map[string]string{}
	for _, r := range rs.replicas {
		for _, p := range r.all {
			if id := electorUUID(p); id != "" {
				names[id] = r.name
			}
		}
	}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "?"
	}
	var out []string
	for _, tr := range rs.lease.Transitions(haLeaseNamespace, haLeaseName) {
		if tr.From != "" && tr.To != "" {
			out = append(out, name(tr.From)+"->"+name(tr.To))
		}
	}
	return out
}

// config is replica name's collector config.
func (rs *replicaSet) config(name string) yamlMap {
	r := rs.replicas[name]
	cfg := collectorConfig(rs.tb.sim, "graph", "", r.healthAddr, rs.lookback)
	exts := cfg["extensions"].(yamlMap)
	delete(exts, "file_storage")
	exts["db_storage"] = rs.pg.dbStorage()
	exts["k8s_leader_elector"] = yamlMap{
		"auth_type":       "kubeConfig",
		"lease_name":      haLeaseName,
		"lease_namespace": haLeaseNamespace,
		"lease_duration":  haLease.Duration.String(),
		"renew_deadline":  haLease.RenewDeadline.String(),
		"retry_period":    haLease.RetryPeriod.String(),
	}
	svc := cfg["service"].(yamlMap)
	svc["extensions"] = []string{"db_storage", "k8s_leader_elector", "health_check"}
	rcv := receiverOf(cfg)
	rcv["storage"] = "db_storage"
	rcv["k8s_leader_elector"] = "k8s_leader_elector"
	rcv["headers"] = yamlMap{simulator.ClientHeader: name}
	if rs.configure != nil {
		rs.configure(cfg)
	}
	return cfg
}

// Start runs replica name (again: a new run after Kill or Stop).
func (rs *replicaSet) Start(name string) *collectorProc {
	t := rs.t
	t.Helper()
	r := rs.replicas[name]
	if r.proc != nil && r.proc.Running() {
		t.Fatalf("replica %s is already running", name)
	}
	r.runs++
	b, err := yaml.Marshal(rs.config(name))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(rs.tb.dir, fmt.Sprintf("replica-%s-%d", name, r.runs))
	if err := os.WriteFile(base+".yaml", b, 0o600); err != nil {
		t.Fatal(err)
	}
	r.proc = runBinary(t, rs.bins.otelcol, base+".log", []string{"KUBECONFIG=" + rs.kubeconfig},
		"--config", base+".yaml", healthGate)
	r.proc.health = "http://" + r.healthAddr + "/status?verbose"
	r.all = append(r.all, r.proc)
	r.paused = false
	// Runs before the run's own cleanup (last in, first out): a stopped
	// process cannot act on its SIGTERM.
	p := r.proc
	t.Cleanup(func() {
		if r.paused && r.proc == p {
			rs.Resume(name)
		}
	})
	return r.proc
}

// StartAll starts every replica, in the order they were named, each once
// the one before is ready. Not all at once: contrib's db_storage creates
// its table with CREATE TABLE IF NOT EXISTS when the receiver opens it,
// which PostgreSQL does not make safe against a concurrent twin (one of two
// replicas starting together on a fresh database fails its start with
// "duplicate key value violates unique constraint pg_type_typname_nsp_index";
// on Kubernetes the pod is restarted and then starts).
func (rs *replicaSet) StartAll() {
	rs.t.Helper()
	for _, n := range rs.names {
		p := rs.Start(n)
		if !waitFor(30*time.Second, func() bool { return !p.Running() || strings.Contains(p.Log(), logReady) }) || !p.Running() {
			rs.t.Fatalf("replica %s did not start: %v", n, p.err)
		}
	}
}

// StartAllAndWaitLeader starts every replica and returns when one of them
// first sent a request (the first leader's), with when the start began.
func (rs *replicaSet) StartAllAndWaitLeader() (began time.Time, first simRequest) {
	rs.t.Helper()
	began = time.Now()
	rs.StartAll()
	first, ok := rs.waitSender(began, "", 60*time.Second)
	if !ok {
		rs.t.Fatalf("no replica sent a request within 60s of starting")
	}
	return began, first
}

// logReady is the collector's line once every component has started.
const logReady = "Everything is ready"

// Proc is replica name's current run.
func (rs *replicaSet) Proc(name string) *collectorProc { return rs.replicas[name].proc }

// Kill ends replica name's run with SIGKILL (no lease release, no flush).
func (rs *replicaSet) Kill(name string) {
	rs.replicas[name].proc.Kill()
}

// Stop ends replica name's run with SIGTERM.
func (rs *replicaSet) Stop(name string) {
	if rs.replicas[name].paused {
		rs.Resume(name)
	}
	rs.replicas[name].proc.Stop()
}

// StopAll stops every replica.
func (rs *replicaSet) StopAll() {
	for _, n := range rs.names {
		rs.Stop(n)
	}
}

// Pause freezes replica name with SIGSTOP, as a long GC pause or a frozen
// node would: its lease renewals stop and so does everything else.
func (rs *replicaSet) Pause(name string) {
	rs.t.Helper()
	r := rs.replicas[name]
	if err := r.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		rs.t.Fatalf("SIGSTOP to replica %s: %v", name, err)
	}
	r.paused = true
}

// Resume wakes a paused replica with SIGCONT.
func (rs *replicaSet) Resume(name string) {
	rs.t.Helper()
	r := rs.replicas[name]
	if err := r.proc.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		rs.t.Errorf("SIGCONT to replica %s: %v", name, err)
	}
	r.paused = false
}

// Other is the replica of a pair that is not name.
func (rs *replicaSet) Other(name string) string {
	for _, n := range rs.names {
		if n != name {
			return n
		}
	}
	rs.t.Fatalf("no replica besides %s", name)
	return ""
}

// Log lines of the receiver's leadership (the lead's receiver writes them).
const (
	logGainedLease = "gained the lease: collecting"
	logLostLease   = "lost the lease: stopped collecting"
	logNewerLeader = "a newer leader"
)

// electorUUID is the holder identity of the run's k8s_leader_elector
// extension, as its start-up line gives it ("" before that line).
var electorUUIDLine = regexp.MustCompile(`Starting k8s leader elector with UUID.*"UUID": "([0-9a-fA-F-]+)"`)

func electorUUID(p *collectorProc) string {
	if m := electorUUIDLine.FindStringSubmatch(p.Log()); m != nil {
		return m[1]
	}
	return ""
}

// waitSender waits up to d for the first request at or after since from a
// replica other than not ("" for any replica), and returns it.
func (rs *replicaSet) waitSender(since time.Time, not string, d time.Duration) (simRequest, bool) {
	var got simRequest
	ok := waitFor(d, func() bool {
		for _, r := range rs.tb.sim.Requests(since) {
			if _, known := rs.replicas[r.Client]; known && r.Client != not {
				got = r
				return true
			}
		}
		return false
	})
	return got, ok
}

// leaseFigure says what the figures were measured against.
func (l leaseSettings) String() string {
	return fmt.Sprintf("lease_duration %s, renew_deadline %s, retry_period %s", l.Duration, l.RenewDeadline, l.RetryPeriod)
}
