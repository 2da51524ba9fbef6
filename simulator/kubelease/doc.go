// Package kubelease is a fake Kubernetes API server that serves only the
// coordination.k8s.io/v1 Lease API, over HTTPS on loopback, for the tests and
// demos of high availability: the real contrib k8s_leader_elector extension
// and client-go talk to it through a kubeconfig (WriteKubeconfig) exactly as
// they talk to a cluster.
//
// Why a fake and not Kubernetes' own kube-apiserver: the module proxy serves
// k8s.io/kubernetes, but its module zip leaves out the staging modules its
// go.mod replaces (k8s.io/api, apiserver, client-go and some 28 more point at
// ./staging, which is not in the zip), so building cmd/kube-apiserver needs a
// wrapper module that re-pins all 31 of them, then a compile of several
// minutes on our 2-core machines per build, an etcd stand-in (kine, another
// large compile), serving certificates, service-account signing keys and RBAC
// bootstrap before the first request. That does not fit CI's 90 minutes
// beside everything else. What the leader election depends on is small and
// well specified, so this package reproduces it faithfully instead:
//
//   - optimistic concurrency: one resourceVersion counter for the whole store
//     (as etcd's revision), bumped by every write; an update whose
//     resourceVersion is not the stored one is a 409 Conflict, an update
//     without one is a 422 Invalid (Leases allow no unconditional update), a
//     create of an existing name is a 409 AlreadyExists, a create carrying a
//     resourceVersion is refused; updates never create (404 NotFound);
//   - error bodies are metav1.Status built with k8s.io/apimachinery's
//     api/errors constructors, the same the real server uses, so client-go's
//     apierrors.IsConflict, IsNotFound and IsAlreadyExists see what they would
//     see against a cluster;
//   - bearer-token authentication (401 Unauthorized Status otherwise);
//   - namespaces exist only if configured (creating in another one is the
//     NamespaceLifecycle admission's 404 "namespaces \"x\" not found");
//   - the discovery documents a client might ask for (/version, /api, /apis,
//     the group and its resource list), minimal.
//
// Not served: watch, patch, server-side apply, field and label selectors,
// protobuf and CBOR bodies (JSON only, which is client-go's default), any
// other resource. The leader election uses none of them.
//
// For tests it adds an admin API, without authentication and unaffected by
// the outage switch: GET /admin/leases (holder, renew time, transitions,
// resourceVersion, conflicts and the history of holder changes of every
// lease) and POST /admin/unavailable?for=10s (every Kubernetes API request
// answers 503 ServiceUnavailable for that long: an API server outage).
package kubelease
