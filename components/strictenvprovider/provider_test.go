package strictenvprovider

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestRetrieve(t *testing.T) {
	t.Setenv("MSGTRACE_SET", "value")
	t.Setenv("MSGTRACE_EMPTY", "")
	cases := []struct {
		uri     string
		want    any    // the resolved value, when no error
		wantErr string // the whole error
		wantLog string // a log line's message
	}{
		{uri: "env:MSGTRACE_SET", want: "value"},
		{uri: "env:MSGTRACE_UNSET", want: nil, wantLog: "Configuration references unset environment variable"},
		{uri: "env:MSGTRACE_EMPTY", want: nil, wantLog: "Configuration references empty environment variable"},
		{uri: "env:MSGTRACE_SET:-fallback", want: "value"},
		{uri: "env:MSGTRACE_UNSET:-fallback", want: "fallback"},
		{uri: "env:MSGTRACE_EMPTY:-fallback", want: nil, wantLog: "Configuration references empty environment variable"}, // as upstream: only unset falls back
		{uri: "env:MSGTRACE_UNSET:-", want: nil},
		{uri: "env:MSGTRACE_SET:?the tenant", want: "value"},
		{uri: "env:MSGTRACE_UNSET:?the tenant (see the env file)", wantErr: "environment variable MSGTRACE_UNSET is not set: the tenant (see the env file)"},
		{uri: "env:MSGTRACE_EMPTY:?the tenant", wantErr: "environment variable MSGTRACE_EMPTY is empty: the tenant"},
		{uri: "env:MSGTRACE_UNSET:?", wantErr: "environment variable MSGTRACE_UNSET is not set: the configuration requires it"},
		{uri: "env:MSGTRACE_SET:x", wantErr: `environment variable "MSGTRACE_SET:x" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$`},
		{uri: "env:1BAD", wantErr: `environment variable "1BAD" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$`},
		{uri: "file:x", wantErr: `"file:x" uri is not supported by "env" provider`},
	}
	for _, tc := range cases {
		t.Run(tc.uri, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			p := NewFactory().Create(confmap.ProviderSettings{Logger: zap.New(core)})
			ret, err := p.Retrieve(context.Background(), tc.uri, nil)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := ret.AsRaw()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("value %#v, want %#v", got, tc.want)
			}
			if tc.wantLog != "" && logs.FilterMessage(tc.wantLog).Len() != 1 {
				t.Errorf("logs %v, want one %q", logs.All(), tc.wantLog)
			}
		})
	}
}

func TestScheme(t *testing.T) {
	p := NewFactory().Create(confmap.ProviderSettings{Logger: zap.NewNop()})
	if p.Scheme() != "env" {
		t.Errorf("scheme %q, want env: the provider replaces the upstream one", p.Scheme())
	}
}
