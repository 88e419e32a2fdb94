// Package metrics owns every Prometheus collector of Veil, registered by New
// on an injected Registerer under the namespace "veil", with units in the
// names and only bounded labels: never a user, a path or a value.
package metrics
