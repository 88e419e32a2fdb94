package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// MarkerTTL is how long a writer marker ({<stream>}:writer:<instance>)
// outlives its instance's last batch.
const MarkerTTL = 7 * 24 * time.Hour

// writeTimeout bounds one transaction; the client's own timeouts are
// usually shorter.
const writeTimeout = 5 * time.Second

// maxRetry bounds the wait between attempts while Redis is away.
const maxRetry = time.Second

// MarkerKey is the key holding "<seq> <hash>" of the last event of
// instance written to stream. It shares the stream's Cluster slot: its
// hash tag is the stream's name (or the stream's own hash tag).
func MarkerKey(stream, instance string) string {
	if i := strings.IndexByte(stream, '{'); i >= 0 {
		if j := strings.IndexByte(stream[i+1:], '}'); j > 0 {
			return stream + ":writer:" + instance
		}
	}
	return "{" + stream + "}:writer:" + instance
}

// run is the stream's writer: batches from the queue, or from the spool
// while it holds events, to Redis (and the file).
func (s *stream) run() {
	defer close(s.exited)
	defer s.finish()
	var batch []*item
	retry := s.flush
	lingered := false
	for {
		s.mu.Lock()
		if s.spoolActive {
			s.mu.Unlock()
			if s.replay() {
				retry = s.flush
				continue
			}
			if s.isClosing() {
				return // the next start replays it
			}
			select {
			case <-time.After(retry):
			case <-s.closing:
			case <-s.ctx.Done():
			}
			retry = min(2*retry, maxRetry)
			continue
		}
		if len(s.queue) == 0 {
			s.mu.Unlock()
			if s.isClosing() {
				return
			}
			var due <-chan time.Time
			if d, ok := s.nextCheckpoint(); ok {
				due = time.After(d)
			}
			select {
			case <-s.wake:
			case <-s.closing:
			case <-due:
				s.idleCheckpoints(false)
			}
			continue
		}
		n := min(len(s.queue), s.batch)
		if !lingered && n < s.batch && s.rdb != nil && s.linger > 0 && !waited(s.queue[:n]) {
			// A batch short of full waits a moment for the events behind
			// it, so that a busy proxy writes tens of events per
			// transaction rather than one or two; a RecordSync caller
			// (hurry) or closing ends the wait.
			s.mu.Unlock()
			lingered = true
			t := time.NewTimer(s.linger)
			select {
			case <-t.C:
			case <-s.hurry:
			case <-s.closing:
			}
			t.Stop()
			continue
		}
		lingered = false
		batch = append(batch[:0], s.queue[:n]...)
		s.mu.Unlock()
		err := s.write(batch)
		s.mu.Lock()
		if err == nil {
			last := batch[len(batch)-1].seq
			k := 0
			for k < len(s.queue) && s.queue[k].seq <= last {
				k++
			}
			clear(s.queue[:k])
			s.queue = s.queue[k:] // append reallocates as it needs: amortised O(1)
			if s.spool == nil && len(s.queue) == 0 {
				s.dropping = false
			}
			set(s.m.queueLen, float64(len(s.queue)))
			s.mu.Unlock()
			continue
		}
		// Redis refused or did not answer: what is queued goes to the
		// spool, in order, and new events behind it.
		waiting, serr := s.spillLocked(nil)
		s.mu.Unlock()
		s.syncSpool(waiting, serr)
	}
}

// DefaultLinger is how long a writer waits for a short batch to fill:
// about a Redis round trip at load, far under what a SOC reading the
// stream notices. At 10,000 events a second it makes batches of about ten.
const DefaultLinger = time.Millisecond

// waited reports whether a RecordSync caller waits on one of the items:
// their batch goes at once.
func waited(items []*item) bool {
	for _, it := range items {
		if it.done != nil {
			return true
		}
	}
	return false
}

func (s *stream) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// finish fsyncs and closes the files.
func (s *stream) finish() {
	var errs []error
	s.idleCheckpoints(true) // a clean stop leaves no unverified tail
	if s.file != nil {
		errs = append(errs, s.file.Sync(), s.file.Close())
	}
	if s.spool != nil {
		s.mu.Lock()
		errs = append(errs, s.spool.Sync(), s.spool.Close())
		s.mu.Unlock()
	}
	s.closeErr = errors.Join(errs...)
}

