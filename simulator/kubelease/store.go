package kubelease

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	leasesResource = coordinationv1.SchemeGroupVersion.WithResource("leases").GroupResource()
	leaseKind      = schema.GroupKind{Group: coordinationv1.GroupName, Kind: "Lease"}
	// The real server's wording for a stale resourceVersion (storage.ErrConflict).
	errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")
)

// Transition is one change of a lease's holder, as the store saw it.
type Transition struct {
	Time             time.Time `json:"time"`
	From             string    `json:"from"`
	To               string    `json:"to"` // "" when the lease was deleted or released
	ResourceVersion  string    `json:"resourceVersion"`
	LeaseTransitions int32     `json:"leaseTransitions"`
}

// LeaseState is what the admin API reports of one lease.
type LeaseState struct {
	Namespace            string     `json:"namespace"`
	Name                 string     `json:"name"`
	Holder               string     `json:"holder"`
	AcquireTime          *time.Time `json:"acquireTime,omitempty"`
	RenewTime            *time.Time `json:"renewTime,omitempty"`
	LeaseDurationSeconds int32      `json:"leaseDurationSeconds"`
	LeaseTransitions     int32      `json:"leaseTransitions"`
	ResourceVersion      string     `json:"resourceVersion"`
	// Conflicts counts updates refused with 409 Conflict (a stale
	// resourceVersion) and creates refused with 409 AlreadyExists.
	Conflicts int          `json:"conflicts"`
	History   []Transition `json:"history"`
	Deleted   bool         `json:"deleted,omitempty"`
}

type leaseKey struct{ namespace, name string }

type entry struct {
	lease     *coordinationv1.Lease // nil once deleted (history and counters stay)
	conflicts int
	history   []Transition
}

// store holds the leases with the API server's optimistic concurrency: one
// revision counter for all objects, bumped by every write.
type store struct {
	mu         sync.Mutex
	revision   uint64
	leases     map[leaseKey]*entry
	namespaces map[string]bool // nil: every namespace exists
}

func newStore(namespaces []string) *store {
	s := &store{leases: map[leaseKey]*entry{}}
	if len(namespaces) > 0 {
		s.namespaces = map[string]bool{}
		for _, ns := range namespaces {
			s.namespaces[ns] = true
		}
	}
	return s
}

func (s *store) get(ns, name string) (*coordinationv1.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.leases[leaseKey{ns, name}]
	if e == nil || e.lease == nil {
		return nil, apierrors.NewNotFound(leasesResource, name)
	}
	return e.lease.DeepCopy(), nil
}

// list returns the leases of ns ("" for all namespaces) sorted by namespace
// and name, and the store's revision as the list's resourceVersion.
func (s *store) list(ns string) *coordinationv1.LeaseList {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &coordinationv1.LeaseList{
		TypeMeta: metav1.TypeMeta{Kind: "LeaseList", APIVersion: coordinationv1.SchemeGroupVersion.String()},
		ListMeta: metav1.ListMeta{ResourceVersion: strconv.FormatUint(s.revision, 10)},
		Items:    []coordinationv1.Lease{},
	}
	for k, e := range s.leases {
		if e.lease != nil && (ns == "" || k.namespace == ns) {
			out.Items = append(out.Items, *e.lease.DeepCopy())
		}
	}
	slices.SortFunc(out.Items, func(a, b coordinationv1.Lease) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (s *store) create(ns string, in *coordinationv1.Lease, now time.Time) (*coordinationv1.Lease, error) {
	if err := checkIdentity(ns, "", in); err != nil {
		return nil, err
	}
	if in.ResourceVersion != "" {
		// storage.ErrResourceVersionSetOnCreate, which the real server
		// reports as an internal error.
		return nil, apierrors.NewInternalError(errors.New("resourceVersion should not be set on objects to be created"))
	}
	if err := validateSpec(in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.namespaces != nil && !s.namespaces[ns] {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, ns)
	}
	k := leaseKey{ns, in.Name}
	e := s.leases[k]
	if e != nil && e.lease != nil {
		e.conflicts++
		return nil, apierrors.NewAlreadyExists(leasesResource, in.Name)
	}
	if e == nil {
		e = &entry{}
		s.leases[k] = e
	}
	l := in.DeepCopy()
	l.TypeMeta = leaseTypeMeta()
	l.Namespace = ns
	l.UID = types.UID(uuid.NewString())
	l.CreationTimestamp = metav1.NewTime(now.Truncate(time.Second))
	l.ResourceVersion = s.bump()
	e.lease = l
	e.record(now, "", l)
	return l.DeepCopy(), nil
}

func (s *store) update(ns, name string, in *coordinationv1.Lease, now time.Time) (*coordinationv1.Lease, error) {
	if err := checkIdentity(ns, name, in); err != nil {
		return nil, err
	}
	if in.ResourceVersion == "" {
		return nil, apierrors.NewInvalid(leaseKind, name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "resourceVersion"), in.ResourceVersion, "must be specified for an update"),
		})
	}
	if err := validateSpec(in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.leases[leaseKey{ns, name}]
	if e == nil || e.lease == nil {
		// Leases do not allow create on update.
		return nil, apierrors.NewNotFound(leasesResource, name)
	}
	if in.ResourceVersion != e.lease.ResourceVersion {
		e.conflicts++
		return nil, apierrors.NewConflict(leasesResource, name, errModified)
	}
	if in.UID != "" && in.UID != e.lease.UID {
		return nil, apierrors.NewConflict(leasesResource, name,
			preconditionFailed("UID", string(in.UID), string(e.lease.UID)))
	}
	prev := e.lease.Spec.HolderIdentity
	l := in.DeepCopy()
	l.TypeMeta = leaseTypeMeta()
	l.Namespace = ns
	// What the server owns is kept from the stored object.
	l.UID = e.lease.UID
	l.CreationTimestamp = e.lease.CreationTimestamp
	l.ResourceVersion = s.bump()
	e.lease = l
	e.record(now, deref(prev), l)
	return l.DeepCopy(), nil
}

