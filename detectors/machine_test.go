package detectors

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMachineValueShapes(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"001D000000IqhSLIAZ", true}, // Salesforce's own example: 001D000000IqhSL
		{"003Dn0000000000IAA", true},
		{"003Dn0000000000AAA", false}, // checksum wrong
		{"001D000000IqhSL", false},    // the 15-character form: not taken
		{"001D000000IqhSLIAZ ", false},
		{"001D000000Iqh-LIAZ", false},
		{"2025-06-08", true},
		{"2025-06-08T21:14:48", true},
		{"2025-06-08T21:14:48Z", true},
		{"2025-06-08T21:14:48.000+0000", true},
		{"2025-06-08T21:14:48.123456789-05:30", true},
		{"2025-06-08T21:14:48.1234567890Z", false}, // 10 digits of a second
		{"2025-06-08T21:14:48.Z", false},
		{"2025-13-08", false},
		{"2025-06-32T21:14:48Z", false},
		{"2025-06-08T24:14:48Z", false},
		{"2025-06-08T21:14:48+1500", false},
		{"2025-06-08T21:14:48+05", false},
		{"2025-06-08 21:14:48", false},
		{"2025-06-08T21:14:48.000+0000 ", false},
		{"2025-06-08x", false},
		{"20250608", false},
		{"/services/data/v62.0/sobjects/Contact/003Dn0000000000IAA", true},
		{"/services/data/v62.0/sobjects/Passport_Number__c/a01Dn0000000000IAA", true},
		{"/services/data/v62.0/sobjects/Contact/003Dn0000000000AAA", false},
		{"/services/data/v62.0/sobjects/Contact/003Dn0000000000IAA?x=1", false},
		{"/services/data/v62.0/sobjects/Con-tact/003Dn0000000000IAA", false},
		{"/services/data/v62.0/sobjects//003Dn0000000000IAA", false},
		{"/services/data/v62.0/query/Contact/003Dn0000000000IAA", false},
		{"/services/data/v62/sobjects/Contact/003Dn0000000000IAA", false},
		{"/services/images/photo/003Dn0000000000IAA", true},
		{"/services/images/photo/jane@example.com0", false},
		{"jane.doe@example.com", false},
		{"", false},
	} {
		if got := machineValue([]byte(c.v)); got != c.want {
			t.Errorf("machineValue(%q) = %t, want %t", c.v, got, c.want)
		}
	}
}

func TestAppendSalesforceID(t *testing.T) {
	if got := string(AppendSalesforceID(nil, []byte("001D000000IqhSL"))); got != "001D000000IqhSLIAZ" {
		t.Errorf("got %q, want Salesforce's 001D000000IqhSLIAZ", got)
	}
	if got := string(AppendSalesforceID([]byte("x"), []byte("aaaaaBBBBBcCcCc"))); got != "xaaaaaBBBBBcCcCcA5K" {
		t.Errorf("got %q", got)
	}
}

