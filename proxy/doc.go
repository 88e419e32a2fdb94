// Package proxy wires Veil together: New builds every stage from the
// configuration, Serve runs the listeners. proxy/inspect is the pipeline's
// HTTP side, proxy/pipeline decides each message, proxy/record records it.
package proxy
