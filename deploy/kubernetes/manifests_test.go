// Package kubernetes holds the manifests that run two replicas of the
// distribution on Kubernetes; this test checks them without a cluster.
package kubernetes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite configmap.yaml from config/ha-kubernetes.yaml")

const (
	namespace  = "otelcol-messagetrace"
	configFile = "../../config/ha-kubernetes.yaml"
)

// decode reads a manifest strictly (unknown or duplicate fields fail) into
// the Kubernetes type its apiVersion and kind name, as the API server would.
func decode(t *testing.T, file string) runtime.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	obj, gvk, err := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if ns := obj.(interface{ GetNamespace() string }).GetNamespace(); gvk.Kind != "Namespace" && ns != namespace {
		t.Errorf("%s: namespace %q, want %q", file, ns, namespace)
	}
	return obj
}

func as[T runtime.Object](t *testing.T, file string) T {
	t.Helper()
	obj, ok := decode(t, file).(T)
	if !ok {
		var want T
		t.Fatalf("%s is a %T, want %T", file, obj, want)
	}
	return obj
}

// TestKustomizationListsEveryManifest: `kubectl apply -k` applies every
// manifest here but the Secret template.
func TestKustomizationListsEveryManifest(t *testing.T) {
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil || k.Kind != "Kustomization" || k.APIVersion != "kustomize.config.k8s.io/v1beta1" {
		t.Fatalf("kustomization.yaml: %+v %v", k, err)
	}
	files, _ := filepath.Glob("*.yaml")
	var want []string
	for _, f := range files {
		if f != "kustomization.yaml" && f != "secret.example.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Fatalf("kustomization resources %v, want %v", got, want)
	}
}

// TestConfigMapIsTheShippedConfig: the ConfigMap carries
// config/ha-kubernetes.yaml byte for byte (`go test -update` rewrites it).
func TestConfigMapIsTheShippedConfig(t *testing.T) {
	config, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var b bytes.Buffer
		b.WriteString(configMapHeader)
		for _, line := range strings.SplitAfter(string(config), "\n") {
			if strings.TrimSpace(line) != "" {
				b.WriteString("    ")
			}
			b.WriteString(line)
		}
		if err := os.WriteFile("configmap.yaml", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cm := as[*corev1.ConfigMap](t, "configmap.yaml")
	if cm.Data["config.yaml"] != string(config) {
		t.Fatalf("configmap.yaml's config.yaml differs from %s: run go test ./deploy/kubernetes -update", configFile)
	}
}

const configMapHeader = `# The collector's configuration: config/ha-kubernetes.yaml verbatim
# (deploy/kubernetes/manifests_test.go fails when the two differ).
apiVersion: v1
kind: ConfigMap
metadata:
  name: otelcol-messagetrace
  namespace: otelcol-messagetrace
  labels:
    app.kubernetes.io/name: otelcol-messagetrace
data:
  config.yaml: |
`

// TestDeploymentWiring checks that the objects name each other and that the
// Deployment is the two-replica, non-root shape the config needs.
func TestDeploymentWiring(t *testing.T) {
	as[*corev1.Namespace](t, "namespace.yaml")
	sa := as[*corev1.ServiceAccount](t, "serviceaccount.yaml")
	role := as[*rbacv1.Role](t, "role.yaml")
	rb := as[*rbacv1.RoleBinding](t, "rolebinding.yaml")
	cm := as[*corev1.ConfigMap](t, "configmap.yaml")
	secret := as[*corev1.Secret](t, "secret.example.yaml")
	pdb := as[*policyv1.PodDisruptionBudget](t, "poddisruptionbudget.yaml")
	d := as[*appsv1.Deployment](t, "deployment.yaml")

	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].APIGroups, []string{"coordination.k8s.io"}) ||
		!slices.Equal(role.Rules[0].Resources, []string{"leases"}) ||
		!slices.Equal(slices.Sorted(slices.Values(role.Rules[0].Verbs)), []string{"create", "get", "update"}) {
		t.Errorf("role rules %+v, want leases get, create, update in coordination.k8s.io", role.Rules)
	}
	if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name || len(rb.Subjects) != 1 ||
		rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != sa.Name || rb.Subjects[0].Namespace != namespace {
		t.Errorf("rolebinding %+v does not bind %s to %s", rb, role.Name, sa.Name)
	}

	spec := d.Spec.Template.Spec
	if r := d.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("replicas %s, want 2", fmtPtr(r))
	}
	if spec.ServiceAccountName != sa.Name {
		t.Errorf("serviceAccountName %q, want %q", spec.ServiceAccountName, sa.Name)
	}
	if pdb.Spec.Selector == nil || pdb.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != d.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Errorf("the disruption budget does not select the pods")
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container securityContext %+v", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v, want cpu and memory requests and a memory limit", c.Resources)
	}

	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["POD_NAMESPACE"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("POD_NAMESPACE %+v, want the downward API's metadata.namespace", e)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != secret.Name {
		t.Errorf("envFrom %+v, want the Secret %s", c.EnvFrom, secret.Name)
	}

	// Every variable the config reads comes from the Deployment or the
	// Secret, or has a default in the config.
	config := cm.Data["config.yaml"]
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z0-9_]+)(:-)?`).FindAllStringSubmatch(config, -1) {
		name, hasDefault := m[1], m[2] != ""
		_, inSecret := secret.StringData[name]
		if _, inEnv := env[name]; !inEnv && !inSecret && !hasDefault {
			t.Errorf("the config reads ${env:%s}, which neither the Deployment nor the Secret sets", name)
		}
	}
	for _, name := range []string{"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "SUMOLOGIC_HTTP_SOURCE_URL", "MSGTRACE_PG_DSN"} {
		v, ok := secret.StringData[name]
		if !ok || !strings.Contains(config, "${env:"+name) {
			t.Errorf("%s: in the Secret %v, read by the config %v; want both", name, ok, strings.Contains(config, "${env:"+name))
		}
		if !strings.Contains(v, "REPLACE") && v != "00000000-0000-0000-0000-000000000000" {
			t.Errorf("the Secret template's %s is not a placeholder", name)
		}
	}
	if !strings.Contains(config, "lease_namespace: ${env:POD_NAMESPACE") || !strings.Contains(config, "auth_type: serviceAccount") {
		t.Errorf("the config's lease is not in the pod's namespace through the service account")
	}

	// The config file and the health port the probes ask.
	var configMount string
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name {
					configMount = m.MountPath
				}
			}
		}
	}
	if configMount == "" || !slices.Contains(c.Args, "--config="+configMount+"/config.yaml") {
		t.Errorf("args %v do not name the ConfigMap's config.yaml (mounted at %q)", c.Args, configMount)
	}
	var healthPort int32
	for _, p := range c.Ports {
		if p.Name == "health" {
			healthPort = p.ContainerPort
		}
	}
	if healthPort != 13133 || !strings.HasSuffix(env["HEALTH_CHECK_ENDPOINT"].Value, ":13133") {
		t.Errorf("health port %d and HEALTH_CHECK_ENDPOINT %q, want 13133", healthPort, env["HEALTH_CHECK_ENDPOINT"].Value)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "health" {
			t.Errorf("%s probe %+v, want an httpGet on the health port", name, p)
		}
	}
}

func fmtPtr(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}
