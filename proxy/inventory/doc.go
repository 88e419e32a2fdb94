// Package inventory owns Veil's data inventory: the GDPR Art. 30 data map
// of which route, object, field and category carry personal data, and the
// coverage of what was inspected, learned from traffic (docs/soc.md).
package inventory
