//go:build package

package main

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestImage checks the tarball `make image` wrote (IMAGE_TAR): it validates
// (every digest and diff id matches its content), its config is what the
// README promises, and the binary taken out of its layer runs --version and
// validates the config shipped beside it.
func TestImage(t *testing.T) {
	path := os.Getenv("IMAGE_TAR")
	if path == "" {
		t.Fatal("IMAGE_TAR is not set: run `make package-test`")
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("image does not validate: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, cf)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Errorf("%d layers, want 2 (base: users, CA certificates, state directory; app: binary, config)", len(layers))
	}

	dir := t.TempDir()
	files := extract(t, img, dir, map[string]bool{binaryPath: true, configPath: true, "etc/passwd": true, "etc/ssl/certs/ca-certificates.crt": true})
	if fi := files[binaryPath]; fi == nil || fi.Mode&0o111 == 0 || fi.Uid != 0 {
		t.Errorf("/%s: %+v, want an executable owned by root", binaryPath, fi)
	}
	if fi := files[stateDir[1:]]; fi == nil || fi.Uid != uid || fi.Typeflag != tar.TypeDir {
		t.Errorf("%s: %+v, want a directory owned by uid %d", stateDir, fi, uid)
	}
	if passwd, _ := os.ReadFile(filepath.Join(dir, "etc/passwd")); !strings.Contains(string(passwd), "otelcol-messagetrace:x:10001:10001:") {
		t.Errorf("/etc/passwd lacks the image's user:\n%s", passwd)
	}
	if ca, _ := os.ReadFile(filepath.Join(dir, "etc/ssl/certs/ca-certificates.crt")); !strings.Contains(string(ca), "BEGIN CERTIFICATE") {
		t.Error("no CA certificates in /etc/ssl/certs/ca-certificates.crt")
	}

	bin := filepath.Join(dir, binaryPath)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`^otelcol-messagetrace version (\S+)\+([0-9a-f]+)`).FindStringSubmatch(string(out))
	if m == nil || m[1] != cf.Config.Labels["org.opencontainers.image.version"] ||
		!strings.HasPrefix(cf.Config.Labels["org.opencontainers.image.revision"], m[2]) {
		t.Errorf("--version %q does not match the labels version %q, revision %q", out,
			cf.Config.Labels["org.opencontainers.image.version"], cf.Config.Labels["org.opencontainers.image.revision"])
	}
	// The image's environment alone (run without its Secret): the shipped
	// config requires its credentials and destination, and names the
	// first one missing instead of starting against placeholders.
	cmd := exec.Command(bin, "validate", "--config="+filepath.Join(dir, configPath))
	cmd.Env = append(cf.Config.Env, "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err == nil || !regexp.MustCompile(`environment variable (EXCHANGE|SUMOLOGIC)_[A-Z_]+ is not set`).Match(out) {
		t.Errorf("validate without credentials: %v, want a failure naming the variable\n%s", err, out)
	}
	// With example credentials, as a configured container has them.
	cmd = exec.Command(bin, "validate", "--config="+filepath.Join(dir, configPath))
	cmd.Env = append(cf.Config.Env, "HOME="+dir,
		"EXCHANGE_TENANT_ID=00000000-0000-0000-0000-000000000001", "EXCHANGE_CLIENT_ID=00000000-0000-0000-0000-000000000002",
		"EXCHANGE_CLIENT_SECRET=example-client-secret", "SUMOLOGIC_HTTP_SOURCE_URL=https://collectors.sumologic.com/receiver/v1/http/EXAMPLE")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("validate the shipped config: %v\n%s", err, out)
	}
}

func checkConfig(t *testing.T, cf *v1.ConfigFile) {
	t.Helper()
	c := cf.Config
	want := map[string][2]string{
		"user":       {c.User, "10001:10001"},
		"entrypoint": {strings.Join(c.Entrypoint, " "), "/usr/bin/otelcol-messagetrace"},
		"cmd":        {strings.Join(c.Cmd, " "), "--config=/etc/otelcol-messagetrace/config.yaml"},
		"workdir":    {c.WorkingDir, stateDir},
		// The test runs the image's binary: it is this machine's.
		"os/arch": {cf.OS + "/" + cf.Architecture, "linux/" + runtime.GOARCH},
		"version": {c.Labels["org.opencontainers.image.version"], os.Getenv("DIST_VERSION")},
		"title":   {c.Labels["org.opencontainers.image.title"], "otelcol-messagetrace"},
		"source":  {c.Labels["org.opencontainers.image.source"], source},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("image %s: %q, want %q", k, v[0], v[1])
		}
	}
	if _, ok := c.Volumes[stateDir]; !ok {
		t.Errorf("volumes %v lack %s", c.Volumes, stateDir)
	}
	if _, ok := c.ExposedPorts[healthPort]; !ok {
		t.Errorf("exposed ports %v lack the health check's %s", c.ExposedPorts, healthPort)
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(c.Labels["org.opencontainers.image.revision"]) {
		t.Errorf("revision label %q is not a commit", c.Labels["org.opencontainers.image.revision"])
	}
	if !contains(c.Env, "HEALTH_CHECK_ENDPOINT=0.0.0.0:13133") {
		t.Errorf("env %q: health_check must listen beyond the container's loopback", c.Env)
	}
}

// extract writes the wanted files of the image's flattened filesystem under
// dir and returns the headers of every entry, by path.
func extract(t *testing.T, img v1.Image, dir string, want map[string]bool) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return headers
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		headers[name] = h
		if !want[name] {
			continue
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
