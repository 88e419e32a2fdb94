package detectors

import "bytes"

// CardVerification finds card security codes (CVV2, CVC2, CID): three or
// four digits in a field named for one, or after "CVV", "CVC" or
// "security code" in text. There is no check to run, so only the name or
// the word makes them one. They report category credit_card: PCI DSS
// forbids storing them at all, and the policy refuses one next to a card
// number (pci_cvv_with_card).
type CardVerification struct{}

func (CardVerification) Name() string     { return "card_verification" }
func (CardVerification) Category() string { return CategoryCreditCard }
func (CardVerification) canonical()       {} // reads the canonical view (canon.go)

// A code in text is any digit run after a code's word, however short the
// text ("CVC 123"): a value with a digit has its context words looked for.
// A field named for one is hinted.
func (CardVerification) trigger() trigger { return trigDigit | trigHinted }

var cvvContext = newContext("cvv*", "cvc*", "security code")

// cvvFields are the field names (lower case, __c removed) of a code.
var cvvFields = map[string]bool{
	"cvv": true, "cvc": true, "cvv2": true, "cvc2": true, "cid": true, "csc": true, "cvn": true,
	"security_code": true, "securitycode": true, "card_security_code": true, "card_code": true,
	"cardcode": true, "card_cvv": true, "card_cvc": true, "cvv_code": true, "card_verification": true,
}

func (CardVerification) Find(dst []Finding, v []byte, f Field) []Finding {
	if f.cvv {
		t := bytes.TrimSpace(v)
		if (len(t) == 3 || len(t) == 4) && allDigits(t) {
			s := bytes.Index(v, t)
			return append(dst, Finding{Category: CategoryCreditCard, Detector: "card_verification", Start: s, End: s + len(t), Confidence: 0.9})
		}
		return dst
	}
	if !f.present(cvvContext) {
		return dst
	}
	var buf [8]byte
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, "", buf[:0])
		if !ok {
			return dst
		}
		pos = next
		if n := len(r.digits); (n == 3 || n == 4) && hasContext(v[:r.start], cvvContext) {
			dst = append(dst, Finding{Category: CategoryCreditCard, Detector: "card_verification", Start: r.start, End: r.end, Confidence: 0.85})
		}
	}
}
