package detectors

// BRCPF finds Brazilian CPF numbers: eleven digits with both check digits
// valid, written 000.000.000-00, or plain in a CPF field / after "cpf".
type BRCPF struct{}

func (BRCPF) Name() string     { return "br_cpf" }
func (BRCPF) Category() string { return CategoryBRCPF }
func (BRCPF) canonical()       {} // reads the canonical view (canon.go)
func (BRCPF) trigger() trigger { return trigDigits11 }

var cpfContext = newContext("cpf")

func (BRCPF) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, ".-", buf[:0])
		if !ok {
			break
		}
		pos = next
		if len(r.digits) != 11 || !cpfValid(r.digits) {
			continue
		}
		raw := v[r.start:r.end]
		formatted := len(raw) == 14 && raw[3] == '.' && raw[7] == '.' && raw[11] == '-'
		if !formatted && !(len(raw) == 11 && (f.Hint == CategoryBRCPF || hasContext(v[:r.start], cpfContext))) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryBRCPF, Detector: "br_cpf", Start: r.start, End: r.end, Confidence: 0.9})
	}
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
