// Package detailevents reads Microsoft Graph's detail events of one message
// trace row (getDetailsByRecipient: why a message failed, was quarantined
// or filtered as spam) and turns them into LogRecords, one per event, tied
// to their row. FIELDS.md documents every field and attribute.
package detailevents
