// Package policy owns Veil's embedded OPA engine: step 4 ("decide") of the
// pipeline, one evaluation per message.
//
// It owns the contract with Rego, the Input and Decision types, and nothing
// of HTTP. An Engine loads a bundle from an fs.FS (the built-in rules.FS or
// a directory): Rego v1 modules plus data.json, whose configuration lives
// under data.veil_config. It compiles them once with network built-ins
// removed from the capabilities (http.send, net.lookup_ip_addr, opa.runtime
// do not compile), prepares data.veil.decision once, and swaps the prepared
// query through an atomic.Pointer on Reload, so a broken bundle never
// replaces a working one.
//
// Input.Body says what Veil could read of the message's body: its format,
// whether every byte was inspected, why not, and whether the route
// declares the response a file download. It is always part of the
// decision cache's key. Its zero value is "not inspected": the default
// bundle refuses a message whose caller never described its body.
//
// Decide converts the Input to an ast.Value directly (no JSON round trip),
// evaluates, and decodes the output strictly: unknown keys, unknown actions
// or a missing "allow" are errors wrapping ErrEvaluation, as are evaluation
// failures and an undefined decision. The caller fails closed. Errors carry
// error codes and policy locations, never an input value. Every Decision
// gets a fresh random id and the bundle revision for the audit trail.
//
// RunTests runs a bundle's *_test.rego files through OPA's tester; `go test
// ./policy` runs the default bundle's tests that way (rego_test.go).
package policy
