// Package strictenvprovider is the collector's "env" confmap provider
// (go.opentelemetry.io/collector/confmap/provider/envprovider v1.51.0, same
// behaviour) plus the shell's `:?` form:
//
//	${env:NAME}             NAME's value; unset: empty, with a warning
//	${env:NAME:-default}    NAME's value; unset: default
//	${env:NAME:?message}    NAME's value; unset or empty: the collector does
//	                        not start, and says "NAME is not set: message"
//
// Why: a credential or destination left out of the environment (a container
// started without its Secret, an EnvironmentFile left blank) must stop the
// collector with the variable named, not start it against a placeholder
// tenant or an empty URL. The upstream provider has no such form in v1.51.0.
package strictenvprovider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
)

const schemeName = "env"

// validName is upstream's envvar.ValidationPattern (an internal package).
var validName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

type provider struct {
	logger *zap.Logger
}

// NewFactory returns the factory of the "env" provider; it replaces
// envprovider.NewFactory in the distribution (the scheme is the same).
func NewFactory() confmap.ProviderFactory {
	return confmap.NewProviderFactory(func(ps confmap.ProviderSettings) confmap.Provider {
		return &provider{logger: ps.Logger}
	})
}

// Retrieve resolves one ${env:...} reference.
func (p *provider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	if !strings.HasPrefix(uri, schemeName+":") {
		return nil, fmt.Errorf("%q uri is not supported by %q provider", uri, schemeName)
	}
	ref := parse(uri[len(schemeName)+1:])
	if !validName.MatchString(ref.name) {
		return nil, fmt.Errorf("environment variable %q has invalid name: must match regex %s", ref.name, validName)
	}
	val, exists := os.LookupEnv(ref.name)
	switch {
	case ref.required != nil && !exists:
		return nil, fmt.Errorf("environment variable %s is not set: %s", ref.name, ref.message())
	case ref.required != nil && val == "":
		return nil, fmt.Errorf("environment variable %s is empty: %s", ref.name, ref.message())
	case !exists && ref.fallback != nil:
		val = *ref.fallback
	case !exists:
		p.logger.Warn("Configuration references unset environment variable", zap.String("name", ref.name))
	case val == "":
		p.logger.Info("Configuration references empty environment variable", zap.String("name", ref.name))
	}
	return confmap.NewRetrievedFromYAML([]byte(val))
}

func (*provider) Scheme() string { return schemeName }

func (*provider) Shutdown(context.Context) error { return nil }

// reference is a parsed "NAME", "NAME:-default" or "NAME:?message".
type reference struct {
	name     string
	fallback *string // after ":-"
	required *string // after ":?"
}

func (r reference) message() string {
	if *r.required == "" {
		return "the configuration requires it"
	}
	return *r.required
}

// parse splits at the first ":-" or ":?" (a name has no colon); anything
// else stays in the name, which then fails validation, as upstream.
func parse(s string) reference {
	i := strings.Index(s, ":")
	if i < 0 || i+1 >= len(s) {
		return reference{name: s}
	}
	rest := s[i+2:]
	switch s[i+1] {
	case '-':
		return reference{name: s[:i], fallback: &rest}
	case '?':
		return reference{name: s[:i], required: &rest}
	}
	return reference{name: s}
}
