package inventory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Report sources.
const (
	SourceLocal = "local"
	SourceRedis = "redis"
)

// DefaultPrefix names the Redis keys of the shared inventory. The hash
// tag keeps them in one Cluster slot, so that a flush is one MULTI/EXEC.
const DefaultPrefix = "{veil:inventory}"

// sep joins a key's names in a Redis field; name() never lets it in.
const sep = "\x1f"

// WithRedis makes the inventory shared between the replicas using c:
// Flush (run periodically by Run, never on the request path) adds this
// process's new counts to Redis, and SharedSnapshot (used by Handler)
// reads the merged map. prefix "" is DefaultPrefix. It returns inv.
//
// Redis keys: PREFIX:count (hash: field → findings, HINCRBY),
// PREFIX:first and PREFIX:last (sorted sets: field → Unix ms, ZADD LT and
// GT keep the earliest and latest across replicas), PREFIX:dirs (hash:
// field+direction → 1), PREFIX:meta (hash: truncated → refusals),
// PREFIX:coverage (hash: route, direction, format and counter → count,
// HINCRBY; coverage.go). A field is route, object, field name and
// category joined by 0x1F. Each replica keeps at most its max entries;
// the merged map holds at most replicas × max.
func (inv *Inventory) WithRedis(c redis.UniversalClient, prefix string) *Inventory {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	inv.rdb, inv.prefix = c, prefix
	return inv
}

type coverDelta struct {
	k coverKey
	n [nCounters]int64
}

type delta struct {
	k           key
	n           int64
	first, last int64
	dirs        uint8 // directions not written yet
}

