// Package e2e drives real CRM clients through Veil: jsforce and
// @hubspot/api-client (pinned in testdata/e2e), in reverse and forward mode,
// against the fake CRM. It skips unless VEIL_E2E=1, which `make e2e` sets.
package e2e
