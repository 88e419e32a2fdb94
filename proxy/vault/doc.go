// Package vault is Veil's tokenization vault: it replaces a sensitive
// value with a deterministic token before it reaches the CRM, puts the
// value back for authorised readers, and erases it on request (docs/vault.md).
package vault
