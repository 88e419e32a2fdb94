package detectors

import "testing"

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
