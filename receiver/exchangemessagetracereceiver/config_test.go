package exchangemessagetracereceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, xconfmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "defaults")
	require.NoError(t, err)
	assert.Equal(t, apiGraph, cfg.API)
	assert.Equal(t, 5000, cfg.PageSize)
	assert.Equal(t, 80, cfg.MaxRequestsPer5m)
	assert.Equal(t, 5*time.Minute, cfg.PollInterval)
	assert.Equal(t, 24*time.Hour, cfg.Settle)
	assert.Equal(t, defaultGraphEndpoint, cfg.endpoint())
	assert.Equal(t, graphScope, cfg.scope())
	assert.Equal(t, 24*time.Hour, cfg.maxWindow())
	assert.Nil(t, cfg.StorageID)

	cfg, err = loadConfig(t, "full")
	require.NoError(t, err)
	assert.Equal(t, apiReporting, cfg.API)
	assert.Equal(t, "one-time-code", string(cfg.AuthorizationCode))
	assert.Equal(t, 90*time.Second, cfg.Timeout)
	assert.Equal(t, 2*time.Hour, cfg.maxWindow())
	assert.Equal(t, reportingScope, cfg.scope())
	assert.Equal(t, "https://login.microsoftonline.us", cfg.authorityHost())
	require.NotNil(t, cfg.StorageID)
	assert.Equal(t, "file_storage", cfg.StorageID.String())
}

func TestInvalidConfigNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		want []string // every fragment must appear in the error
	}{
		{"missing_tenant", []string{"tenant_id: required"}},
		{"unknown_api", []string{`api: "exchange" is not supported`, `"graph"`, `"reporting"`}},
		{"window_over_10_days", []string{"max_window", "10 days"}},
		{"page_size_zero", []string{"page_size: 0 is outside 1..5000"}},
		{"page_size_6000", []string{"page_size: 6000 is outside 1..5000"}},
		{"two_credentials", []string{"client_secret and certificate are set together"}},
		{"no_credential", []string{"credentials: none set"}},
		{"code_without_storage", []string{"authorization_code: needs storage"}},
		{"quota_over_microsoft", []string{"max_requests_per_5m: 150"}},
		{"settle_shorter_than_delay", []string{"settle: 1h0m0s must be longer than delay"}},
		{"bad_body_format", []string{"body_format"}},
		{"poll_too_fast", []string{"poll_interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "s3cr3t", "errors never carry the secret")
		})
	}
}