// Flush adds the counts observed since the last successful Flush to
// Redis, in one transaction. On error nothing was written and the counts
// stay pending for the next Flush. Without Redis it does nothing.
func (inv *Inventory) Flush(ctx context.Context) error {
	if inv.rdb == nil {
		return nil
	}
	inv.mu.Lock()
	var ds []delta
	for k, e := range inv.m {
		if e.count == e.flushedCount && e.dirs == e.flushedDirs {
			continue
		}
		ds = append(ds, delta{k: k, n: e.count - e.flushedCount, first: e.first, last: e.last, dirs: e.dirs &^ e.flushedDirs})
		e.flushedCount, e.flushedDirs = e.count, e.dirs
	}
	refused := inv.refused - inv.refusedFlushed
	inv.refusedFlushed = inv.refused
	var cds []coverDelta
	for k, row := range inv.cover {
		if row.n == row.flushed {
			continue
		}
		cd := coverDelta{k: k}
		for i := range row.n {
			cd.n[i] = row.n[i] - row.flushed[i]
		}
		row.flushed = row.n
		cds = append(cds, cd)
	}
	inv.mu.Unlock()
	if len(ds) == 0 && refused == 0 && len(cds) == 0 {
		return nil
	}

	p := inv.prefix
	_, err := inv.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, d := range ds {
			f := d.k.route + sep + d.k.object + sep + d.k.field + sep + d.k.category
			if d.n > 0 {
				pipe.HIncrBy(ctx, p+":count", f, d.n)
			}
			pipe.ZAddLT(ctx, p+":first", redis.Z{Score: float64(d.first / 1e6), Member: f})
			pipe.ZAddGT(ctx, p+":last", redis.Z{Score: float64(d.last / 1e6), Member: f})
			if d.dirs&dirRequest != 0 {
				pipe.HSet(ctx, p+":dirs", f+sep+DirectionRequest, 1)
			}
			if d.dirs&dirResponse != 0 {
				pipe.HSet(ctx, p+":dirs", f+sep+DirectionResponse, 1)
			}
		}
		if refused > 0 {
			pipe.HIncrBy(ctx, p+":meta", "truncated", refused)
		}
		for _, cd := range cds {
			f := cd.k.route + sep + coverDirections[cd.k.direction] + sep + coverFormats[cd.k.format] + sep
			for i, n := range cd.n {
				if n != 0 {
					pipe.HIncrBy(ctx, p+":coverage", f+counterNames[i], n)
				}
			}
		}
		return nil
	})
	if err != nil {
		// MULTI/EXEC: nothing was applied (unless only the reply was
		// lost, which counts these deltas twice). Put them back.
		inv.mu.Lock()
		for _, d := range ds {
			if e := inv.m[d.k]; e != nil {
				e.flushedCount -= d.n
				e.flushedDirs &^= d.dirs
			}
		}
		inv.refusedFlushed -= refused
		for _, cd := range cds {
			if row := inv.cover[cd.k]; row != nil {
				for i, n := range cd.n {
					row.flushed[i] -= n
				}
			}
		}
		inv.mu.Unlock()
		return fmt.Errorf("inventory flush: %w", err)
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more (with a
// short deadline of its own). Flush errors go to onErr (may be nil);
// pending counts are retried at the next tick.
func (inv *Inventory) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	if inv.rdb == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err := inv.Flush(fctx)
			cancel()
			if err != nil && onErr != nil {
				onErr(err)
			}
			return
		case <-t.C:
			if err := inv.Flush(ctx); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// SharedSnapshot flushes this process's pending counts and returns the
// inventory merged across the replicas sharing the Redis.
func (inv *Inventory) SharedSnapshot(ctx context.Context) (Report, error) {
	if inv.rdb == nil {
		return inv.Snapshot(), nil
	}
	if err := inv.Flush(ctx); err != nil {
		return Report{}, err
	}
	p := inv.prefix
	pipe := inv.rdb.Pipeline()
	counts := pipe.HGetAll(ctx, p+":count")
	firsts := pipe.ZRangeWithScores(ctx, p+":first", 0, -1)
	lasts := pipe.ZRangeWithScores(ctx, p+":last", 0, -1)
	dirs := pipe.HGetAll(ctx, p+":dirs")
	truncated := pipe.HGet(ctx, p+":meta", "truncated")
	covers := pipe.HGetAll(ctx, p+":coverage")
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return Report{}, fmt.Errorf("inventory read: %w", err)
	}
	byField := map[string]*Entry{}
	for f, v := range counts.Val() {
		parts := strings.Split(f, sep)
		if len(parts) != 4 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		byField[f] = &Entry{Route: parts[0], Object: parts[1], Field: parts[2], Category: parts[3], Count: n, Directions: []string{}}
	}
	for _, z := range firsts.Val() {
		if e := byField[z.Member.(string)]; e != nil {
			e.FirstSeen = time.UnixMilli(int64(z.Score)).UTC()
		}
	}
	for _, z := range lasts.Val() {
		if e := byField[z.Member.(string)]; e != nil {
			e.LastSeen = time.UnixMilli(int64(z.Score)).UTC()
		}
	}
	for _, d := range []string{DirectionRequest, DirectionResponse} { // in this order
		for f := range dirs.Val() {
			base, dir, ok := cutLast(f, sep)
			if e := byField[base]; ok && dir == d && e != nil {
				e.Directions = append(e.Directions, d)
			}
		}
	}
	r := Report{GeneratedAt: inv.now().UTC(), Source: SourceRedis, MaxEntries: inv.max, Entries: make([]Entry, 0, len(byField))}
	r.Truncated, _ = strconv.ParseInt(truncated.Val(), 10, 64)
	for _, e := range byField {
		r.Entries = append(r.Entries, *e)
	}
	SortEntries(r.Entries)
	r.Coverage = sharedCoverage(covers.Val())
	return r, nil
}

// sharedCoverage is the coverage merged in the PREFIX:coverage hash h.
// A direction or format this version does not know counts as Other; a
// counter it does not know is left out.
func sharedCoverage(h map[string]string) []Coverage {
	rows := map[coverKey]*[nCounters]int64{}
	for f, v := range h {
		parts := strings.Split(f, sep)
		if len(parts) != 4 {
			continue
		}
		c := slices.Index(counterNames[:], parts[3])
		if c < 0 {
			continue
		}
		k := coverKey{parts[0], index(coverDirections[:], parts[1]), index(coverFormats[:], parts[2])}
		n := rows[k]
		if n == nil {
			n = new([nCounters]int64)
			rows[k] = n
		}
		x, _ := strconv.ParseInt(v, 10, 64)
		n[c] += x
	}
	out := make([]Coverage, 0, len(rows))
	for k, n := range rows {
		out = append(out, coverage(k, n))
	}
	SortCoverage(out)
	return out
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
