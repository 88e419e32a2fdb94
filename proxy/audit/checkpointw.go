package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io/fs"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Writing checkpoints. Each stream keeps, per instance and per place
// (the Redis checkpoint key, the head file), the last record written
// there and the last checkpointed; a checkpoint is due every `every`
// records, or `interval` after the first record not yet covered, and at
// Close. The Redis one goes in the same MULTI/EXEC as its records; the
// head file is replaced after the audit file is fsynced, so it never
// names a record the file might lose in a crash.

// signer signs the checkpoints of a Recorder.
type signer struct {
	key      ed25519.PrivateKey
	id       string
	every    uint64
	interval time.Duration
}

func (g *signer) sign(stream, inst string, seq uint64, hash string) Checkpoint {
	return signCheckpoint(g.key, g.id, Checkpoint{Stream: stream, Instance: inst, Seq: seq, Hash: hash, Time: time.Now()})
}

// cpState is one instance's checkpointing in one place.
type cpState struct {
	seq     uint64 // last record written there
	hash    string
	cpSeq   uint64    // last checkpointed
	pending time.Time // when the first record after cpSeq was written
}

func (c *cpState) wrote(seq uint64, hash string, now time.Time) {
	if seq <= c.seq {
		return
	}
	if c.seq == c.cpSeq {
		c.pending = now
	}
	c.seq, c.hash = seq, hash
}

func (c *cpState) due(g *signer, now time.Time, force bool) bool {
	if c.seq <= c.cpSeq {
		return false
	}
	return force || c.seq-c.cpSeq >= g.every || now.Sub(c.pending) >= g.interval
}

func cpOf(m map[string]*cpState, inst string) *cpState {
	c, ok := m[inst]
	if !ok {
		c = &cpState{}
		m[inst] = c
	}
	return c
}

// initCheckpoints sets the stream up to checkpoint (a nil signer: never),
// carrying over the head file's checkpoints of other instances.
func (s *stream) initCheckpoints(g *signer, head string) {
	s.sg = g
	if g == nil {
		return
	}
	s.cpRedis, s.cpFile, s.headCps = map[string]*cpState{}, map[string]*cpState{}, map[string]Checkpoint{}
	if s.file == nil {
		return
	}
	s.headPath = head
	h, err := ReadHead(head)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		s.log.Warn("audit head file: unreadable, starting a new one", zap.String("head", head), zap.Error(err))
	default:
		for _, c := range h.Checkpoints {
			if c.Stream == s.label {
				s.headCps[c.Instance] = c
			}
		}
	}
}

// redisCheckpoints adds to a write's transaction the checkpoints due
// once marks are written; commit records them after it succeeded.
func (s *stream) redisCheckpoints(ctx context.Context, p redis.Pipeliner, marks map[string]item, now time.Time) (commit func()) {
	if s.sg == nil {
		return func() {}
	}
	var done []func()
	for inst, m := range marks {
		c := *cpOf(s.cpRedis, inst) // a copy: the write may fail
		c.wrote(m.seq, m.hash, now)
		if c.due(s.sg, now, false) {
			cp := s.sg.sign(s.label, inst, m.seq, m.hash)
			b, _ := json.Marshal(cp)
			p.Set(ctx, CheckpointKey(s.name, inst), b, MarkerTTL)
			c.cpSeq = m.seq
		}
		done = append(done, func() { *s.cpRedis[inst] = c })
	}
	return func() {
		for _, f := range done {
			f()
		}
	}
}

// fileWritten notes records appended to the file and writes the head
// file when a checkpoint is due.
func (s *stream) fileWritten(batch []*item, now time.Time) {
	if s.sg == nil || s.headPath == "" {
		return
	}
	for _, it := range batch {
		cpOf(s.cpFile, it.inst).wrote(it.seq, it.hash, now)
	}
	s.fileCheckpoints(now, false)
}

func (s *stream) fileCheckpoints(now time.Time, force bool) {
	if s.sg == nil || s.headPath == "" {
		return
	}
	var due []string
	for inst, c := range s.cpFile {
		if c.due(s.sg, now, force) {
			due = append(due, inst)
		}
	}
	if len(due) == 0 {
		return
	}
	if err := s.file.Sync(); err != nil {
		s.log.Error("audit file: fsync before a checkpoint failed", zap.Error(err))
		return
	}
	for _, inst := range due {
		c := s.cpFile[inst]
		s.headCps[inst] = s.sg.sign(s.label, inst, c.seq, c.hash)
	}
	if err := writeHead(s.headPath, s.headCps); err != nil {
		s.log.Error("audit head file: cannot write the checkpoint", zap.String("head", s.headPath), zap.Error(err))
		return
	}
	for _, inst := range due {
		c := s.cpFile[inst]
		c.cpSeq = c.seq
	}
}

// idleCheckpoints writes the checkpoints due by time (all of them when
// force, at Close) of records already written.
func (s *stream) idleCheckpoints(force bool) {
	if s.sg == nil {
		return
	}
	now := time.Now()
	if s.rdb != nil && s.ctx.Err() == nil {
		for inst, c := range s.cpRedis {
			if !c.due(s.sg, now, force) {
				continue
			}
			b, _ := json.Marshal(s.sg.sign(s.label, inst, c.seq, c.hash))
			ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
			err := s.rdb.Set(ctx, CheckpointKey(s.name, inst), b, MarkerTTL).Err()
			cancel()
			if err != nil {
				s.log.Warn("audit: cannot write a checkpoint to redis", zap.Error(err))
				break
			}
			c.cpSeq = c.seq
		}
	}
	if s.file != nil {
		s.fileCheckpoints(now, force)
	}
}

// nextCheckpoint is how long until a checkpoint falls due by time.
func (s *stream) nextCheckpoint() (time.Duration, bool) {
	if s.sg == nil {
		return 0, false
	}
	var at time.Time
	for _, m := range []map[string]*cpState{s.cpRedis, s.cpFile} {
		for _, c := range m {
			if c.seq > c.cpSeq && (at.IsZero() || c.pending.Before(at)) {
				at = c.pending
			}
		}
	}
	if at.IsZero() {
		return 0, false
	}
	return max(time.Until(at.Add(s.sg.interval)), 0), true
}
