// Package audit records what Veil did, for the SOC and the DPO: audit
// events and alerts in hash-chained Redis streams and JSONL files, which
// never hold or log a value from a message (event.go is the contract).
package audit
