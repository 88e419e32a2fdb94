package body

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
)

// Form is the application/x-www-form-urlencoded shape (OAuth token
// requests, legacy web-to-lead posts): name=value pairs joined by '&',
// '+' for a space, %XX escapes, read as net/url's ParseQuery reads them
// (but ';' is an ordinary byte, where ParseQuery refuses it). A value is
// addressed as /<name> and a name met again as /<name>/<k> for its k-th
// repeat (k from 1), the decoded name RFC 6901-escaped: n=1&n=2&n=3 is
// /n, /n/1 and /n/2.

// CodeInvalidForm is a malformed percent escape: '%' not followed by two
// hex digits.
const CodeInvalidForm = "invalid_form"

// FormField is one pair met during WalkForm. A FormField and its slices
// belong to the walk and are only valid during the callback: Name and
// Value are the document's own bytes when they hold no '%' or '+', and
// otherwise decoded into a scratch buffer the walk reuses for the next
// pair. Copy what you keep.
type FormField struct {
	Index int // 0-based position among the non-empty pairs
	// Name is the decoded name: empty but non-nil for "=v".
	Name []byte
	// Value is the decoded value: nil for a pair without '=', empty but
	// non-nil for "n=".
	Value []byte
	// Start and End are the raw span of the pair in the document, without
	// its '&'. Start is how RewriteForm's edits name the pair.
	Start, End int
	repeat     int // how many earlier pairs had this name
}

// Pointer returns the field's pointer: /<name> the first time a name
// appears, /<name>/<k> for its k-th repeat (k from 1), "~" and "/" in the
// name escaped as "~0" and "~1". It allocates: call it only for the fields
// you keep.
func (f *FormField) Pointer() string {
	b := make([]byte, 0, 8+len(f.Name))
	b = appendEscaped(append(b, '/'), f.Name)
	if f.repeat > 0 {
		b = strconv.AppendInt(append(b, '/'), int64(f.repeat), 10)
	}
	return string(b)
}

// WalkForm calls fn for every non-empty pair of doc, in order; empty pairs
// (a=1&&b=2, a trailing '&') are skipped. A pair without '=' has a nil
// Value; a name or value may hold '=' after the first. A malformed escape
// ('%' not followed by two hex digits) is an *Error with CodeInvalidForm
// and the offset of its '%'; an error from fn stops the walk and is
// returned as is. Where net/url's ParseQuery reads doc, WalkForm reads the
// same pairs; it also reads names and values holding ';'.
//
// A form has no nesting, so there is no Limits to pass; its size is
// bounded where it is read (ReadAll). Once its pooled buffers are warm the
// walk allocates nothing per pair.
func WalkForm(doc []byte, fn func(f *FormField) error) error {
	w := formWalkers.Get().(*formWalker)
	defer putFormWalker(w)
	return w.run(doc, fn)
}

// formWalker holds what a walk reuses: the scratch of decoded names and
// values, and the count of each name met so far.
type formWalker struct {
	f       FormField
	scratch []byte
	// seen counts names by a seeded 64-bit hash: no copy of each name, and
	// two names collide (the later reads as a repeat) with a chance of
	// 2^-64 per pair of distinct names, under a seed no sender can know.
	seen map[uint64]int
	seed maphash.Seed
}

// maxPooledFormNames: a table that counted more names is dropped rather
// than cleared for every later walk.
const maxPooledFormNames = 256

var formWalkers = sync.Pool{New: func() any { return newFormWalker() }}

func newFormWalker() *formWalker {
	return &formWalker{seen: make(map[uint64]int, 16), seed: maphash.MakeSeed()}
}

func putFormWalker(w *formWalker) {
	w.reset()
	formWalkers.Put(w)
}

// reset readies w for another walk, keeping its buffers unless one huge
// form grew them.
func (w *formWalker) reset() {
	if cap(w.scratch) > maxPooledBytes {
		w.scratch = nil
	}
	if len(w.seen) > maxPooledFormNames {
		w.seen = make(map[uint64]int, 16)
	} else {
		clear(w.seen)
	}
	w.f = FormField{}
}

func (w *formWalker) run(doc []byte, fn func(*FormField) error) error {
	f := &w.f
	index := 0
	for pos := 0; pos <= len(doc); {
		end := len(doc)
		if i := bytes.IndexByte(doc[pos:], '&'); i >= 0 {
			end = pos + i
		}
		if end == pos {
			pos++
			continue
		}
		eq := end
		if i := bytes.IndexByte(doc[pos:end], '='); i >= 0 {
			eq = pos + i
		}
		w.scratch = w.scratch[:0]
		name, inScratch, err := w.decode(doc, pos, eq)
		if err != nil {
			return err
		}
		var value []byte
		if eq < end {
			if value, _, err = w.decode(doc, eq+1, end); err != nil {
				return err
			}
			if inScratch {
				// Decoding the value may have moved the scratch.
				name = w.scratch[:len(name):len(name)]
			}
		}
		h := maphash.Bytes(w.seed, name)
		repeat := w.seen[h]
		w.seen[h] = repeat + 1
		*f = FormField{Index: index, Name: name, Value: value, Start: pos, End: end, repeat: repeat}
		if err := fn(f); err != nil {
			return err
		}
		index++
		pos = end + 1
	}
	return nil
}

