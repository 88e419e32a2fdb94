package policy

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The decision cache. A decision is a function of the input and the
// bundle; the bundle is fixed for a compiled revision, so a cache belongs
// to one compiled bundle and dies with it on reload. The key is the whole
// input except the members the bundle declares it never reads
// (data.veil_config.decision_cache.ignore): per-user and per-record
// identifiers (principal.id, records.id, path) that would otherwise make
// every message of a repeated shape unique. A bundle that starts reading
// one of them must take it off the list; TestCacheIgnoreIsSound holds the
// default bundle to its list.

// CacheConfigPath is where a bundle configures the cache: an object with
// "ignore", a list of input members ("path", "principal.id",
// "principal.ip", "records.id", "findings.pointer", "findings.confidence",
// "stats", or one stat as "stats.<name>") the decision does not depend on,
// optionally "size" (entries;
// 0 disables the cache), and optionally "stats_levels": per stat, the
// thresholds the bundle compares it with (>=); Decide rounds input.stats
// down to them, so behaviour counters do not defeat the cache.
var cacheConfigRef = ast.MustParseRef("data." + ConfigRoot + ".decision_cache")

// cacheKeys are the input members a bundle may leave out of the key.
var cacheKeys = []string{"path", "principal.id", "principal.ip", "records.id", "findings.pointer", "findings.confidence", "stats"}

// DefaultCacheSize is the number of decisions a cache holds when the
// bundle does not say.
const DefaultCacheSize = 4096

// cacheSpec is what a bundle asked for.
type cacheSpec struct {
	size   int
	ignore map[string]bool
	skip   skipped            // the members of ignore, read once per key instead of looked up per record and finding
	levels map[string][]int64 // stats_levels: ascending thresholds per stat
}

// skipped is which of cacheKeys a bundle left out of the key.
type skipped struct {
	path, principalID, principalIP, recordsID, findingsPointer, findingsConfidence, stats bool
}

func skippedOf(ignore map[string]bool) skipped {
	return skipped{
		path: ignore["path"], principalID: ignore["principal.id"], principalIP: ignore["principal.ip"],
		recordsID: ignore["records.id"], findingsPointer: ignore["findings.pointer"],
		findingsConfidence: ignore["findings.confidence"], stats: ignore["stats"],
	}
}

// quantize rounds each stat with declared levels down to the largest
// level it reaches (0 below the first): a rule comparing a stat with
// "stat >= L" for a declared L decides the same on the rounded value, and
// the cache sees a handful of values instead of a counter that moves with
// every message. Stats without levels pass exact. It returns m itself
// when nothing changes, a new map otherwise (made reports which).
func (s *cacheSpec) quantize(m map[string]int64) (q map[string]int64, made bool) {
	if len(s.levels) == 0 || len(m) == 0 {
		return m, false
	}
	var out map[string]int64
	for k, v := range m {
		lv, ok := s.levels[k]
		if !ok {
			continue
		}
		q := int64(0)
		if i, found := slices.BinarySearch(lv, v); found {
			q = lv[i]
		} else if i > 0 {
			q = lv[i-1]
		}
		if q != v {
			if out == nil {
				out = maps.Clone(m)
			}
			out[k] = q
		}
	}
	if out == nil {
		return m, false
	}
	return out, true
}

type cacheKey [2]uint64

// decisionCache is a bounded map from key to decision with FIFO eviction:
// shapes that repeat are re-inserted soon after they fall out, and FIFO
// needs no bookkeeping on a hit.
type decisionCache struct {
	spec  cacheSpec
	seeds [2]maphash.Seed

	mu    sync.Mutex
	m     map[cacheKey]*Decision
	order []cacheKey // ring of keys in insertion order
	next  int
}

func newDecisionCache(spec cacheSpec) *decisionCache {
	if spec.size <= 0 {
		return nil
	}
	return &decisionCache{
		spec:  spec,
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		m:     make(map[cacheKey]*Decision, spec.size),
		order: make([]cacheKey, 0, spec.size),
	}
}

