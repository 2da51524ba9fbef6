// Package components holds the distribution's own wrappers of upstream
// components, built into bin/otelcol-messagetrace by ocb
// (builder-config.yaml): each changes one behaviour of the upstream
// component and delegates the rest to it.
//
//   - strictenvprovider: the "env" confmap provider plus `${env:NAME:?message}`,
//     which stops the collector at startup when NAME is unset or empty.
//   - sumologicredactexporter: contrib's Sumo Logic exporter under its own
//     type, `sumologic`, whose logs and errors never carry the HTTP source's
//     URL (it holds the source's token).
package components
