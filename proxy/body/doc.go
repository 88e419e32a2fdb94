// Package body owns Veil's content codecs, the bytes of a message body
// between the wire and the detectors: JSON, XML, multipart, charsets,
// Content-Encoding and the splitters that stream bodies too large to hold.
package body
