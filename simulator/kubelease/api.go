package kubelease

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const leasesPath = "/apis/coordination.k8s.io/v1"

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	s.discovery(api)
	api.HandleFunc(leasesPath+"/leases", s.collection)
	api.HandleFunc(leasesPath+"/namespaces/{ns}/leases", s.collection)
	api.HandleFunc(leasesPath+"/namespaces/{ns}/leases/{name}", s.item)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, r, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
			Message: "the server could not find the requested resource",
		}})
	})
	admin := s.admin()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/admin/"):
			// The test's view and switches: no token, and up during an outage.
			admin.ServeHTTP(w, r)
		case s.isUnavailable():
			writeStatus(w, r, apierrors.NewServiceUnavailable("the API server is unavailable (kubelease outage switch)"))
		case r.URL.Path == "/healthz" || r.URL.Path == "/livez" || r.URL.Path == "/readyz":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok")
		case !s.authorized(r):
			writeStatus(w, r, apierrors.NewUnauthorized("Unauthorized"))
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// collection serves .../leases: list and create.
func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	if watching(r) {
		writeStatus(w, r, apierrors.NewMethodNotSupported(leasesResource, "watch"))
		return
	}
	switch {
	case r.Method == http.MethodGet:
		writeObject(w, r, http.StatusOK, s.store.list(ns))
	case r.Method == http.MethodPost && ns != "":
		in, err := decodeLease(r)
		if err != nil {
			writeStatus(w, r, err)
			return
		}
		out, err := s.store.create(ns, in, time.Now())
		if err != nil {
			writeStatus(w, r, err)
			return
		}
		writeObject(w, r, http.StatusCreated, out)
	default:
		writeStatus(w, r, apierrors.NewMethodNotSupported(leasesResource, strings.ToLower(r.Method)))
	}
}

// item serves .../leases/{name}: get, update, delete.
func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	var (
		out runtime.Object
		err error
	)
	switch r.Method {
	case http.MethodGet:
		out, err = s.store.get(ns, name)
	case http.MethodPut:
		var in *coordinationv1.Lease
		if in, err = decodeLease(r); err == nil {
			out, err = s.store.update(ns, name, in, time.Now())
		}
	case http.MethodDelete:
		out, err = s.delete(r, ns, name)
	default:
		err = apierrors.NewMethodNotSupported(leasesResource, strings.ToLower(r.Method))
	}
	if err != nil {
		writeStatus(w, r, err)
		return
	}
	writeObject(w, r, http.StatusOK, out)
}

// delete answers as the real server does for a resource without graceful
// deletion: a Success Status naming what was deleted.
func (s *Server) delete(r *http.Request, ns, name string) (*metav1.Status, error) {
	var opts metav1.DeleteOptions
	if err := decodeBody(r, &opts, coordinationv1.SchemeGroupVersion.WithKind("DeleteOptions")); err != nil {
		return nil, err
	}
	old, err := s.store.remove(ns, name, opts.Preconditions, time.Now())
	if err != nil {
		return nil, err
	}
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details: &metav1.StatusDetails{
			Name: name, Group: leasesResource.Group, Kind: leasesResource.Resource, UID: old.UID,
		},
	}, nil
}

func decodeLease(r *http.Request) (*coordinationv1.Lease, error) {
	var in coordinationv1.Lease
	if err := decodeBody(r, &in, coordinationv1.SchemeGroupVersion.WithKind("Lease")); err != nil {
		return nil, err
	}
	return &in, nil
}

func watching(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	return w == "true" || w == "1"
}

// writeStatus writes err as the metav1.Status body client-go decodes into an
// *apierrors.StatusError (anything else becomes an InternalError).
func writeStatus(w http.ResponseWriter, r *http.Request, err error) {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		se = apierrors.NewInternalError(err)
	}
	st := se.ErrStatus
	writeObject(w, r, int(st.Code), &st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
