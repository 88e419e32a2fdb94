package detectors

import (
	"bytes"
	"encoding/binary"
)

// Machine values: what a CRM writes itself and no person types, which
// make up much of every record (ids, creation and modification times,
// record URLs) and which hold no personal data whatever their field. Scan
// recognises them whole, in one pass over a few dozen bytes, and returns
// no findings for them without running the prefilter or a detector,
// unless the field's name hints a category (a "Birthdate" holding a
// timestamp is still read). TestMachineValuesHoldNothing and
// FuzzMachineValuesHoldNothing hold this to what every detector finds.

// machineValue reports whether v is, as a whole, one of:
//   - a Salesforce record id: 18 letters and digits whose last three are
//     the case checksum of the first 15;
//   - an ISO 8601 date (2025-06-08) or timestamp (2025-06-08T21:14:48,
//     then optionally 1 to 9 digits of a second after a '.', then
//     optionally Z, ±hhmm or ±hh:mm), its fields in range;
//   - a Salesforce REST record URL, /services/data/v<n>.<n>/sobjects/
//     <API name>/<record id>, or a record's photo URL,
//     /services/images/photo/<record id>.
func machineValue(v []byte) bool {
	switch {
	case len(v) == 18:
		return salesforceID(v)
	case len(v) >= 10 && len(v) <= 35 && isDigit(v[0]):
		return isoTime(v)
	case len(v) > 40 && v[0] == '/':
		return recordURL(v)
	}
	return false
}

// salesforceID: 18 bytes, letters and digits, the checksum right. Each
// five characters of the 15-character id give one checksum character: a
// bit per uppercase letter, as an index into A-Z0-5. The bytes are read a
// word at a time (ids are a third of a record's values): every byte a
// letter or a digit, and the uppercase ones gathered into a bit mask, whose
// three five-bit pieces index the checksum characters.
func salesforceID(v []byte) bool {
	if len(v) != 18 {
		return false
	}
	// Bytes 0-15: the id and the first checksum character, which is a
	// letter or a digit when it is right, as the last two are.
	a, b := binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:])
	if !alnum8(a) || !alnum8(b) {
		return false
	}
	up := byteBits(upper8(a)) | byteBits(upper8(b))<<8
	return v[15] == idChecksumChars[up&31] && v[16] == idChecksumChars[up>>5&31] && v[17] == idChecksumChars[up>>10&31]
}

// Per-byte tests on a word of ASCII (no byte 0x80 or above, so that no
// sum carries into the next byte): the high bit of each byte that passes.
const highs = 0x8080808080808080

// in8 is the bytes of x in [lo, hi].
func in8(x uint64, lo, hi byte) uint64 {
	const ones = 0x0101010101010101
	return (x + uint64(0x80-lo)*ones) &^ (x + uint64(0x80-hi-1)*ones) & highs
}

func alnum8(x uint64) bool {
	lower := x | 0x2020202020202020 // letters in lower case
	return x&highs == 0 && in8(x, '0', '9')|in8(lower, 'a', 'z') == highs
}

func upper8(x uint64) uint64 { return in8(x, 'A', 'Z') }

// byteBits gathers the high bits of the bytes of m (nothing else set) into
// the low eight bits, byte i's as bit i.
func byteBits(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
}

const idChecksumChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// idChecksum is the checksum character of five characters of an id.
func idChecksum(five []byte) byte {
	n := 0
	for i := 4; i >= 0; i-- {
		n <<= 1
		if c := five[i]; c >= 'A' && c <= 'Z' {
			n |= 1
		}
	}
	return idChecksumChars[n]
}

// AppendSalesforceID appends the 18-character form of a 15-character
// Salesforce id (the id, then its case checksum), as the REST API writes
// ids. id must be 15 bytes.
func AppendSalesforceID(dst, id []byte) []byte {
	if len(id) != 15 {
		panic("detectors: a 15-character id is needed")
	}
	return append(append(dst, id...), idChecksum(id[0:5]), idChecksum(id[5:10]), idChecksum(id[10:15]))
}

// isoTime: yyyy-mm-dd, optionally Thh:mm:ss[.f{1,9}][Z|±hhmm|±hh:mm].
// The fixed fields are read two digits at a time (timestamps are a fifth
// of a record's values).
func isoTime(v []byte) bool {
	if len(v) < 10 || v[4] != '-' || v[7] != '-' || !num2In(v[0], v[1], 0, 99) || !num2In(v[2], v[3], 0, 99) ||
		!num2In(v[5], v[6], 1, 12) || !num2In(v[8], v[9], 1, 31) {
		return false
	}
	v = v[10:]
	if len(v) == 0 {
		return true
	}
	if len(v) < 9 || v[0] != 'T' || v[3] != ':' || v[6] != ':' || !num2In(v[1], v[2], 0, 23) || !num2In(v[4], v[5], 0, 59) || !num2In(v[7], v[8], 0, 60) {
		return false
	}
	v = v[9:]
	if len(v) > 0 && v[0] == '.' {
		n := 1
		for n < len(v) && isDigit(v[n]) {
			n++
		}
		if n == 1 || n > 10 {
			return false
		}
		v = v[n:]
	}
	switch {
	case len(v) == 0:
		return true
	case len(v) == 1:
		return v[0] == 'Z'
	case v[0] != '+' && v[0] != '-':
		return false
	case len(v) == 5:
		return num2In(v[1], v[2], 0, 14) && num2In(v[3], v[4], 0, 59)
	case len(v) == 6:
		return num2In(v[1], v[2], 0, 14) && v[3] == ':' && num2In(v[4], v[5], 0, 59)
	}
	return false
}

// num2In reports whether a and b are digits whose number is in [lo, hi].
func num2In(a, b byte, lo, hi int) bool {
	x, y := uint(a)-'0', uint(b)-'0'
	if x > 9 || y > 9 {
		return false
	}
	n := int(x*10 + y)
	return n >= lo && n <= hi
}

// recordURL: /services/data/v<digits>.<digit>/sobjects/<name>/<id>, the
// name an API name (a letter, then letters, digits and underscores, at
// most 80 bytes), or /services/images/photo/<id>; the id a Salesforce
// record id.
func recordURL(v []byte) bool {
	if id, ok := bytes.CutPrefix(v, []byte("/services/images/photo/")); ok {
		return salesforceID(id)
	}
	v, ok := bytes.CutPrefix(v, []byte("/services/data/v"))
	if !ok {
		return false
	}
	i := 0
	for i < len(v) && i < 3 && isDigit(v[i]) {
		i++
	}
	if i == 0 || i+2 > len(v) || v[i] != '.' || !isDigit(v[i+1]) {
		return false
	}
	if v, ok = bytes.CutPrefix(v[i+2:], []byte("/sobjects/")); !ok || len(v) < 1+1+18 || !isUpperOrLower(v[0]) {
		return false
	}
	name, id := v[:len(v)-19], v[len(v)-18:]
	if v[len(v)-19] != '/' || len(name) > 80 {
		return false
	}
	for _, c := range name {
		if !isDigit(c) && !isUpperOrLower(c) && c != '_' {
			return false
		}
	}
	return salesforceID(id)
}
