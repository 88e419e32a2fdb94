package detectors

// BankAccount: 6–17 digit account numbers, only with a field hint or a
// context word (there is no checksum to lean on).
type BankAccount struct{}

func (BankAccount) Name() string     { return "bank_account" }
func (BankAccount) Category() string { return CategoryBankAccount }
func (BankAccount) canonical()       {} // reads the canonical view (canon.go)
func (BankAccount) trigger() trigger { return trigRun5 }
func (BankAccount) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryBankAccount, "bank_account", "- ", []int{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, bankContext, checkNone)
}
