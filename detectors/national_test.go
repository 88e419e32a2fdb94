package detectors

import "testing"

func TestNationalAndIP(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct {
		v, field, want string // category of the only finding; "" for none
	}{
		// uk_nino
		{"NI number AB 12 34 56 C on file", "Description", "uk_nino"},
		{"QQ123456C", "Description", ""}, // Q is never a prefix letter
		{"GB123456A", "Description", ""}, // unallocated prefix
		{"AB123456E", "Description", ""}, // suffix beyond D
		// br_cpf
		{"CPF 529.982.247-25", "Description", "br_cpf"},
		{"529.982.247-24", "Description", ""}, // wrong check digit
		{"52998224725", "cpf", "br_cpf"},      // plain, in a CPF field
		{"52998224725", "Description", ""},    // plain, no context
		{"111.111.111-11", "Description", ""}, // repeated digits
		// us_itin
		{"ITIN 912-70-1234", "Description", "us_itin"},
		{"912-45-1234", "Description", ""}, // group 45 is not an ITIN group (nor an SSN: area 9xx)
		{"912701234", "Description", ""},   // plain without context
		{"912701234", "itin", "us_itin"},
		// ip_address
		{"login from 203.0.113.42 at noon", "Description", "ip_address"},
		{"client 2001:db8::8a2e:370:7334 connected", "Description", "ip_address"},
		{"v1.2.3.4", "Description", ""},
		{"version 10.2.0.1 released", "Description", ""},
		{"999.1.1.1", "Description", ""},
		{"21:14:48.000", "Description", ""},
		{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
		{"10.0.0.1", "ip", "ip_address"},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%q (%s): want nothing, got %+v", c.v, c.field, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%q (%s): got %+v, want one %s", c.v, c.field, got, c.want)
		}
	}
}