// write sends a batch (in seq order per instance) to Redis in one
// MULTI/EXEC with the writer markers, skipping what Redis already holds,
// then to the file; it answers the batch's waiters. Without Redis it
// writes the file only and never fails.
func (s *stream) write(batch []*item) error {
	if s.rdb == nil {
		err := s.writeFile(batch)
		answer(batch, err)
		return nil
	}
	if err := s.checkMarkers(batch); err != nil {
		s.failed(err)
		return err
	}
	todo := make([]*item, 0, len(batch))
	for _, it := range batch {
		if it.seq > s.written[it.inst] {
			todo = append(todo, it)
		}
	}
	if len(todo) > 0 {
		marks := map[string]item{}
		for _, it := range todo {
			marks[it.inst] = item{seq: it.seq, hash: it.hash}
		}
		ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
		start := time.Now()
		commit := func() {}
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, it := range todo {
				// XADD <stream> MAXLEN ~ <n> * <field> <json>, as XAdd
				// writes it, from arguments made once per stream.
				args := make([]any, len(s.xadd)+1)
				copy(args, s.xadd)
				args[len(s.xadd)] = it.data
				_ = p.Process(ctx, redis.NewStringCmd(ctx, args...))
			}
			for inst, m := range marks {
				p.Set(ctx, MarkerKey(s.name, inst), strconv.FormatUint(m.seq, 10)+" "+m.hash, MarkerTTL)
			}
			commit = s.redisCheckpoints(ctx, p, marks, start)
			return nil
		})
		cancel()
		observe(s.m.timeRedis, start)
		if err != nil {
			s.failed(err)
			return err
		}
		for inst, m := range marks {
			s.written[inst] = m.seq
		}
		commit()
		add(s.m.writtenRedis, len(todo))
	}
	if s.down {
		s.down = false
		s.log.Info("audit: redis answers again")
	}
	_ = s.writeFile(batch)
	answer(batch, nil)
	return nil
}

// failed notes a failed write: what Redis holds is uncertain until the
// markers are read again.
func (s *stream) failed(err error) {
	add(s.m.errRedis, 1)
	clear(s.checked)
	if !s.down {
		s.down = true
		s.log.Warn("audit: redis write failed: events go to the spool until it answers", zap.Error(err))
	}
}

// reply answers a RecordSync waiter once: a record spilled while its
// batch was in flight may be answered twice, the first answer counts.
func reply(it *item, err error) {
	if it.done != nil {
		select {
		case it.done <- err:
		default:
		}
	}
}

func answer(batch []*item, err error) {
	for _, it := range batch {
		reply(it, err)
	}
}

// writeFile appends the batch's records not yet in the file, one JSON
// line each, and fsyncs when a waiter needs it.
func (s *stream) writeFile(batch []*item) error {
	if s.file == nil {
		return nil
	}
	var buf []byte
	n, sync := 0, false
	for _, it := range batch {
		if it.seq <= s.filed[it.inst] {
			continue
		}
		s.filed[it.inst] = it.seq
		buf = append(append(buf, it.data...), '\n')
		n++
		sync = sync || it.done != nil
	}
	if n == 0 {
		return nil
	}
	start := time.Now()
	_, err := s.file.Write(buf)
	if err == nil && sync {
		err = s.file.Sync()
	}
	observe(s.m.timeFile, start)
	if err != nil {
		add(s.m.errFile, 1)
		s.log.Error("audit file: write failed", zap.Int("events", n), zap.Error(err))
		return err
	}
	add(s.m.writtenFile, n)
	s.fileWritten(batch, time.Now())
	return nil
}

