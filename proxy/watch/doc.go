// Package watch is Veil's behaviour watch (IDS/IPS): it counts, per
// principal and per client IP, what the messages going through the
// pipeline do over sliding windows, raises an alert when a count reaches
// its threshold, and hands the counts to the policy as input.stats so
// that Rego can refuse the next message (IPS).
//
// Detectors (thresholds and windows from config.Watch; a count
// "reaches" its threshold when it is >= it, as the default bundle's rules
// compare stats):
//
//	kind (audit.Alert*)  severity  counts                                   window
//	brute_force          high      401/403 from the CRM, per principal       brute_force.window
//	                               and per IP, threshold brute_force.failures
//	bulk_export          high      records with personal data in responses   bulk_export.window
//	                               read per principal, bulk_export.records
//	category_spike       medium    values of spike.categories (summed, both  spike.window
//	                               directions) per principal, spike.values
//	inference_probe      high      request predicates testing a field the    inference_probe.window
//	                               principal cannot read in clear (the
//	                               decision's probes), inference_probe.probes
//
// Stats keys (stable, documented in rules/README.md): principal_pii_records,
// principal_auth_failures, ip_auth_failures, principal_sensitive_values,
// principal_probes — always all five, 0 for an empty principal or IP. They are the counts at
// the time of the call: the current message is counted by Observe, after.
//
// Alerts fire once per subject (principal or IP) and kind per window: in
// memory per replica; with Redis a SET NX EX key elects one replica, so
// that replicas sharing a Redis raise one alert between them. The
// brute-force units of one message's principal and IP crossing together
// make one alert. Evidence holds only counts and thresholds: the Stat*
// key of the count(s), "threshold" and "window_seconds". The message text
// holds no value; principal and IP go in their fields. Alerts are handed
// to the callback given to New and counted in veil_alerts_total.
//
// Windows are 20 sub-buckets: a count is the sum of the last 20 buckets
// (the current one included), i.e. over 95 to 100 % of the window. The
// bucket of a moment is its Unix time divided by the bucket's length, so
// replicas sharing Redis need clocks that agree within a bucket.
//
// Memory: every replica keeps its own windows, a map bounded to
// DefaultMaxSubjects units (one counter of one subject), least recently
// used evicted first, keyed by a truncated SHA-256 of the subject, so a
// flood of random principals or IPs costs at most that much memory
// (about 360 bytes a unit measured, some 12 MB at the default bound). A flood can evict a real subject's local
// counts; the shared windows in Redis are not affected.
//
// Redis (a non-nil client): the windows are shared by every replica, one
// key per sub-bucket, <prefix>{<hex of 16 bytes of SHA-256 of the
// subject>}:<pa|ia|pr|ps|pp>:<bucket index>, INCRBY then PEXPIRE window +
// one bucket; prefix is config.Watch.Prefix, default "veil:watch:"
// (without braces: the braces are the Cluster hash tag that keeps one
// subject's keys in one slot). Keys carry no identifier; note that an
// unkeyed hash of an IP can be found again by trying every address.
//
//   - Stats makes at most one round trip (a pipeline of one MGET for the
//     principal, one for the IP) bounded by DefaultStatsTimeout, and
//     returns, per key, the larger of the shared count and this replica's
//     own (which covers increments not yet written, and a Redis that lost
//     its keys). One read serves the same principal and IP for
//     DefaultStatsFresh (250 ms): a busy principal costs one round trip per
//     250 ms, not one per message, and the other replicas' counts reach
//     this replica's decisions up to 250 ms later (its own at once).
//   - Observe never waits for Redis: it updates this replica's windows and
//     queues the increments (bounded queue; when full the observation is
//     counted locally only and veil_watch_store_errors_total{op="queue_full"}
//     counts it) for a writer goroutine that pipelines them in batches,
//     reads the touched windows back in the same pipeline and elects the
//     alerts.
//   - A failure (op="stats" or "observe" in veil_watch_store_errors_total,
//     logged once, without values) opens a breaker: no Redis call on the
//     request path and no writes until the writer's PING succeeds; the
//     probes are spaced by a backoff doubling from 1 s to 30 s. Meanwhile
//     Stats and the alerts use this replica's counts; increments made
//     meanwhile are not replayed to Redis.
//
// Disabled: Stats returns nil and Observe does nothing. A nil *Watch
// behaves as disabled.
package watch
