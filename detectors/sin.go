package detectors

// CASIN: Canadian Social Insurance Numbers, nine digits (3-3-3), Luhn, not
// starting with 0 or 8.
type CASIN struct{}

func (CASIN) Name() string     { return "ca_sin" }
func (CASIN) Category() string { return CategoryCASIN }
func (CASIN) canonical()       {} // reads the canonical view (canon.go)
func (CASIN) trigger() trigger { return trigDigits9 }
func (CASIN) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryCASIN, "ca_sin", " -", []int{9}, sinContext, checkSIN)
}
