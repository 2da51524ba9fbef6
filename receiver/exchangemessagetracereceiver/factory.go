package exchangemessagetracereceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

// NewFactory returns the factory of the exchange_message_trace receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogsReceiver, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	httpCfg := confighttp.NewDefaultClientConfig()
	// A 5000-row page takes Microsoft 2-4 s; leave room for slow days.
	httpCfg.Timeout = 60 * time.Second
	return &Config{
		API:              apiGraph,
		ClientConfig:     httpCfg,
		InitialLookback:  24 * time.Hour,
		Delay:            5 * time.Minute,
		Settle:           24 * time.Hour,
		PollInterval:     5 * time.Minute,
		PageSize:         maxPageSize,
		MaxRequestsPer5m: 80,
		RetryOnFailure:   configretry.NewDefaultBackOffConfig(),
		FieldNames:       logmap.FieldNamesAPI,
		BodyFormat:       logmap.BodyMap,
		// Polls mostly wait for Microsoft (a page takes 2-4 s): 32 at once
		// keep two cores busy and poll 10,000 small tenants every 5 minutes,
		// while bounding the pages in memory (a 5000-row page is ~8 MB
		// decoded) to ~250 MB in the worst case of 32 large backfills.
		MaxConcurrentTenants: defaultMaxConcurrentTenants,
		// Default, not None: the key alone (`managed_identity:` or
		// `managed_identity: {}`) turns the credential on, as the key with
		// a client_id does.
		ManagedIdentity:  configoptional.Default(ManagedIdentityConfig{}),
		WorkloadIdentity: configoptional.Default(WorkloadIdentityConfig{}),
	}
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
