package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, options{addr: "127.0.0.1:0", dir: dir, namespaces: []string{"otel"}}, &out) }()

	kubeconfig := filepath.Join(dir, "kubeconfig")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fi, err := os.Stat(kubeconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig %v %v, want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(rc)
	_, err = cs.CoordinationV1().Leases("otel").Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "l"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("a")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Contains(s, rc.BearerToken) || !strings.Contains(s, kubeconfig) {
		t.Fatalf("output names the token or not the kubeconfig:\n%s", s)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    options
		wantErr string
	}{
		{args: nil, want: options{addr: "127.0.0.1:16443", dir: ".kube-lease-api"}},
		{args: []string{"-addr", "[::1]:0", "-dir", "d", "-namespaces", "otel, default"}, want: options{addr: "[::1]:0", dir: "d", namespaces: []string{"otel", "default"}}},
		{args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.addr != tt.want.addr || got.dir != tt.want.dir || strings.Join(got.namespaces, ",") != strings.Join(tt.want.namespaces, ",") {
			t.Errorf("%v: %+v %v, want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	err := serve(context.Background(), options{addr: "0.0.0.0:0", dir: t.TempDir()}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("got %v, want a loopback error", err)
	}
}
