// Package pipeline takes one decoded message through the middle of the flow:
// walk its format, detect, one policy decision, transforms and the vault. It
// knows nothing of HTTP and records nothing: the caller records its Result.
package pipeline
