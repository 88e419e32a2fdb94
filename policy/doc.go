// Package policy owns Veil's embedded OPA engine: the contract with Rego
// (the Input and Decision types), bundle loading and reloads, the decision
// cache, and one evaluation per message; nothing of HTTP.
package policy
