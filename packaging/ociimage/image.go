package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const (
	binaryName = "otelcol-messagetrace"
	binaryPath = "usr/bin/otelcol-messagetrace"
	configPath = "etc/otelcol-messagetrace/config.yaml"
	stateDir   = "/var/lib/otelcol-messagetrace"
	// uid and gid of the image's user; numeric in the config so that
	// Kubernetes' runAsNonRoot can check it.
	uid = 10001
	// healthPort is where health_check answers (HEALTH_CHECK_ENDPOINT below).
	healthPort = "13133/tcp"
	source     = "https://github.com/otelcol-messagetrace/otelcol-messagetrace"
)

type options struct {
	archive, arch, caBundle string
	version, revision, out  string
	repository              string
	created                 time.Time
}

// build writes the image: no base image, a layer with what any program
// needs (users, CA certificates, /tmp, the state directory) and one with
// the distribution.
func build(o options) error {
	rf, err := readRelease(o.archive)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(o.caBundle)
	if err != nil {
		return fmt.Errorf("CA bundle: %w (apt-get install ca-certificates)", err)
	}
	img, err := assemble(o, rf, ca)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(o.repository + ":" + o.version)
	if err != nil {
		return fmt.Errorf("-repository/-version: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	tmp := o.out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return err
	}
	return os.Rename(tmp, o.out)
}

func assemble(o options, rf releaseFiles, ca []byte) (v1.Image, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:otelcol-messagetrace:%s:/sbin/nologin\n", binaryName, uid, uid, stateDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", binaryName, uid)
	base, err := layer(o.created,
		entry{path: "etc", mode: 0o755, dir: true},
		entry{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		entry{path: "etc/group", mode: 0o644, data: []byte(group)},
		entry{path: "etc/ssl", mode: 0o755, dir: true},
		entry{path: "etc/ssl/certs", mode: 0o755, dir: true},
		entry{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca},
		entry{path: "tmp", mode: 0o1777, dir: true},
		entry{path: "var", mode: 0o755, dir: true},
		entry{path: "var/lib", mode: 0o755, dir: true},
		entry{path: stateDir[1:], mode: 0o750, uid: uid, gid: uid, dir: true},
	)
	if err != nil {
		return nil, err
	}
	app, err := layer(o.created,
		entry{path: "usr", mode: 0o755, dir: true},
		entry{path: "usr/bin", mode: 0o755, dir: true},
		entry{path: binaryPath, mode: 0o755, data: rf.binary},
		entry{path: "etc/otelcol-messagetrace", mode: 0o755, dir: true},
		entry{path: configPath, mode: 0o644, data: rf.config},
	)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, base, app)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = o.arch, "linux"
	cf.Created = v1.Time{Time: o.created}
	cf.Config = v1.Config{
		User:         fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint:   []string{"/" + binaryPath},
		Cmd:          []string{"--config=/" + configPath},
		WorkingDir:   stateDir,
		Volumes:      map[string]struct{}{stateDir: {}},
		ExposedPorts: map[string]struct{}{healthPort: {}},
		Env: []string{
			"PATH=/usr/bin",
			// The config's default (127.0.0.1) is unreachable from outside a
			// container: probes come in on the pod's address.
			"HEALTH_CHECK_ENDPOINT=0.0.0.0:13133",
			"STORAGE_DIR=" + stateDir,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":       binaryName,
			"org.opencontainers.image.description": "OpenTelemetry Collector with the Exchange Online message trace receiver",
			"org.opencontainers.image.version":     o.version,
			"org.opencontainers.image.revision":    o.revision,
			"org.opencontainers.image.source":      source,
			"org.opencontainers.image.created":     o.created.UTC().Format(time.RFC3339),
		},
		StopSignal: "SIGTERM",
	}
	return mutate.ConfigFile(img, cf)
}