// decode returns doc[from:to] decoded: the document's bytes when it holds
// no '%' or '+', else the decoded bytes appended to w.scratch (inScratch).
// The slice's capacity ends with it, so a caller's append cannot write
// over the document or the scratch.
func (w *formWalker) decode(doc []byte, from, to int) (s []byte, inScratch bool, err error) {
	i := from
	for i < to && doc[i] != '%' && doc[i] != '+' {
		i++
	}
	if i == to {
		return doc[from:to:to], false, nil
	}
	start := len(w.scratch)
	b := append(w.scratch, doc[from:i]...)
	for ; i < to; i++ {
		switch c := doc[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= to {
				w.scratch = b
				return nil, false, &Error{Code: CodeInvalidForm, Offset: i}
			}
			hi, lo := unhex(doc[i+1]), unhex(doc[i+2])
			if hi < 0 || lo < 0 {
				w.scratch = b
				return nil, false, &Error{Code: CodeInvalidForm, Offset: i}
			}
			b = append(b, byte(hi<<4|lo))
			i += 2
		default:
			b = append(b, c)
		}
	}
	w.scratch = b
	return b[start:len(b):len(b)], true, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// RewriteForm appends doc to dst with edits applied, keyed by the Start of
// pairs from a WalkForm of the same document: the pairs in drop (mapped to
// true) are removed with one '&' next to them, and the values of the pairs
// in replace are set to the given raw bytes, escaped as url.QueryEscape
// does (a space as '+'); a pair without '=' gains one. Drop wins over
// Replace. Everything else (names, untouched pairs, empty pairs, the other
// separators) is copied byte for byte; with no edits at all doc is copied
// without being read.
//
// The document is walked again and refused as WalkForm refuses it. An
// offset that starts no pair is an *Error with CodeInvalidEdit and that
// offset (the smallest, if several). On error it returns nil. dst must not
// share memory with doc.
func RewriteForm(dst, doc []byte, replace map[int][]byte, drop map[int]bool) ([]byte, error) {
	if len(replace) == 0 && len(drop) == 0 {
		return append(dst, doc...), nil
	}
	// The walk meets pairs in order of Start: a sorted list of the edited
	// offsets is matched in step, with no map lookup for untouched pairs.
	offs := make([]int, 0, len(replace)+len(drop))
	for off := range replace {
		offs = append(offs, off)
	}
	for off := range drop {
		offs = append(offs, off)
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)

	base := len(dst)
	copied := 0 // doc[:copied] is written or deliberately left out
	next := 0   // offs[next] is the next edit to meet
	err := WalkForm(doc, func(f *FormField) error {
		if next == len(offs) {
			return nil
		}
		switch off := offs[next]; {
		case off < f.Start:
			return &Error{Code: CodeInvalidEdit, Offset: off}
		case off > f.Start:
			return nil
		}
		next++
		if drop[f.Start] {
			dst = append(dst, doc[copied:f.Start]...)
			if f.End < len(doc) {
				copied = f.End + 1 // the pair and the '&' after it
				return nil
			}
			// The last pair: take back the '&' before it, if written. A
			// raw '&' in the output is always a separator: names are
			// copied raw and values escaped.
			copied = f.End
			if n := len(dst); n > base && dst[n-1] == '&' {
				dst = dst[:n-1]
			}
			return nil
		}
		v, ok := replace[f.Start]
		if !ok {
			return nil // in drop, but mapped to false
		}
		eq := f.Start + bytes.IndexByte(doc[f.Start:f.End], '=')
		if eq < f.Start {
			eq = f.End
		}
		dst = append(dst, doc[copied:eq]...)
		dst = append(dst, '=')
		dst = appendFormEscaped(dst, v)
		copied = f.End
		return nil
	})
	if err == nil && next < len(offs) {
		err = &Error{Code: CodeInvalidEdit, Offset: offs[next]}
	}
	if err != nil {
		return nil, err
	}
	return append(dst, doc[copied:]...), nil
}

// appendFormEscaped appends v escaped as url.QueryEscape escapes it,
// without the string round trip.
func appendFormEscaped(dst, v []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}
