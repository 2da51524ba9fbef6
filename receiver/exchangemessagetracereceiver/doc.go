// Package exchangemessagetracereceiver collects Exchange Online message trace
// rows from Microsoft Graph or the legacy Reporting Web Service and emits them
// as logs. The time cursor moves only after the pipeline accepted the rows.
//
//go:generate go tool mdatagen metadata.yaml
package exchangemessagetracereceiver
