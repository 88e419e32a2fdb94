// Package inspect is the pipeline's HTTP side, shared by both listeners: it
// reads a body (bounded, decoded), runs it through proxy/pipeline and writes
// what comes back, streaming a response over the limit a chunk at a time.
package inspect
