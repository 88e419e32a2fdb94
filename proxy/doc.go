// Package proxy wires Veil together. New builds every stage from config;
// Serve runs the listeners. The flow of one exchange:
//
//	client ─► reverse (route, identity, purpose) ─► Inspector.InspectRequest
//	       ─► Pipeline.Process(request) ─► CRM
//	CRM ─► Inspector.InspectResponse ─► Pipeline.Process(response) ─► client
//
// Pipeline.Process is DESIGN.md's steps 2–5 for one decoded message: the JSON
// walk (proxy/body) yields string and number leaves with RFC 6901 pointers
// and their record (proxy/crm); the detectors find personal data; the policy
// engine is asked once; the transforms (proxy/transform) are applied while
// the body is re-encoded. Inspector is the HTTP side: bounded reads, gzip,
// fresh Content-Length, weak ETags, CRM-shaped refusals; a response over
// the limit is inspected a chunk of whole records at a time as the client
// reads it (stream.go). Everything that cannot be inspected but should be
// is refused (fail closed).
package proxy
