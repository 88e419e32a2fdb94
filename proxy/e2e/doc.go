// Package e2e drives real CRM clients through Veil: jsforce (Salesforce)
// and @hubspot/api-client, pinned in testdata/e2e/package-lock.json, run by
// node against the fake CRM (cmd/fakecrm/fakecrm) behind an in-process
// Veil, in reverse mode (Veil as the clients' base URL) and in forward mode
// (Veil as their HTTPS proxy, the fake CRM answering as login.salesforce.com
// and api.hubapi.com on loopback). The scripts in testdata/e2e assert what
// each principal sees and how refusals surface in each client.
//
// The test skips unless VEIL_E2E=1; `make e2e` installs the clients with
// npm ci and sets it.
package e2e
