// Package inventory owns Veil's data inventory: the GDPR Art. 30 data map
// learned from live traffic. For every route, CRM object, field and
// category of personal data that the detectors found, it keeps how many
// findings were seen, in which directions (request: data about to be
// stored in the CRM; response: data read from it) and when the
// combination was first and last seen. It never holds a value: the
// pipeline hands it names (the CRM's field names such as "Email",
// "SSN__c", "properties.email") and counts, and a name that does not look
// like a field name (a JSON key that is itself a value, say an e-mail
// address or a number) is recorded as "[unnamed]" instead.
//
// Observe and ObserveBatch sit on the request path: one mutex, one map
// lookup per combination, no allocation once the combination is known.
// The inventory is bounded: at its maximum it refuses new combinations
// and counts the refusals (Report.Truncated), while known combinations
// keep counting.
//
// Cover keeps the coverage view beside the data map (coverage.go): per
// route, direction and body format, the messages and bytes Veil let
// through inspected, and those it passed unread, by reason. It is
// bounded by closed sets of formats, reasons and directions and by
// MaxCoverageRoutes route names; anything else counts as "other".
//
// Handler serves GET /admin/inventory as JSON (the data map under
// "entries", the coverage under "coverage"), or as aligned text tables
// with ?format=table; WriteTable is the same tables for the CLI (veil
// inventory), WriteCoverageTable the coverage alone.
//
// The inventory is per process unless WithRedis gives it the Redis the
// replicas share: then Run flushes the new counts periodically (HINCRBY
// counts and coverage counters, ZADD LT/GT first and last seen, in one
// MULTI/EXEC; never on the request path) and Handler serves the map and
// the coverage merged across replicas, falling back to this replica's own
// (saying so) when Redis fails.
package inventory
