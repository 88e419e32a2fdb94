package detectors

// USNPI: National Provider Identifiers, ten digits starting 1 or 2, Luhn
// over the number prefixed with 80840.
type USNPI struct{}

func (USNPI) Name() string     { return "us_npi" }
func (USNPI) Category() string { return CategoryUSNPI }
func (USNPI) canonical()       {} // reads the canonical view (canon.go)
func (USNPI) trigger() trigger { return trigDigits10 }
func (USNPI) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryUSNPI, "us_npi", "", []int{10}, npiContext, checkNPI)
}

// npiLuhn is the Luhn check over "80840" followed by the ten digits, the
// NPI standard's card-issuer prefix, without building that slice.
func npiLuhn(d []byte) bool {
	sum, double := 0, false
	add := func(c byte) {
		n := int(c - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	for i := len(d) - 1; i >= 0; i-- {
		add(d[i])
	}
	for i := 4; i >= 0; i-- {
		add("80840"[i])
	}
	return sum%10 == 0
}
