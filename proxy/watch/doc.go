// Package watch is Veil's behaviour watch (IDS/IPS): it counts what each
// principal and client IP does over sliding windows, raises alerts at the
// thresholds, and hands the counts to the policy as input.stats.
package watch
