package kubelease

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

func lease(name, holder string) *coordinationv1.Lease {
	now := metav1.NewMicroTime(time.Now())
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: ptr.To(holder), LeaseDurationSeconds: ptr.To[int32](2),
			AcquireTime: &now, RenewTime: &now, LeaseTransitions: ptr.To[int32](0),
		},
	}
}

func rv(t *testing.T, l *coordinationv1.Lease) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(l.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", l.ResourceVersion, err)
	}
	return n
}

// TestOptimisticConcurrency walks the Lease API through client-go's typed
// client, checking each answer with the apierrors predicates client-go's
// callers (the leader election among them) use.
func TestOptimisticConcurrency(t *testing.T) {
	s, kc := start(t, Config{})
	leases := clientset(t, kc).CoordinationV1().Leases("ns1")
	ctx := context.Background()

	_, err := leases.Get(ctx, "l", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("get of a missing lease: %v, want NotFound", err)
	}
	created, err := leases.Create(ctx, lease("l", "a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.UID == "" || created.CreationTimestamp.IsZero() || created.Namespace != "ns1" || rv(t, created) == 0 {
		t.Fatalf("created lease lacks what the server owns: %+v", created.ObjectMeta)
	}
	if _, err := leases.Create(ctx, lease("l", "b"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: %v, want AlreadyExists", err)
	}

	renewed := created.DeepCopy()
	renewed.Spec.RenewTime = ptr.To(metav1.NewMicroTime(time.Now()))
	updated, err := leases.Update(ctx, renewed, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv(t, updated) <= rv(t, created) {
		t.Fatalf("resourceVersion %s after %s: want it to increase on every write", updated.ResourceVersion, created.ResourceVersion)
	}
	// The racing writer still holds the first version.
	stale := created.DeepCopy()
	stale.Spec.HolderIdentity = ptr.To("b")
	if _, err := leases.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("update with a stale resourceVersion: %v, want Conflict", err)
	} else if !strings.Contains(err.Error(), "the object has been modified") {
		t.Fatalf("conflict message %q lacks the real server's wording", err)
	}
	unconditional := updated.DeepCopy()
	unconditional.ResourceVersion = ""
	if _, err := leases.Update(ctx, unconditional, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("update without resourceVersion: %v, want Invalid", err)
	}
	missing := lease("other", "a")
	missing.ResourceVersion = "1"
	if _, err := leases.Update(ctx, missing, metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("update of a missing lease: %v, want NotFound (no create on update)", err)
	}
	withRV := lease("fresh", "a")
	withRV.ResourceVersion = "5"
	if _, err := leases.Create(ctx, withRV, metav1.CreateOptions{}); !apierrors.IsInternalError(err) {
		t.Fatalf("create carrying a resourceVersion: %v, want InternalError", err)
	}
	if _, err := leases.Create(ctx, lease("Bad_Name", "a"), metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("create with an invalid name: %v, want Invalid", err)
	}

	if st, _ := s.Lease("ns1", "l"); st.Conflicts != 2 {
		t.Fatalf("conflicts %d, want 2 (one AlreadyExists, one stale update)", st.Conflicts)
	}
	if h, ok := s.Holder("ns1", "l"); !ok || h != "a" {
		t.Fatalf("holder %q %v, want a", h, ok)
	}

	if _, err := clientset(t, kc).CoordinationV1().Leases("ns2").Create(ctx, lease("l", "z"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := leases.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "l" {
		t.Fatalf("list of ns1: %v %+v, want the one lease", err, list)
	}
	all, err := clientset(t, kc).CoordinationV1().Leases("").List(ctx, metav1.ListOptions{})
	if err != nil || len(all.Items) != 2 || all.Items[0].Namespace != "ns1" || all.Items[1].Namespace != "ns2" {
		t.Fatalf("list of all namespaces: %v %+v", err, all)
	}

	err = leases.Delete(ctx, "l", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: ptr.To(created.ResourceVersion)}})
	if !apierrors.IsConflict(err) {
		t.Fatalf("delete with a stale precondition: %v, want Conflict", err)
	}
	if err := leases.Delete(ctx, "l", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Holder("ns1", "l"); ok {
		t.Fatal("holder of a deleted lease")
	}
	if tr := s.Transitions("ns1", "l"); len(tr) != 2 || tr[0].To != "a" || tr[1].From != "a" || tr[1].To != "" {
		t.Fatalf("history %+v, want created by a, then deleted", tr)
	}
}

// TestStatusBody pins the 404 body byte for byte: the shape client-go
// decodes into a StatusError (kind Status, apiVersion v1, reason, details).
func TestStatusBody(t *testing.T) {
	s, kc := start(t, Config{})
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(s.URL + "/apis/coordination.k8s.io/v1/namespaces/default/leases/missing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"missing\" not found","reason":"NotFound","details":{"name":"missing","group":"coordination.k8s.io","kind":"leases"},"code":404}` + "\n"
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" || string(body) != want {
		t.Fatalf("got %d %s\n%s\nwant 404 application/json\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		cfg   Config
		setup func(s *Server)
		call  func(cs kubernetes.Interface) error
		want  func(error) bool
	}{
		{
			name: "wrong token",
			call: func(cs kubernetes.Interface) error { return nil },
		},
		{
			name: "namespace not configured",
			cfg:  Config{Namespaces: []string{"otel"}},
			call: func(cs kubernetes.Interface) error {
				_, err := cs.CoordinationV1().Leases("elsewhere").Create(ctx, lease("l", "a"), metav1.CreateOptions{})
				if err != nil && !strings.Contains(err.Error(), `namespaces "elsewhere" not found`) {
					t.Errorf("message %q", err)
				}
				return err
			},
			want: apierrors.IsNotFound,
		},
		{
			name: "configured namespace",
			cfg:  Config{Namespaces: []string{"otel"}},
			call: func(cs kubernetes.Interface) error {
				_, err := cs.CoordinationV1().Leases("otel").Create(ctx, lease("l", "a"), metav1.CreateOptions{})
				return err
			},
			want: func(err error) bool { return err == nil },
		},
		{
			name:  "outage",
			setup: func(s *Server) { s.Unavailable(time.Minute) },
			call: func(cs kubernetes.Interface) error {
				_, err := cs.CoordinationV1().Leases("otel").Get(ctx, "l", metav1.GetOptions{})
				return err
			},
			want: apierrors.IsServiceUnavailable,
		},
		{
			name:  "outage over",
			setup: func(s *Server) { s.Unavailable(time.Minute); s.Unavailable(0) },
			call: func(cs kubernetes.Interface) error {
				_, err := cs.CoordinationV1().Leases("otel").Get(ctx, "l", metav1.GetOptions{})
				return err
			},
			want: apierrors.IsNotFound,
		},
		{
			name: "patch is not served",
			call: func(cs kubernetes.Interface) error {
				_, err := cs.CoordinationV1().Leases("otel").Patch(ctx, "l", "application/merge-patch+json", []byte(`{}`), metav1.PatchOptions{})
				return err
			},
			want: apierrors.IsMethodNotSupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, kc := start(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(s)
			}
			cs := clientset(t, kc)
			if tt.name == "wrong token" {
				rc, _ := clientcmd.BuildConfigFromFlags("", kc)
				rc.BearerToken = "not-the-token"
				cs = kubernetes.NewForConfigOrDie(rc)
				_, err := cs.CoordinationV1().Leases("otel").Get(ctx, "l", metav1.GetOptions{})
				if !apierrors.IsUnauthorized(err) {
					t.Fatalf("got %v, want Unauthorized", err)
				}
				return
			}
			if err := tt.call(cs); !tt.want(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	_, kc := start(t, Config{})
	d := clientset(t, kc).Discovery()
	v, err := d.ServerVersion()
	if err != nil || v.Major != "1" {
		t.Fatalf("version %+v %v", v, err)
	}
	res, err := d.ServerResourcesForGroupVersion("coordination.k8s.io/v1")
	if err != nil || len(res.APIResources) != 1 || res.APIResources[0].Kind != "Lease" {
		t.Fatalf("resources %+v %v", res, err)
	}
	groups, err := d.ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.Groups {
		names = append(names, g.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "coordination.k8s.io") {
		t.Fatalf("groups %v lack coordination.k8s.io", names)
	}
}

func TestAdmin(t *testing.T) {
	s, kc := start(t, Config{})
	if _, err := clientset(t, kc).CoordinationV1().Leases("otel").Create(context.Background(), lease("l", "a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hc := rawClient(s)
	resp, err := hc.Post(s.URL+"/admin/unavailable?for=1m", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("unavailable: %v %v", resp, err)
	}
	resp.Body.Close()
	// The admin API answers during the outage, without the token.
	resp, err = hc.Get(s.URL + "/admin/leases")
	if err != nil {
		t.Fatal(err)
	}
	var states []LeaseState
	err = json.NewDecoder(resp.Body).Decode(&states)
	resp.Body.Close()
	if err != nil || len(states) != 1 || states[0].Holder != "a" || states[0].ResourceVersion == "" || states[0].RenewTime == nil || len(states[0].History) != 1 {
		t.Fatalf("admin leases %+v %v", states, err)
	}
	resp, err = hc.Get(s.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz during the outage: %v %v, want 503", resp, err)
	}
	resp.Body.Close()
	for _, bad := range []string{"", "?for=soon", "?for=-1s"} {
		resp, err := hc.Post(s.URL+"/admin/unavailable"+bad, "", nil)
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unavailable%s: %v %v, want 400", bad, resp, err)
		}
		resp.Body.Close()
	}
	// Closed here and again by the test's cleanup.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6443", "nohost"} {
		if _, err := Start(Config{Addr: addr}); err == nil {
			t.Errorf("Start(%q) succeeded, want a loopback error", addr)
		}
	}
}
