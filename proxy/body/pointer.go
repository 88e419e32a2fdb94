package body

// EscapePointerToken escapes one RFC 6901 reference token ("~" as "~0",
// "/" as "~1"), for pointers built outside the walkers.
func EscapePointerToken(s string) string { return escapePointer(s) }

// AppendPointerToken appends k to dst escaped as EscapePointerToken
// escapes it.
func AppendPointerToken(dst, k []byte) []byte { return appendEscaped(dst, k) }
