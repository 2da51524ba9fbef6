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
		Details: configoptional.Default(DetailsConfig{
			Statuses: []string{"failed", "quarantined", "filteredAsSpam"},
			// 30 of the default 80 leave the list calls 50 per 5 minutes:
			// a steady poll needs 1-3, a backfill of a million-row day
			// about 200 pages (20 minutes at 50). 30 lookups per 5 minutes
			// are 8,640 rows' details a day.
			MaxRequestsPer5m: 30,
			// About 29 hours of the default share; ~200 bytes each.
			MaxPending: 10000,
		}),
	}
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
