// Command kube-lease-api runs the fake Kubernetes Lease API
// (simulator/kubelease) for end-to-end tests and demos of high
// availability: collectors with the k8s_leader_elector extension
// (auth_type: kubeConfig) elect their leader through it.
//
//	kube-lease-api [-addr 127.0.0.1:16443] [-dir .kube-lease-api] [-namespaces otel,default]
//
// It writes DIR/kubeconfig (mode 0600; point KUBECONFIG at it) and
// DIR/ca.pem, prints where it listens, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/kubelease"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kube-lease-api:", err)
		os.Exit(1)
	}
}

type options struct {
	addr       string
	dir        string
	namespaces []string
}

func run(args []string, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	return serve(ctx, o, out)
}

func parseFlags(args []string) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("kube-lease-api", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:16443", "HTTPS listen address (loopback only)")
	fs.StringVar(&o.dir, "dir", ".kube-lease-api", "directory for kubeconfig and ca.pem")
	fs.Func("namespaces", "comma-separated namespaces that exist (default: any)", func(v string) error {
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				o.namespaces = append(o.namespaces, ns)
			}
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (every setting is a flag; see -h)", fs.Args())
	}
	return o, nil
}

// serve runs the server until ctx ends. The files are in place before the
// "listening" line is printed, so a test may wait for either.
func serve(ctx context.Context, o options, out io.Writer) error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("-dir: %w", err)
	}
	s, err := kubelease.Start(kubelease.Config{Addr: o.addr, Namespaces: o.namespaces})
	if err != nil {
		return err
	}
	defer s.Close()
	kubeconfig, err := filepath.Abs(filepath.Join(o.dir, "kubeconfig"))
	if err != nil {
		return err
	}
	caFile := filepath.Join(filepath.Dir(kubeconfig), "ca.pem")
	if err := s.WriteCA(caFile); err != nil {
		return fmt.Errorf("writing %s: %w", caFile, err)
	}
	// Written aside and renamed: a reader never sees half a kubeconfig.
	if err := s.WriteKubeconfig(kubeconfig + ".new"); err != nil {
		return fmt.Errorf("writing %s: %w", kubeconfig, err)
	}
	if err := os.Rename(kubeconfig+".new", kubeconfig); err != nil {
		return err
	}
	ns := "any"
	if len(o.namespaces) > 0 {
		ns = strings.Join(o.namespaces, ",")
	}
	fmt.Fprintf(out, "kube-lease-api listening on %s\n  kubeconfig  %s  (KUBECONFIG for auth_type: kubeConfig)\n  ca          %s\n  namespaces  %s\n  admin       %s/admin/leases\n",
		s.URL, kubeconfig, caFile, ns, s.URL)
	<-ctx.Done()
	return s.Close()
}
