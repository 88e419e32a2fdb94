package detectors

import "testing"

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
}

func TestIPAddress(t *testing.T) { checkScan(t, ipaddressCases) }

func BenchmarkIPAddress(b *testing.B) { benchScan(b, ipaddressCases) }
