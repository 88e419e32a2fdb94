// Package transform rewrites one detected value according to an action: it
// knows what a masked card number or a redacted e-mail looks like and nothing
// of policy or HTTP.
package transform

import (
	"unicode"
	"unicode/utf8"
)

// MaskRune replaces hidden characters.
const MaskRune = '*'

// Redacted returns the text that replaces a redacted value of category.
func Redacted(category string) []byte {
	return []byte("[REDACTED:" + category + "]")
}

// Mask appends the masked form of text (a value of category) to dst. Masks
// are shape-preserving (separators stay, letters and digits become '*') and
// keep only what the regulations allow to show: PCI DSS's last four of a
// PAN, an e-mail's domain, a date of birth's year (HIPAA Safe Harbor keeps
// years), a postal code's first three characters.
func Mask(dst []byte, category string, text []byte) []byte {
	switch category {
	case "credit_card", "us_ssn", "bank_account", "us_itin", "ca_sin", "br_cpf", "uk_nhs", "us_mbi", "us_npi":
		return keepLast(dst, text, 4, isDigit)
	case "iban":
		// Country code and the last four: enough for a person to recognise
		// their account, not enough to use it.
		return keepEdges(dst, text, 2, 4)
	case "phone":
		return keepLast(dst, text, 2, isDigit)
	case "email":
		return maskEmail(dst, text)
	case "person_name":
		return keepWordInitials(dst, text)
	case "date_of_birth":
		return maskDate(dst, text)
	case "postal_code":
		return keepEdges(dst, text, 3, 0)
	}
	return keepEdges(dst, text, 0, 0)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// keepLast masks every alphanumeric rune but the last n runes matching keep.
func keepLast(dst, text []byte, n int, keep func(rune) bool) []byte {
	visible := 0
	start := len(text)
	for start > 0 && visible < n {
		r, size := utf8.DecodeLastRune(text[:start])
		start -= size
		if keep(r) {
			visible++
		}
	}
	if visible < n { // too short to show anything safely
		start = len(text)
	}
	dst = maskRunes(dst, text[:start])
	return append(dst, text[start:]...)
}

// keepEdges shows the first head and last tail alphanumeric runes and masks
// the rest; a value too short to hide at least as much as it shows is masked
// whole.
func keepEdges(dst, text []byte, head, tail int) []byte {
	total := 0
	for _, r := range string(text) {
		if isAlnum(r) {
			total++
		}
	}
	if total-head-tail < head+tail {
		head, tail = 0, 0
	}
	i := 0
	for _, r := range string(text) {
		if isAlnum(r) {
			if i >= head && i < total-tail {
				r = MaskRune
			}
			i++
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func maskRunes(dst, text []byte) []byte {
	for _, r := range string(text) {
		if isAlnum(r) {
			r = MaskRune
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// maskEmail keeps the first rune of the local part and the domain:
// jane.doe@example.com → j***@example.com.
func maskEmail(dst, text []byte) []byte {
	at := -1
	for i := len(text) - 1; i >= 0; i-- {
		if text[i] == '@' {
			at = i
			break
		}
	}
	if at <= 0 {
		return maskRunes(dst, text)
	}
	r, size := utf8.DecodeRune(text)
	dst = utf8.AppendRune(dst, r)
	if size < at {
		dst = append(dst, "***"...)
	}
	return append(dst, text[at:]...)
}

// keepWordInitials shows each word's first letter: Ahmed Kowalski → A**** K*******.
func keepWordInitials(dst, text []byte) []byte {
	inWord := false
	for _, r := range string(text) {
		if isAlnum(r) {
			if inWord {
				r = MaskRune
			}
			inWord = true
		} else {
			inWord = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// maskDate keeps a leading four-digit year (1943-09-08 → 1943-**-**) and
// masks every other digit; other shapes are masked whole.
func maskDate(dst, text []byte) []byte {
	if len(text) >= 5 && isDigit(rune(text[0])) && isDigit(rune(text[1])) && isDigit(rune(text[2])) && isDigit(rune(text[3])) && !isDigit(rune(text[4])) {
		dst = append(dst, text[:4]...)
		return maskRunes(dst, text[4:])
	}
	return maskRunes(dst, text)
}
