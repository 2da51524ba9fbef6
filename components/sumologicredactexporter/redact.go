package sumologicredactexporter

import (
	"net/url"
	"sort"
	"strings"
)

// redacted replaces a secret in logs and errors.
const redacted = "REDACTED"

// sumoPathWords are the path segments of Sumo Logic ingest URLs that are
// not the source's token: /receiver/v1/http/<token>,
// /receiver/v1/otlp/<token>/v1/logs.
var sumoPathWords = map[string]bool{
	"receiver": true, "v1": true, "http": true, "otlp": true,
	"logs": true, "metrics": true, "traces": true,
}

// minTokenLen is the shortest path segment taken for a token on its own: a
// real source's token is about a hundred characters, and replacing short
// words everywhere would garble the logs. Shorter tokens are still
// redacted wherever the URL or its path appears whole.
const minTokenLen = 8

// redactor replaces the source URL's secret parts in strings. Invariant:
// pairs are ordered longest secret first, so that a URL is replaced whole
// (keeping its scheme and host, which help an operator) before its token.
type redactor struct {
	pairs []string // old, new, ... for strings.NewReplacer
	olds  []string
	// replacer replaces pairs; built once, as building it costs more than
	// a replacement.
	replacer *strings.Replacer
}

// newRedactor derives what to hide from the configured endpoint: the URL
// as written and as Go prints it, its path (with and without escaping),
// the query, and each path segment that is not a Sumo Logic path word.
func newRedactor(endpoint string) *redactor {
	repl := map[string]string{}
	add := func(old, new string) {
		if old != "" && old != new {
			repl[old] = new
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Path == "" && u.RawQuery == "") {
		// Unparsable: hide it whole (the exporter refuses it anyway).
		add(endpoint, redacted)
		return build(repl)
	}
	var hidden []string
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "" {
			continue
		}
		if sumoPathWords[seg] {
			hidden = append(hidden, seg)
			continue
		}
		hidden = append(hidden, redacted)
		if len(seg) >= minTokenLen {
			add(seg, redacted)
			add(url.PathEscape(seg), redacted)
			add(url.QueryEscape(seg), redacted)
		}
	}
	safe := *u
	safe.User = nil
	safe.Path, safe.RawPath = "/"+strings.Join(hidden, "/"), ""
	if u.RawQuery != "" {
		safe.RawQuery = redacted
		add(u.RawQuery, redacted)
	}
	safeURL := safe.String()
	add(endpoint, safeURL)
	add(u.String(), safeURL)
	add(u.Path, safe.Path)
	add(u.EscapedPath(), safe.Path)
	return build(repl)
}

func build(repl map[string]string) *redactor {
	r := &redactor{}
	for old := range repl {
		r.olds = append(r.olds, old)
	}
	sort.Slice(r.olds, func(i, j int) bool {
		if len(r.olds[i]) != len(r.olds[j]) {
			return len(r.olds[i]) > len(r.olds[j])
		}
		return r.olds[i] < r.olds[j]
	})
	for _, old := range r.olds {
		r.pairs = append(r.pairs, old, repl[old])
	}
	r.replacer = strings.NewReplacer(r.pairs...)
	return r
}

// String returns s with every secret replaced.
func (r *redactor) String(s string) string {
	if !r.contains(s) {
		return s
	}
	return r.replacer.Replace(s)
}

func (r *redactor) contains(s string) bool {
	for _, old := range r.olds {
		if strings.Contains(s, old) {
			return true
		}
	}
	return false
}

// redactedError is err with the secrets taken out of its text. Unwrap keeps
// the chain, so that consumererror.IsPermanent and errors.As on the
// pipeline's side still see what the exporter returned.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Error returns err with a redacted text, or err itself when its text holds
// no secret.
func (r *redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !r.contains(msg) {
		return err
	}
	return &redactedError{err: err, msg: r.String(msg)}
}
