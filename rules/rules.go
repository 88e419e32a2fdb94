// Package rules is Veil's default policy bundle: Rego v1 modules in package
// veil, their *_test.rego tests, and data.json, the matrix a security team
// edits (README.md documents the input, the output and the matrix).
package rules

import "embed"

// FS holds the bundle's files at its root, embedded so that `veil serve`
// and `veil demo` work from any directory:
// policy.New(ctx, policy.Options{FS: rules.FS}) loads it.
//
//go:embed *.rego data.json input.schema.json
var FS embed.FS