// remove deletes ns/name, honouring DeleteOptions preconditions.
func (s *store) remove(ns, name string, pre *metav1.Preconditions, now time.Time) (*coordinationv1.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.leases[leaseKey{ns, name}]
	if e == nil || e.lease == nil {
		return nil, apierrors.NewNotFound(leasesResource, name)
	}
	if pre != nil {
		if pre.UID != nil && *pre.UID != e.lease.UID {
			return nil, apierrors.NewConflict(leasesResource, name,
				preconditionFailed("UID", string(*pre.UID), string(e.lease.UID)))
		}
		if pre.ResourceVersion != nil && *pre.ResourceVersion != e.lease.ResourceVersion {
			e.conflicts++
			return nil, apierrors.NewConflict(leasesResource, name,
				preconditionFailed("ResourceVersion", *pre.ResourceVersion, e.lease.ResourceVersion))
		}
	}
	old := e.lease
	rv := s.bump()
	e.history = append(e.history, Transition{Time: now, From: deref(old.Spec.HolderIdentity), ResourceVersion: rv, LeaseTransitions: deref(old.Spec.LeaseTransitions)})
	e.lease = nil
	return old, nil
}

func (s *store) state(ns, name string) (LeaseState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.leases[leaseKey{ns, name}]
	if e == nil {
		return LeaseState{}, false
	}
	return e.state(ns, name), true
}

func (s *store) states() []LeaseState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LeaseState, 0, len(s.leases))
	for k, e := range s.leases {
		out = append(out, e.state(k.namespace, k.name))
	}
	slices.SortFunc(out, func(a, b LeaseState) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// bump advances the revision; the caller holds s.mu.
func (s *store) bump() string {
	s.revision++
	return strconv.FormatUint(s.revision, 10)
}

// record appends a history entry when the holder changed (a create counts as
// a change from nobody).
func (e *entry) record(now time.Time, prev string, l *coordinationv1.Lease) {
	holder := deref(l.Spec.HolderIdentity)
	if len(e.history) > 0 && prev == holder {
		return
	}
	e.history = append(e.history, Transition{
		Time: now, From: prev, To: holder,
		ResourceVersion: l.ResourceVersion, LeaseTransitions: deref(l.Spec.LeaseTransitions),
	})
}

func (e *entry) state(ns, name string) LeaseState {
	st := LeaseState{Namespace: ns, Name: name, Conflicts: e.conflicts, History: slices.Clone(e.history)}
	if e.lease == nil {
		st.Deleted = true
		return st
	}
	spec := e.lease.Spec
	st.Holder = deref(spec.HolderIdentity)
	st.LeaseDurationSeconds = deref(spec.LeaseDurationSeconds)
	st.LeaseTransitions = deref(spec.LeaseTransitions)
	st.ResourceVersion = e.lease.ResourceVersion
	if spec.AcquireTime != nil {
		t := spec.AcquireTime.Time
		st.AcquireTime = &t
	}
	if spec.RenewTime != nil {
		t := spec.RenewTime.Time
		st.RenewTime = &t
	}
	return st
}

// checkIdentity applies the real server's checks of the object's name and
// namespace against the request's (urlName "" on create).
func checkIdentity(ns, urlName string, in *coordinationv1.Lease) error {
	if in.Namespace != "" && in.Namespace != ns {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if urlName != "" && in.Name != urlName {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", in.Name, urlName))
	}
	if in.Name == "" {
		return apierrors.NewInvalid(leaseKind, "", field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name or generateName is required")})
	}
	if msgs := validation.IsDNS1123Subdomain(in.Name); len(msgs) > 0 {
		return apierrors.NewInvalid(leaseKind, in.Name, field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), in.Name, msgs[0])})
	}
	return nil
}

// validateSpec is the part of the real Lease validation a client can trip.
func validateSpec(in *coordinationv1.Lease) error {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if d := in.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := in.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseTransitions"), *t, "must be greater than or equal to 0"))
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(leaseKind, in.Name, errs)
	}
	return nil
}

// preconditionFailed is the real server's message for a precondition that
// does not hold (capitalised as it writes it).
func preconditionFailed(what, want, got string) error {
	//lint:ignore ST1005 the API server's own wording, which clients may match
	return fmt.Errorf("Precondition failed: %s in precondition: %v, %s in object meta: %v", what, want, what, got)
}

func leaseTypeMeta() metav1.TypeMeta {
	return metav1.TypeMeta{Kind: "Lease", APIVersion: coordinationv1.SchemeGroupVersion.String()}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
