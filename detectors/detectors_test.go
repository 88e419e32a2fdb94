package detectors

import (
	"testing"
	"unsafe"
)

// scanCase is one value in one field and the category of the single
// finding the default scanner must report ("" for none).
type scanCase struct {
	v, field, want string
}

func checkScan(t *testing.T, cases []scanCase) {
	t.Helper()
	s := NewScanner(Default())
	for _, c := range cases {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%q (%s): want nothing, got %+v", c.v, c.field, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%q (%s): got %+v, want one %s", c.v, c.field, got, c.want)
		}
	}
}

// benchScan scans every case's value in its field; allocations are per op.
func benchScan(b *testing.B, cases []scanCase) {
	s := NewScanner(Default())
	fields := make([]Field, len(cases))
	values := make([][]byte, len(cases))
	n := 0
	for i, c := range cases {
		fields[i] = ClassifyField(c.field)
		values[i] = []byte(c.v)
		n += len(c.v)
	}
	dst := make([]Finding, 0, 16)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for i := range values {
			dst = s.Scan(dst[:0], values[i], fields[i])
		}
	}
}

func TestClassifyFieldOf(t *testing.T) {
	for _, c := range []struct{ object, name, want string }{
		{"Account", "Name", ""},
		{"Opportunity", "Name", ""},
		{"Contact", "Name", CategoryPersonName},
		{"", "Name", CategoryPersonName}, // unknown object: keep the hint
		{"Account", "Phone", CategoryPhone},
		{"Contact", "SSN__c", CategoryUSSSN},
		{"", "mailingpostalcode", CategoryPostalCode},
	} {
		if got := ClassifyFieldOf(c.object, c.name).Hint; got != c.want {
			t.Errorf("ClassifyFieldOf(%q, %q) = %q, want %q", c.object, c.name, got, c.want)
		}
	}
}

// BenchmarkNoPII is the clean path: values with digits and punctuation
// but no personal data must not allocate.
func BenchmarkNoPII(b *testing.B) {
	benchScan(b, []scanCase{
		{"Renewal for 108 seats at $93.50 per seat.", "Description", ""},
		{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
		{"00351yBMWXaSCrUZoL", "Id", ""},
		{"Trade Show", "LeadSource", ""},
	})
}

// BenchmarkScanField scans, one at a time, the personal values of a
// Salesforce Contact in their fields, as the pipeline scans a record's.
func BenchmarkScanField(b *testing.B) {
	s := NewScanner(Default())
	for _, c := range []struct{ name, field, value string }{
		{"phone", "Phone", "(415) 234-1234"},
		{"phone_intl", "Phone", "+44 20 7946 0000"},
		{"email", "Email", "ada.lovelace12@example.com"},
		{"street", "MailingStreet", "1234 Market Street"},
		{"first_name", "FirstName", "Ada"},
	} {
		f, v := ClassifyFieldOf("Contact", c.field), []byte(c.value)
		b.Run(c.name, func(b *testing.B) {
			var dst []Finding
			b.ReportAllocs()
			for b.Loop() {
				dst = s.Scan(dst[:0], v, f)
			}
			if len(dst) != 1 {
				b.Fatalf("%d findings, want 1", len(dst))
			}
		})
	}
}

// A Field is copied sixteen bytes at a time; a size that is not a whole
// number of those makes the last move overlap the one before (see its
// padding).
func TestFieldSizeIsWholeMoves(t *testing.T) {
	if n := unsafe.Sizeof(Field{}); n%16 != 0 {
		t.Errorf("Field is %d bytes, not a multiple of 16", n)
	}
}
