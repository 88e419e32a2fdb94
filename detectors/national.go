package detectors

// National identifiers with strong formats or check digits.

// Categories of this file.
const (
	CategoryUKNINO = "uk_nino"
	CategoryBRCPF  = "br_cpf"
	CategoryUSITIN = "us_itin"
)

// UKNINO finds UK National Insurance numbers: two prefix letters (not D,
// F, I, Q, U, V; second not O; not the unallocated BG, GB, KN, NK, NT, TN,
// ZZ), six digits (optionally paired by spaces) and a suffix A–D.
type UKNINO struct{}

func (UKNINO) Name() string     { return "uk_nino" }
func (UKNINO) Category() string { return CategoryUKNINO }

var ninoBadPrefix = map[[2]byte]bool{{'B', 'G'}: true, {'G', 'B'}: true, {'K', 'N'}: true, {'N', 'K'}: true, {'N', 'T'}: true, {'T', 'N'}: true, {'Z', 'Z'}: true}

func ninoLetter(c byte, second bool) bool {
	switch c {
	case 'D', 'F', 'I', 'Q', 'U', 'V':
		return false
	case 'O':
		return !second
	}
	return c >= 'A' && c <= 'Z'
}

func (UKNINO) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i+9 <= len(v); i++ {
		a, b := upper(v[i]), upper(v[i+1])
		if !ninoLetter(a, false) || !ninoLetter(b, true) || ninoBadPrefix[[2]byte{a, b}] || (i > 0 && isAlnumByte(v[i-1])) {
			continue
		}
		j, n := i+2, 0
		for j < len(v) && n < 6 {
			if isDigit(v[j]) {
				n++
				j++
			} else if v[j] == ' ' && n%2 == 0 && j+1 < len(v) && isDigit(v[j+1]) || v[j] == ' ' && n == 0 {
				j++
			} else {
				break
			}
		}
		if n != 6 {
			continue
		}
		if j < len(v) && v[j] == ' ' {
			j++
		}
		if j >= len(v) || upper(v[j]) < 'A' || upper(v[j]) > 'D' || (j+1 < len(v) && isAlnumByte(v[j+1])) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryUKNINO, Detector: "uk_nino", Start: i, End: j + 1, Confidence: 0.9})
		i = j
	}
	return dst
}

// BRCPF finds Brazilian CPF numbers: eleven digits with both check digits
// valid, written 000.000.000-00, or plain in a CPF field / after "cpf".
type BRCPF struct{}

func (BRCPF) Name() string     { return "br_cpf" }
func (BRCPF) Category() string { return CategoryBRCPF }
func (BRCPF) trigger() trigger { return trigDigits }

var cpfContext = [][]byte{[]byte("cpf")}

func (BRCPF) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	digitRuns(v, ".-", buf[:0], func(r digitRun) {
		if len(r.digits) != 11 || !cpfValid(r.digits) {
			return
		}
		raw := v[r.start:r.end]
		formatted := len(raw) == 14 && raw[3] == '.' && raw[7] == '.' && raw[11] == '-'
		if !formatted && !(len(raw) == 11 && (f.Hint == CategoryBRCPF || hasContext(v[:r.start], cpfContext))) {
			return
		}
		dst = append(dst, Finding{Category: CategoryBRCPF, Detector: "br_cpf", Start: r.start, End: r.end, Confidence: 0.9})
	})
	return dst
}

func cpfValid(d []byte) bool {
	same := true
	for _, c := range d[1:] {
		same = same && c == d[0]
	}
	if same { // 000.000.000-00 … 999.999.999-99 pass the arithmetic but are invalid
		return false
	}
	check := func(n int) byte {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(d[i]-'0') * (n + 1 - i)
		}
		r := sum * 10 % 11
		if r == 10 {
			r = 0
		}
		return byte(r) + '0'
	}
	return check(9) == d[9] && check(10) == d[10]
}

// USITIN finds US Individual Taxpayer Identification Numbers: 9XX-GG-SSSS
// with group 50–65, 70–88, 90–92 or 94–99 (IRS ranges), separated, or nine
// plain digits in an ITIN field / after "itin".
type USITIN struct{}

func (USITIN) Name() string     { return "us_itin" }
func (USITIN) Category() string { return CategoryUSITIN }
func (USITIN) trigger() trigger { return trigDigits }

var itinContext = [][]byte{[]byte("itin"), []byte("taxpayer id")}

func (USITIN) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	digitRuns(v, "- ", buf[:0], func(r digitRun) {
		d := r.digits
		if len(d) != 9 || d[0] != '9' {
			return
		}
		g := prefixNum(d[3:], 2)
		if !(g >= 50 && g <= 65 || g >= 70 && g <= 88 || g >= 90 && g <= 92 || g >= 94 && g <= 99) {
			return
		}
		raw := v[r.start:r.end]
		separated := len(raw) == 11 && (raw[3] == '-' && raw[6] == '-' || raw[3] == ' ' && raw[6] == ' ')
		if !separated && !(f.Hint == CategoryUSITIN || hasContext(v[:r.start], itinContext)) {
			return
		}
		dst = append(dst, Finding{Category: CategoryUSITIN, Detector: "us_itin", Start: r.start, End: r.end, Confidence: 0.9})
	})
	return dst
}
