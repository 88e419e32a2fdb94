package detectors

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

var ipaddressCases = []scanCase{
	{"v1.2.3.4567890", "Description", ""},
	{"login from 203.0.113.42 at noon", "Description", "ip_address"},
	{"client 2001:db8::8a2e:370:7334 connected", "Description", "ip_address"},
	{"v1.2.3.4", "Description", ""},
	{"version 10.2.0.1 released", "Description", ""},
	{"999.1.1.1", "Description", ""},
	{"21:14:48.000", "Description", ""},
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
	{"10.0.0.1", "ip", "ip_address"},
	// Positives: IPv4 anywhere in text, at the end of a sentence, with a
	// port or a prefix length; IPv6 full, compressed,
	// link-local, IPv4-mapped, bracketed with a port; IP fields.
	{"192.168.1.10", "Description", "ip_address"},
	{"Blocked 8.8.8.8, retried", "Description", "ip_address"},
	{"Login from 198.51.100.7.", "Description", "ip_address"},
	{"client 203.0.113.42:51234 connected", "Description", "ip_address"},
	{"route 10.0.0.1/24", "Description", "ip_address"},
	{"255.255.255.255", "Description", "ip_address"},
	{"IPv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "Description", "ip_address"},
	{"peer [2001:db8::1]:443", "Description", "ip_address"},
	{"fe80::1ff:fe23:4567:890a", "Description", "ip_address"},
	{"mapped ::ffff:192.0.2.1", "Description", "ip_address"},
	{"from 2001:db8::1.", "Description", "ip_address"},
	{"203.0.113.5", "ip_address", "ip_address"},
	{"203.0.113.5", "hs_ip_address", "ip_address"},
	{"2001:db8::2", "Last_IP__c", "ip_address"},
	// Negatives: version strings (after 'v' or a version/build/release
	// word), octets over 255, leading zeros dropped by netip, too few or
	// too many parts, times, MAC addresses, amounts, glued to letters.
	// Loopback and unspecified: this machine, nobody's address.
	{"localhost ::1 only", "Description", ""},
	{"next http://127.0.0.1:8080/crm/v3/objects/contacts?after=3", "Description", ""},
	{"listening on 0.0.0.0:8080 and [::]:8080", "Description", ""},
	{"127.0.0.1", "Last_IP__c", ""},
	{"upgraded to version 1.2.3.4", "Description", ""},
	{"VERSION 1.2.3.4", "Description", ""},
	{"Build 10.0.19045.1234", "Description", ""},
	{"release 4.18.0.1", "Description", ""},
	{"ver 5.6.7.8", "Description", ""},
	{"v1.2.3.4.", "Description", ""},
	{"v10.0.19045", "Description", ""},
	{"10.0.19045.3930", "Description", ""},
	{"256.1.1.1", "Description", ""},
	{"192.168.1.256", "Description", ""},
	{"1.2.3", "Description", ""},
	{"1.2.3.4.5", "Description", ""},
	{"1.2.3.4:123456", "Description", ""},
	{"10:00:00", "Description", ""},
	{"12:30 meeting", "Description", ""},
	{"00:1A:2B:3C:4D:5E", "Description", ""},
	{"2001:db8::g1", "Description", ""},
	{"std::vector", "Description", ""},
	{"::", "Description", ""},
	{"host10.0.0.1", "Description", ""},
	{"10.0.0.1a", "Description", ""},
	{"Total 1,234,567.89 due", "Description", ""},
	{"1.234.567,89 EUR", "Description", ""},
	{"not recorded", "ip", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
}

func TestIPAddress(t *testing.T) { checkScan(t, ipaddressCases) }

func BenchmarkIPAddress(b *testing.B) { benchScan(b, ipaddressCases) }

// TestParseIPAgrees holds parseIP's dotted-quad path to netip.ParseAddr.
func TestParseIPAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "0123456789.0125."
	cands := []string{"1.2.3.4", "01.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5",
		"1..2.3", "1.2.3.", ".1.2.3", "1000.1.1.1", "00.1.1.1", "10.0.0.010", "52.85.210.141"}
	for range 200_000 {
		b := make([]byte, 1+r.IntN(18))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cands = append(cands, string(b))
	}
	for _, c := range cands {
		want, err := netip.ParseAddr(c)
		got, ok := parseIP([]byte(c), 0)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("parseIP(%q) = %v, %t; netip says %v, %v", c, got, ok, want, err)
		}
	}
}