// machineInstance builds a value of one of machineValue's shapes from r:
// its digits, letters, cases, lengths and offsets all drawn.
func machineInstance(r *rand.Rand) []byte {
	alnum := func(n int) []byte {
		const set = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		b := make([]byte, n)
		for i := range b {
			b[i] = set[r.IntN(len(set))]
			if r.IntN(3) == 0 { // digit-heavy ids (00300000012345…) as well
				b[i] = byte('0' + r.IntN(10))
			}
		}
		return b
	}
	id := func() []byte { return AppendSalesforceID(nil, alnum(15)) }
	switch r.IntN(4) {
	case 0:
		return id()
	case 1:
		v := fmt.Appendf(nil, "%04d-%02d-%02d", r.IntN(10000), 1+r.IntN(12), 1+r.IntN(31))
		if r.IntN(4) == 0 {
			return v
		}
		v = fmt.Appendf(v, "T%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(61))
		if n := r.IntN(10); n > 0 {
			v = append(v, '.')
			for range n {
				v = append(v, byte('0'+r.IntN(10)))
			}
		}
		sign := "+-"[r.IntN(2)]
		switch r.IntN(4) {
		case 1:
			v = append(v, 'Z')
		case 2:
			v = fmt.Appendf(v, "%c%02d%02d", sign, r.IntN(15), r.IntN(60))
		case 3:
			v = fmt.Appendf(v, "%c%02d:%02d", sign, r.IntN(15), r.IntN(60))
		}
		return v
	case 2:
		names := []string{"Contact", "Lead", "Passport__c", "SSN_Record__c", "Phone_Log__c", "Order", "Invoice__c", "DOB__c", "Tax_ID_9999__c"}
		return fmt.Appendf(nil, "/services/data/v%d.%d/sobjects/%s/%s", r.IntN(1000), r.IntN(10), names[r.IntN(len(names))], id())
	default:
		return fmt.Appendf(nil, "/services/images/photo/%s", id())
	}
}

// unhinted are field names the classifier hints nothing for, some with
// context words of their own.
var unhinted = []string{"Id", "AccountId", "CreatedDate", "url", "PhotoUrl", "Description", "Order_Ref__c", "X"}

// misread reports whether every finding in machine value v is one of the
// two false positives the detectors make in machine values, which not
// reading them removes:
//   - the phone detector reading a timestamp's seconds, fraction and
//     negative offset as one number ("07.844-0500" of
//     2025-06-08T21:14:07.844-0500, a UK mobile);
//   - the IBAN detector reading an id that starts with a country's code
//     and two digits as that country's IBAN (Fi09h1v694mG669BAC, mod 97
//     right by chance once in 97).
func misread(v []byte, got []Finding) bool {
	for _, f := range got {
		timestamp := len(v) >= 20 && v[10] == 'T' && f.Detector == "phone" && f.Start >= 17
		id := f.Detector == "iban" && f.End-f.Start == 18 && salesforceID(v[f.Start:f.End])
		if !timestamp && !id {
			return false
		}
	}
	return true
}

// Every machine value holds nothing for the detectors: running all of
// them, without the prefilter, finds nothing in any unhinted field but
// what they misread; in a hinted field the value is read as any other.
func TestMachineValuesHoldNothing(t *testing.T) {
	all := NewScanner(Default())
	all.exhaustive = true
	sc := NewScanner(Default())
	r := rand.New(rand.NewPCG(7, 11))
	const n = 50_000
	misreads := 0
	for range n {
		v := machineInstance(r)
		if !machineValue(v) {
			t.Fatalf("the generator built %q, which is no machine value", v)
		}
		for _, name := range unhinted {
			f := ClassifyField(name)
			if f.Hint != "" {
				t.Fatalf("%s is hinted %s", name, f.Hint)
			}
			if got := all.Scan(nil, v, f); len(got) != 0 {
				if !misread(v, got) {
					t.Fatalf("every detector on %q in %s finds %+v: it is no machine value", v, name, got)
				}
				misreads++
			}
		}
		for _, name := range []string{"Birthdate", "SSN__c", "Phone"} {
			f := ClassifyField(name)
			if got, want := sc.Scan(nil, v, f), all.Scan(nil, v, f); !slices.Equal(got, want) {
				t.Fatalf("%q in hinted %s: %+v, every detector finds %+v", v, name, got, want)
			}
		}
	}
	t.Logf("%d machine values, %d misread (a timestamp as a phone number, an id as an IBAN)", n, misreads)
}

// FuzzMachineValuesHoldNothing: TestMachineValuesHoldNothing's check over
// instances the fuzzer draws.
func FuzzMachineValuesHoldNothing(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	all := NewScanner(Default())
	all.exhaustive = true
	f.Fuzz(func(t *testing.T, a, b uint64) {
		v := machineInstance(rand.New(rand.NewPCG(a, b)))
		if !machineValue(v) {
			t.Fatalf("the generator built %q, which is no machine value", v)
		}
		for _, name := range unhinted {
			if got := all.Scan(nil, v, ClassifyField(name)); len(got) != 0 && !misread(v, got) {
				t.Fatalf("every detector on %q in %s finds %+v", v, name, got)
			}
		}
	})
}

// The two misreadings machine values end, through the scanner as Veil
// runs it: a timestamp whose seconds, fraction and offset made a UK
// mobile number was masked as a phone, an id that passed as a Finnish
// IBAN as an IBAN.
func TestMachineValuesAreNotMisread(t *testing.T) {
	sc := NewScanner(Default())
	all := NewScanner(Default())
	all.exhaustive = true
	for _, c := range []struct{ v, field, was string }{
		{"2025-06-08T21:14:07.844-0500", "LastModifiedDate", "phone"},
		{"/services/data/v62.0/sobjects/SSN_Record__c/Fi09h1v694mG669BAC", "url", "iban"},
	} {
		f := ClassifyField(c.field)
		before := all.Scan(nil, []byte(c.v), f)
		if len(before) != 1 || before[0].Detector != c.was {
			t.Fatalf("%q: every detector finds %+v, want the %s misreading this test is about", c.v, before, c.was)
		}
		if got := sc.Scan(nil, []byte(c.v), f); len(got) != 0 {
			t.Errorf("%q in %s: %+v", c.v, c.field, got)
		}
	}
}

// salesforceIDRef and isoTimeRef are salesforceID and isoTime before their
// table and two-digit fast paths: the reference FuzzMachineValueMatchesReference
// holds them to.
// salesforceIDRef: 18 bytes, letters and digits, the checksum right. Each
// five characters of the 15-character id give one checksum character: a
// bit per uppercase letter, as an index into A-Z0-5.
func salesforceIDRef(v []byte) bool {
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

// isoTimeRef: yyyy-mm-dd, optionally Thh:mm:ss[.f{1,9}][Z|±hhmm|±hh:mm].
func isoTimeRef(v []byte) bool {
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

// FuzzMachineValueMatchesReference: the fast salesforceID and isoTime say
// what the references say, on any bytes.
func FuzzMachineValueMatchesReference(f *testing.F) {
	for _, s := range []string{"003Dn0000000007IAA", "003dn0000000007IAA", "2024-03-08T09:21:44.000+0000", "2025-07-08",
		"2025-13-08", "2025-06-08T24:00:00Z", "2025-06-08T21:14:02+14:59", "0000-01-01", "2025-06-08T21:14:02.1234567890Z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := salesforceID(v), salesforceIDRef(v); got != want {
			t.Fatalf("salesforceID(%q) = %v, the reference says %v", v, got, want)
		}
		if got, want := isoTime(v), isoTimeRef(v); got != want {
			t.Fatalf("isoTime(%q) = %v, the reference says %v", v, got, want)
		}
	})
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

// TestSalesforceIDMatchesReference holds the word-at-a-time salesforceID to
// the reference on ids with the right checksum and on each of them with
// one byte set to every value (the bytes next to the letters and digits
// among them: '/', ':', '@', '[', '`', '{', 0x80 and up).
func TestSalesforceIDMatchesReference(t *testing.T) {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		id := make([]byte, 15, 18)
		for i := range id {
			id[i] = alnum[r.IntN(len(alnum))]
		}
		id = append(id, idChecksum(id[0:5]), idChecksum(id[5:10]), idChecksum(id[10:15]))
		if !salesforceID(id) || !salesforceIDRef(id) {
			t.Fatalf("%q: fast %v, reference %v, want both true", id, salesforceID(id), salesforceIDRef(id))
		}
		pos := r.IntN(18)
		for c := range 256 {
			v := append([]byte(nil), id...)
			v[pos] = byte(c)
			if got, want := salesforceID(v), salesforceIDRef(v); got != want {
				t.Fatalf("salesforceID(%q) = %v, the reference says %v", v, got, want)
			}
		}
	}
}