// get returns the cached decision for k; it is shared and must not be
// modified.
func (c *decisionCache) get(k cacheKey) *Decision {
	c.mu.Lock()
	d := c.m[k]
	c.mu.Unlock()
	return d
}

func (c *decisionCache) put(k cacheKey, d *Decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) < c.spec.size {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.spec.size
	}
	c.m[k] = d
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// key hashes the input's canonical encoding (every member not ignored,
// strings length-prefixed, maps in key order) with two independently
// seeded 64-bit hashes: a 128-bit key no sender can aim a collision at.
func (c *decisionCache) key(in *Input) cacheKey {
	bp := keyBufs.Get().(*[]byte)
	b := c.encode((*bp)[:0], in)
	k := cacheKey{maphash.Bytes(c.seeds[0], b), maphash.Bytes(c.seeds[1], b)}
	if cap(b) <= 1<<20 {
		*bp = b
		keyBufs.Put(bp)
	}
	return k
}

func (c *decisionCache) encode(b []byte, in *Input) []byte {
	ig := &c.spec.skip
	b = appendStr(b, in.Direction)
	b = appendStr(b, in.Route)
	b = appendStr(b, in.Dialect)
	b = appendStr(b, in.Method)
	if !ig.path {
		b = appendStr(b, in.Path)
	}
	b = appendStr(b, in.Operation)
	b = appendStr(b, in.Object)
	if !ig.principalID {
		b = appendStr(b, in.Principal.ID)
	}
	b = appendInt(b, int64(len(in.Principal.Roles)))
	for _, r := range in.Principal.Roles {
		b = appendStr(b, r)
	}
	b = appendBool(b, in.Principal.MFA)
	if !ig.principalIP {
		b = appendStr(b, in.Principal.IP)
	}
	b = appendStr(b, in.Purpose)
	b = appendInt(b, int64(len(in.Records)))
	var last consentSeen // records of a page share their consent maps (one per set of flags)
	for i := range in.Records {
		r := &in.Records[i]
		b = appendInt(b, int64(r.Index))
		b = appendStr(b, r.Object)
		if !ig.recordsID {
			b = appendStr(b, r.ID)
		}
		b = appendStr(b, r.Pointer)
		if last.is(r.Consent) {
			b = append(b, b[last.from:last.to]...) // the same map: the same bytes
			continue
		}
		from := len(b)
		b = appendBoolMap(b, r.Consent)
		last = consentSeen{m: mapID(r.Consent), from: from, to: len(b)}
	}
	b = appendInt(b, int64(len(in.Findings)))
	for i := range in.Findings {
		f := &in.Findings[i]
		b = appendInt(b, int64(f.ID))
		b = appendInt(b, int64(f.Record))
		b = appendStr(b, f.In)
		if !ig.findingsPointer {
			b = appendStr(b, f.Pointer)
		}
		b = appendStr(b, f.Field)
		b = appendStr(b, f.Category)
		b = appendStr(b, f.Detector)
		b = appendStr(b, f.TokenCategory)
		if !ig.findingsConfidence {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.Confidence))
		}
	}
	if !ig.stats {
		var small [8]string // the watch's five stats: sorted without allocating
		keys := small[:0]
		for k := range in.Stats {
			if !c.spec.ignore["stats."+k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		b = appendInt(b, int64(len(keys)))
		for _, k := range keys {
			b = appendStr(b, k)
			b = appendInt(b, in.Stats[k])
		}
	}
	b = appendBool(b, in.Truncated)
	// The body's description is always part of the key: an uninspected
	// body must never be answered with an inspected one's decision.
	b = appendStr(b, in.Body.Format)
	b = appendBool(b, in.Body.Inspected)
	b = appendStr(b, in.Body.Reason)
	b = appendBool(b, in.Body.Download)
	b = appendInt(b, int64(len(in.Predicates)))
	for i := range in.Predicates {
		p := &in.Predicates[i]
		b = appendStr(b, p.Object)
		b = appendStr(b, p.Field)
		b = appendStr(b, p.Clause)
		b = appendStr(b, p.Op)
		b = appendInt(b, int64(len(p.Categories)))
		for _, cat := range p.Categories {
			b = appendStr(b, cat)
		}
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt(b []byte, n int64) []byte { return binary.AppendVarint(b, n) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// consentSeen is the last consent map met, by identity, and where its
// encoding is. The pipeline gives records with the same flags one map, so
// a page's thousand records have a handful: one that was met already is
// not iterated and sorted again.
type consentSeen struct {
	m        uintptr // mapID; 0 for none
	from, to int
}

func (c *consentSeen) is(m map[string]bool) bool { return c.m != 0 && mapID(m) == c.m }

// mapID is m's identity (0 for nil): two maps of one identity are one map.
func mapID(m map[string]bool) uintptr { return uintptr(reflect.ValueOf(m).UnsafePointer()) }

func appendBoolMap(b []byte, m map[string]bool) []byte {
	b = appendInt(b, int64(len(m)))
	switch len(m) {
	case 0:
		return b
	case 1:
		for k, v := range m {
			b = appendBool(appendStr(b, k), v)
		}
		return b
	}
	var small [8]string // a record's consent flags: a handful, sorted without allocating
	keys := small[:0]
	if len(m) > len(small) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendBool(appendStr(b, k), m[k])
	}
	return b
}

// cacheSpecOf reads data.veil_config.decision_cache from the bundle's
// documents: absent, the cache holds DefaultCacheSize decisions keyed on
// the whole input.
func cacheSpecOf(docs map[string]any) (cacheSpec, error) {
	spec := cacheSpec{size: DefaultCacheSize, ignore: map[string]bool{}}
	cfg, _ := docs[ConfigRoot].(map[string]any)
	raw, ok := cfg["decision_cache"]
	if !ok {
		return spec, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return spec, fmt.Errorf("%s: want an object", cacheConfigRef)
	}
	for k, v := range obj {
		switch k {
		case "size":
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil || n < 0 {
				return spec, fmt.Errorf("%s.size: want a non-negative integer", cacheConfigRef)
			}
			spec.size = n
		case "ignore":
			list, ok := v.([]any)
			if !ok {
				return spec, fmt.Errorf("%s.ignore: want a list", cacheConfigRef)
			}
			for _, m := range list {
				s, _ := m.(string)
				if !slices.Contains(cacheKeys, s) && !isStatMember(s) {
					return spec, fmt.Errorf("%s.ignore: %q is not one of %v or stats.<name>", cacheConfigRef, m, cacheKeys)
				}
				spec.ignore[s] = true
			}
		case "stats_levels":
			levels, err := statsLevels(v)
			if err != nil {
				return spec, err
			}
			spec.levels = levels
		default:
			return spec, fmt.Errorf("%s: unknown key %q", cacheConfigRef, k)
		}
	}
	spec.skip = skippedOf(spec.ignore)
	return spec, nil
}

// statsLevels reads decision_cache.stats_levels: an object from stat name
// to a list of positive integer thresholds.
func statsLevels(v any) (map[string][]int64, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.stats_levels: want an object of stat name to a list of thresholds", cacheConfigRef)
	}
	out := make(map[string][]int64, len(obj))
	for name, raw := range obj {
		list, ok := raw.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s.stats_levels.%s: want a non-empty list of positive integers", cacheConfigRef, name)
		}
		lv := make([]int64, 0, len(list))
		for _, x := range list {
			n, err := strconv.ParseInt(fmt.Sprint(x), 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s.stats_levels.%s: %v is not a positive integer", cacheConfigRef, name, x)
			}
			lv = append(lv, n)
		}
		slices.Sort(lv)
		out[name] = slices.Compact(lv)
	}
	return out, nil
}

// isStatMember reports whether s names one stat ("stats.<name>") in an
// ignore list: a counter no rule reads, left out of the key.
func isStatMember(s string) bool {
	name, ok := strings.CutPrefix(s, "stats.")
	return ok && name != "" && !strings.ContainsAny(name, ". ")
}
