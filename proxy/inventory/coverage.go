package inventory

import (
	"cmp"
	"slices"
	"strings"
)

// The coverage view: per route, direction and body format, how many of
// the messages Veil let through it read (inspected) and how many it
// passed unread (a binary file, a charset it does not read, a file over
// the size limit, a fail-open), with their bytes and, for the unread ones,
// why. A message Veil refused is not counted: nothing of it went on
// (veil_proxy_blocked_total counts it). Like the rest of the inventory,
// the counts run from the process's start (or, shared, from the Redis
// keys' creation) and never expire.
//
// The table is bounded: formats and reasons are closed sets (anything
// else is Other), directions are request and response (else Other), and
// at most MaxCoverageRoutes route names are kept, later ones pooled
// under Other. Route names are configuration, so the bound is for a
// caller's mistake, not for traffic.

// Other stands for a format, reason, direction or route name the
// coverage does not keep.
const Other = "other"

// MaxCoverageRoutes bounds the route names the coverage keeps (Other
// besides).
const MaxCoverageRoutes = 256

// ReasonFailOpen is the reason of a message forwarded uninspected under
// a route's on_error: allow (its body could not be read or walked).
const ReasonFailOpen = "fail_open"

// coverFormats are the body formats the coverage keeps (the policy
// input's body.format), Other last.
var coverFormats = [...]string{"json", "xml", "soap", "csv", "form", "multipart", "text", "binary", "none", Other}

// coverReasons are the reasons a body is unread (the policy input's
// body.reason, and fail_open), Other last.
var coverReasons = [...]string{"binary_content", "unsupported_charset", "encrypted", "over_limit", "unsupported_format", ReasonFailOpen, Other}

var coverDirections = [...]string{DirectionRequest, DirectionResponse, Other}

// The counters of a row; the reasons follow cUnreadUnsized.
const (
	cInspected = iota
	cInspectedBytes
	cInspectedUnsized
	cUnread
	cUnreadBytes
	cUnreadUnsized
	cReasons
	nCounters = cReasons + len(coverReasons)
)

// counterNames name the counters in Redis.
var counterNames = func() [nCounters]string {
	n := [nCounters]string{"inspected", "inspected_bytes", "inspected_unsized", "unread", "unread_bytes", "unread_unsized"}
	for i, r := range coverReasons {
		n[cReasons+i] = "reason:" + r
	}
	return n
}()

type coverKey struct {
	route             string
	direction, format uint8 // indexes in coverDirections, coverFormats
}

type coverRow struct {
	n, flushed [nCounters]int64
}

// Cover counts one message with a body that Veil let through in
// direction on route: inspected (every byte read by the detectors) or
// not, and then why not (reason: the policy input's body.reason, or
// ReasonFailOpen). bytes is the body's size, < 0 when unknown: an
// inspected body's decoded size, an unread one's size on the wire when
// the caller knows it. A message of unknown size is counted as such
// (inspected_unsized, unread_unsized), its bytes not.
func (inv *Inventory) Cover(route, direction, format string, inspected bool, reason string, bytes int64) {
	if inv == nil {
		return
	}
	d, f := index(coverDirections[:], direction), index(coverFormats[:], format)
	inv.mu.Lock()
	row := inv.cover[coverKey{route, d, f}]
	if row == nil {
		row = inv.newCoverRow(route, d, f)
	}
	base := cInspected
	if !inspected {
		base = cUnread
		row.n[cReasons+int(index(coverReasons[:], cmp.Or(reason, Other)))]++
	}
	row.n[base]++
	if bytes >= 0 {
		row.n[base+1] += bytes
	} else {
		row.n[base+2]++
	}
	inv.mu.Unlock()
}

// newCoverRow adds the row of a route not known under its own name; it
// runs under inv.mu.
func (inv *Inventory) newCoverRow(route string, d, f uint8) *coverRow {
	if route = name(route); route == "" || route == Unnamed {
		route = Other
	}
	if _, ok := inv.coverRoutes[route]; !ok && route != Other {
		if len(inv.coverRoutes) >= MaxCoverageRoutes {
			route = Other
		} else {
			route = strings.Clone(route)
			inv.coverRoutes[route] = struct{}{}
		}
	}
	k := coverKey{route, d, f}
	row := inv.cover[k]
	if row == nil {
		row = &coverRow{}
		inv.cover[k] = row
	}
	return row
}

// index is s's index in set, the last (Other) when it is not there.
func index(set []string, s string) uint8 {
	if i := slices.Index(set, s); i >= 0 {
		return uint8(i)
	}
	return uint8(len(set) - 1)
}

// Coverage is what Veil read of the bodies it let through on one route,
// in one direction, in one format.
type Coverage struct {
	Route     string `json:"route"`
	Direction string `json:"direction"`
	Format    string `json:"format"`
	// Inspected counts the messages whose body the detectors read
	// whole; InspectedBytes their decoded size; InspectedUnsized those
	// of them whose size is unknown (not in InspectedBytes).
	Inspected        int64 `json:"inspected"`
	InspectedBytes   int64 `json:"inspected_bytes"`
	InspectedUnsized int64 `json:"inspected_unsized"`
	// Unread counts the messages passed without their body being
	// (wholly) read; UnreadBytes their size as far as known;
	// UnreadUnsized those of unknown size (not in UnreadBytes).
	Unread        int64 `json:"unread"`
	UnreadBytes   int64 `json:"unread_bytes"`
	UnreadUnsized int64 `json:"unread_unsized"`
	// Reasons counts the unread messages by why they were not read.
	Reasons map[string]int64 `json:"reasons,omitempty"`
}

// coverage is the row of k's counters n.
func coverage(k coverKey, n *[nCounters]int64) Coverage {
	c := Coverage{
		Route: k.route, Direction: coverDirections[k.direction], Format: coverFormats[k.format],
		Inspected: n[cInspected], InspectedBytes: n[cInspectedBytes], InspectedUnsized: n[cInspectedUnsized],
		Unread: n[cUnread], UnreadBytes: n[cUnreadBytes], UnreadUnsized: n[cUnreadUnsized],
	}
	for i, r := range coverReasons {
		if v := n[cReasons+i]; v != 0 {
			if c.Reasons == nil {
				c.Reasons = make(map[string]int64, 2)
			}
			c.Reasons[r] = v
		}
	}
	return c
}

// coverageRows is the coverage of the local counters, unsorted; it runs
// under inv.mu.
func (inv *Inventory) coverageRows() []Coverage {
	out := make([]Coverage, 0, len(inv.cover))
	for k, row := range inv.cover {
		out = append(out, coverage(k, &row.n))
	}
	return out
}

// SortCoverage sorts rows by route, direction and format.
func SortCoverage(rows []Coverage) {
	slices.SortFunc(rows, func(a, b Coverage) int {
		return cmp.Or(
			strings.Compare(a.Route, b.Route),
			strings.Compare(a.Direction, b.Direction),
			strings.Compare(a.Format, b.Format),
		)
	})
}
