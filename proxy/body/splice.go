package body

// Splice replaces the scalar value doc[Start:End] (a string with its
// quotes, a number or a literal, as a WalkJSON of doc gave them) with a
// JSON string of Contents (raw: SpliceJSON quotes and escapes it).
type Splice struct {
	Start, End int
	Contents   []byte
}

// SpliceJSON appends doc to dst with each splice applied, copying
// everything else byte for byte: what RewriteJSON does with the same
// values in Edits.Replace, without walking the document again. The
// splices must be in increasing order of Start, not overlap, and name
// scalar values of a document that WalkJSON accepted; anything else is an
// *Error with code invalid_edit (Offset the splice's index) and dst is
// returned unchanged. dst must not share memory with doc.
func SpliceJSON(dst, doc []byte, splices []Splice) ([]byte, error) {
	prev := 0
	for i, s := range splices {
		if s.Start < prev || s.End <= s.Start || s.End > len(doc) {
			return dst, &Error{Code: CodeInvalidEdit, Offset: i}
		}
		prev = s.End
	}
	copied, out := 0, dst
	for _, s := range splices {
		out = append(out, doc[copied:s.Start]...)
		out = AppendJSONString(out, s.Contents)
		copied = s.End
	}
	return append(out, doc[copied:]...), nil
}
