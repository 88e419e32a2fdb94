package detectors

// UKNHS: NHS numbers, ten digits (3-3-4), modulus 11 check digit.
type UKNHS struct{}

func (UKNHS) Name() string     { return "uk_nhs" }
func (UKNHS) Category() string { return CategoryUKNHS }
func (UKNHS) canonical()       {} // reads the canonical view (canon.go)
func (UKNHS) trigger() trigger { return trigDigits10 }
func (UKNHS) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryUKNHS, "uk_nhs", " -", []int{10}, nhsContext, checkNHS)
}

func nhsValid(d []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && byte(c)+'0' == d[9]
}
