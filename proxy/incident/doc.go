// Package incident turns audit events into an incident report for one
// principal or client IP address: what it touched, what it saw in clear,
// and which breach-notification clocks start (docs/soc.md).
package incident