// checkMarkers reads, once per instance after each failure (and at
// first sight), the marker of each instance in batch, and believes it
// only when one of our own records carries its seq and hash: a marker
// left by an earlier run under the same instance name is ignored.
func (s *stream) checkMarkers(batch []*item) error {
	for _, it := range batch {
		inst := it.inst
		if s.checked[inst] {
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
		v, err := s.rdb.Get(ctx, MarkerKey(s.name, inst)).Result()
		cancel()
		if err != nil && err != redis.Nil {
			return err
		}
		s.checked[inst] = true
		if err == redis.Nil {
			continue
		}
		seqStr, hash, _ := strings.Cut(v, " ")
		m, perr := strconv.ParseUint(seqStr, 10, 64)
		if perr != nil || m <= s.written[inst] {
			continue
		}
		if s.holds(batch, inst, m, hash) {
			s.written[inst] = m
			if inst != s.r.instance {
				// A previous run's file has what it wrote to Redis.
				s.filed[inst] = max(s.filed[inst], m)
			}
		}
	}
	return nil
}

// holds says whether the batch, or the spool beyond it, holds record m
// of inst with hash.
func (s *stream) holds(batch []*item, inst string, m uint64, hash string) bool {
	for _, it := range batch {
		if it.inst == inst && it.seq == m {
			return it.hash == hash
		}
	}
	if s.spool == nil || inst == s.r.instance {
		return false // our own uncertain batch is always the head of the next one
	}
	s.mu.Lock()
	off, size := s.readOff, s.spoolSize
	s.mu.Unlock()
	found := false
	_, _ = ReadSpool(io.NewSectionReader(s.spool, off, size-off), 0, func(p []byte, _ int64) error {
		if h, err := readHead(p); err == nil && h.Instance == inst && h.Seq == m {
			found = h.Hash == hash
			return ErrStop
		}
		return nil
	})
	return found
}

// spoolHead is what the writer reads of a spooled record.
type spoolHead struct {
	Instance string `json:"instance"`
	Seq      uint64 `json:"seq"`
	Hash     string `json:"hash"`
}

var (
	instanceKey = []byte(`"instance":"`)
	seqKey      = []byte(`,"seq":`)
	hashKey     = []byte(`,"hash":"`)
	macKey      = []byte(`,"mac":"`)
)

// readHead reads instance, seq and hash of a stored record. The writer
// wrote it: instance (a name without quotes) and seq come early, the
// hash last; anything else goes through encoding/json.
func readHead(p []byte) (spoolHead, error) {
	var h spoolHead
	const hashEnd = 64 + 2 // 64 hex digits, `"}`
	n := len(p)
	if n > hashEnd+len(macKey) && bytes.Equal(p[n-hashEnd-len(macKey):n-hashEnd], macKey) {
		n -= len(macKey) + 64 + 1 // a keyed record: `,"mac":"<64 hex>"` follows the hash
	}
	if n > hashEnd+len(hashKey) && bytes.Equal(p[n-hashEnd-len(hashKey):n-hashEnd], hashKey) {
		if i := bytes.Index(p, instanceKey); i > 0 {
			rest := p[i+len(instanceKey):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 && bytes.HasPrefix(rest[j+1:], seqKey) {
				num := rest[j+1+len(seqKey):]
				k := 0
				for k < len(num) && num[k] >= '0' && num[k] <= '9' {
					k++
				}
				if seq, err := strconv.ParseUint(string(num[:k]), 10, 64); err == nil && k < len(num) && (num[k] == ',' || num[k] == '}') {
					h.Instance, h.Seq, h.Hash = string(rest[:j]), seq, string(p[n-hashEnd:n-2])
					return h, nil
				}
			}
		}
	}
	err := json.Unmarshal(p, &h)
	return h, err
}

// replay writes the next batch of the spool to Redis; when the spool is
// all written it is emptied and new events use the queue again. It says
// whether Redis took the batch.
func (s *stream) replay() bool {
	s.mu.Lock()
	off, size := s.readOff, s.spoolSize
	s.mu.Unlock()
	var batch []*item
	end, rerr := ReadSpool(io.NewSectionReader(s.spool, off, size-off), s.batch, func(p []byte, at int64) error {
		h, err := readHead(p)
		if err != nil {
			// Not the decoder's message: it may quote a piece of the record.
			add(s.m.dropEncode, 1)
			s.log.Error("audit spool: a record does not decode, skipped", zap.Int64("offset", off+at-int64(len(p))-frameHeader))
			return nil
		}
		batch = append(batch, &item{seq: h.Seq, inst: h.Instance, hash: h.Hash, data: append([]byte(nil), p...)})
		return nil
	})
	if rerr != nil {
		// Only a disk fault gets here: frames were checked at open and
		// are appended whole under the lock.
		s.log.Error("audit spool: unreadable, the rest is skipped", zap.String("spool", s.spoolPath), zap.Error(rerr))
		end = size - off
	}
	if len(batch) > 0 {
		if err := s.write(batch); err != nil {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOff = off + end
	if s.readOff >= s.spoolSize {
		if err := s.spool.Truncate(0); err != nil {
			s.log.Error("audit spool: cannot empty it", zap.Error(err))
		}
		s.readOff, s.spoolSize, s.spoolActive, s.dropping = 0, 0, false, false
	}
	set(s.m.spoolBytes, float64(s.spoolSize-s.readOff))
	return true
}
