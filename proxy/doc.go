// Package proxy wires Veil together. New builds every stage from config;
// Serve runs the listeners. The flow of one exchange:
//
//	client ─► reverse (route, identity, purpose) ─► Inspector.InspectRequest
//	       ─► Pipeline.Process(request) ─► CRM
//	CRM ─► Inspector.InspectResponse ─► Pipeline.Process(response) ─► client
//
// Pipeline.Process takes one decoded message through the middle of the
// flow: the walk of its format (proxy/body) yields values with RFC 6901 pointers
// and their record (proxy/crm); the detectors find personal data; the policy
// engine is asked once; the transforms (proxy/transform) are applied while
// the body is re-encoded. Inspector is the HTTP side: the body's format and
// charset (format.go), bounded reads, gzip,
// fresh Content-Length, weak ETags, CRM-shaped refusals; a response over
// the limit is inspected a chunk of whole records at a time as the client
// reads it (stream.go). A body Veil cannot read is the policy's to decide,
// told so (input body.inspected); everything else that cannot be
// inspected is refused (fail closed).
package proxy
