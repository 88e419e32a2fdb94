// Package proxy wires Veil together (New, Serve) and is the pipeline's HTTP
// side (Inspector: formats, charsets, bounded reads, streaming, CRM-shaped
// refusals); proxy/pipeline decides each message, proxy/record records it.
package proxy
