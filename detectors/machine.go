package detectors

import "bytes"

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
// bit per uppercase letter, as an index into A-Z0-5.
func salesforceID(v []byte) bool {
	if len(v) != 18 {
		return false
	}
	for _, c := range v {
		if !isDigit(c) && !isUpperOrLower(c) {
			return false
		}
	}
	for chunk := range 3 {
		if v[15+chunk] != idChecksum(v[chunk*5:chunk*5+5]) {
			return false
		}
	}
	return true
}

// idChecksum is the checksum character of five characters of an id.
func idChecksum(five []byte) byte {
	n := 0
	for i := 4; i >= 0; i-- {
		n <<= 1
		if c := five[i]; c >= 'A' && c <= 'Z' {
			n |= 1
		}
	}
	return "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[n]
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
func isoTime(v []byte) bool {
	if len(v) < 10 || !digitsIn(v[0:4], 0, 9999) || v[4] != '-' || !digitsIn(v[5:7], 1, 12) || v[7] != '-' || !digitsIn(v[8:10], 1, 31) {
		return false
	}
	v = v[10:]
	if len(v) == 0 {
		return true
	}
	if len(v) < 9 || v[0] != 'T' || !digitsIn(v[1:3], 0, 23) || v[3] != ':' || !digitsIn(v[4:6], 0, 59) || v[6] != ':' || !digitsIn(v[7:9], 0, 60) {
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
		return digitsIn(v[1:3], 0, 14) && digitsIn(v[3:5], 0, 59)
	case len(v) == 6:
		return digitsIn(v[1:3], 0, 14) && v[3] == ':' && digitsIn(v[4:6], 0, 59)
	}
	return false
}

// digitsIn reports whether b is all digits, their number in [lo, hi].
func digitsIn(b []byte, lo, hi int) bool {
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
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
