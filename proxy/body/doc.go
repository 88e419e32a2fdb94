// Package body owns Veil's content codecs: the bytes of a message body between
// the wire and the detectors.
//
//   - WalkJSON validates a JSON document strictly (RFC 8259 grammar, UTF-8,
//     no duplicate member names, bounded nesting, nothing after the top value)
//     and visits every value in document order with its byte span and its
//     path, from which RFC 6901 pointers are made on demand.
//   - RewriteJSON re-encodes a document with values replaced by strings and
//     members or elements removed, copying every untouched byte as it was.
//   - ReadAll and Encode handle Content-Encoding (gzip, deflate, identity)
//     with limits before and after decoding; IsJSON says which bodies are
//     JSON by their media type.
//   - ParseXML, Walk and RewriteXML do the same for XML (Salesforce REST
//     XML, SOAP envelopes, Bulk API 1.0): a hand-written tokenizer that
//     refuses DTDs, entities other than XML's five, processing
//     instructions and mixed content, and rewrites an element's whole
//     content or an attribute in place.
//   - SplitMultipart and RewriteMultipart read and rewrite multipart
//     bodies part by part with every span; DecodeText and EncodeText take
//     a body's charset (a byte-order mark, UTF-16/32, Latin-1) off and put
//     it back; SplitJSONP finds the JSON in a JSONP answer; Sniff tells a
//     body's format from its first bytes.
//   - CSVSplitter, JSONSplitter and XMLSplitter cut a body too large to hold into chunks
//     of whole records (CSV rows; the elements of a JSON body's one big
//     array, each batch a document of the body's shape), which NewDecoder
//     and StreamEncoder decode and re-encode as they stream.
//
// The JSON code is a hand-written byte tokenizer: no encoding/json, no
// reflection, and no allocation per value once its pooled buffers are warm.
// It is the first code to touch untrusted bytes, so it refuses what it cannot
// read unambiguously (duplicate keys, invalid UTF-8) rather than guessing
// the way the CRM behind it might. Its errors carry a stable code and a byte
// offset, never the document's bytes.
package body
