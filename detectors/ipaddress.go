package detectors

import "net/netip"

// IPAddress finds IPv4 dotted quads and IPv6 addresses (validated by
// net/netip). A dotted quad after 'v' or a version/build/release word is a
// version string, not an address. Loopback (127.0.0.0/8, ::1) and
// unspecified (0.0.0.0, ::) addresses name "this machine", whichever it
// is, never a person's connection: not personal data, and redacting them
// breaks local URLs (a paging link to a proxy on 127.0.0.1).
type IPAddress struct{}

func (IPAddress) Name() string     { return "ip_address" }
func (IPAddress) Category() string { return CategoryIPAddress }
func (IPAddress) trigger() trigger { return trigIP }

var versionContext = newContext("version*", "build*", "release*", "ver")

func isHexByte(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func (IPAddress) Find(dst []Finding, v []byte, f Field) []Finding {
	conf := 0.85
	if f.Hint == CategoryIPAddress {
		conf = 0.97
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isHexByte(c) || c == ':') || i > 0 && (isAlnumByte(v[i-1]) || v[i-1] == '.' || v[i-1] == ':') {
			continue
		}
		j := i
		dots, colons := 0, 0
		for j < len(v) && (isHexByte(v[j]) || v[j] == '.' || v[j] == ':') {
			switch v[j] {
			case '.':
				dots++
			case ':':
				colons++
			}
			j++
		}
		for j > i && (v[j-1] == '.' || v[j-1] == ':' && (j-2 < i || v[j-2] != ':')) { // trailing punctuation
			if v[j-1] == '.' {
				dots--
			} else {
				colons--
			}
			j--
		}
		if j < len(v) && isAlnumByte(v[j]) || j-i < 3 {
			continue
		}
		cand := v[i:j]
		if colons == 1 && dots == 3 { // 203.0.113.42:51234: the address before its port
			k := i
			for v[k] != ':' {
				k++
			}
			if p := j - k - 1; p >= 1 && p <= 5 && allDigits(v[k+1:j]) {
				j, cand, colons = k, v[i:k], 0
			}
		}
		if colons < 2 && dots != 3 {
			i = j
			continue
		}
		addr, ok := parseIP(cand, colons)
		if !ok || addr.Zone() != "" || addr.IsLoopback() || addr.IsUnspecified() {
			i = j
			continue
		}
		if addr.Is4() && (i > 0 && (v[i-1]|0x20) == 'v' || hasContext(v[:i], versionContext)) {
			i = j
			continue
		}
		dst = append(dst, Finding{Category: CategoryIPAddress, Detector: "ip_address", Start: i, End: j, Confidence: conf})
		i = j
	}
	return dst
}

// ipMaxLen is the longest address in text:
// ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.
const ipMaxLen = 45

// parseIP parses a candidate as netip.ParseAddr does, a dotted quad
// without allocating (a value of a million addresses parses them all),
// and nothing longer than an address can be.
func parseIP(cand []byte, colons int) (netip.Addr, bool) {
	if len(cand) > ipMaxLen {
		return netip.Addr{}, false
	}
	if colons == 0 {
		var a [4]byte
		part, n, nd := 0, 0, 0
		for k := 0; k <= len(cand); k++ {
			if k == len(cand) || cand[k] == '.' {
				if nd == 0 || n > 255 || nd > 1 && cand[k-nd] == '0' || part == 4 {
					return netip.Addr{}, false // empty, too big, a leading zero, a fifth part
				}
				a[part] = byte(n)
				part, n, nd = part+1, 0, 0
				continue
			}
			if !isDigit(cand[k]) || nd == 3 {
				return netip.Addr{}, false
			}
			n, nd = n*10+int(cand[k]-'0'), nd+1
		}
		return netip.AddrFrom4(a), part == 4
	}
	addr, err := netip.ParseAddr(string(cand))
	return addr, err == nil
}
