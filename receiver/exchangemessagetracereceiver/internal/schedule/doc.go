// Package schedule runs the polls of many tenants from one process. Each
// tenant polls once as soon as a slot is free after it is added, then every
// interval at its own phase: the phase is derived from the tenant id, so
// polls are spread across the interval (not fired together) and stay where
// they were across restarts and when other tenants come and go. WithBeat
// rounds phases down to a beat, so that tenants poll in small groups. At most
// Slots.Size polls work at once; each tenant has its own goroutine and its
// own failures, so a slow, throttled or broken tenant delays nobody else.
package schedule
