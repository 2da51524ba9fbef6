package kubelease

import (
	"net/http"
	"runtime"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
)

// discovery registers the documents a client may read before it calls the
// Lease API: only what exists here (core v1 serves nothing).
func (s *Server) discovery(mux *http.ServeMux) {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: coordinationv1.SchemeGroupVersion.String(), Version: "v1"}
	group := metav1.APIGroup{
		TypeMeta:         metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
		Name:             coordinationv1.GroupName,
		Versions:         []metav1.GroupVersionForDiscovery{gv},
		PreferredVersion: gv,
	}
	serve := func(path string, doc any) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, doc) })
	}
	serve("/version", version.Info{
		Major: "1", Minor: "34", GitVersion: "v1.34.0-kubelease", GitTreeState: "clean",
		GoVersion: runtime.Version(), Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH,
	})
	serve("/api", metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: s.ln.Addr().String()},
		},
	})
	serve("/api/v1", metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: "v1", APIResources: []metav1.APIResource{},
	})
	serve("/apis", metav1.APIGroupList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
		Groups:   []metav1.APIGroup{group},
	})
	serve("/apis/"+coordinationv1.GroupName, group)
	serve(leasesPath, metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: gv.GroupVersion,
		APIResources: []metav1.APIResource{{
			Name: "leases", SingularName: "lease", Namespaced: true, Kind: "Lease",
			Verbs: metav1.Verbs{"create", "delete", "get", "list", "update"},
		}},
	})
}
