package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
)

var errSpoolBusy = errors.New("audit spool: locked by another writer")

// maxSpoolSlots bounds the writers sharing one spool directory: each
// locks its own file (<stream>.spool, <stream>.1.spool, …) and adopts,
// replaying it first, whatever a writer that ended left in it.
const maxSpoolSlots = 64

// item is one chained record on its way out.
type item struct {
	seq  uint64
	inst string
	hash string
	data []byte     // the stored JSON
	done chan error // RecordSync's waiter, or nil
}

// stream is one logical stream ("audit" or "alerts"): its chain, queue,
// spool, file and writer.
type stream struct {
	r        *Recorder
	label    string
	name     string
	field    string
	rdb      redis.UniversalClient
	xadd     []any // XADD's arguments before the record (writer.go)
	batch    int
	linger   time.Duration // how long a short batch waits to fill (DefaultLinger)
	queueMax int
	flush    time.Duration
	spoolMax int64
	block    bool
	log      *zap.Logger
	m        meters

	mu          sync.Mutex
	seq         uint64
	prev        string
	queue       []*item
	spool       *os.File // nil without Redis
	spoolPath   string
	spoolSize   int64 // bytes in the spool file
	readOff     int64 // bytes of it replayed
	spoolActive bool  // the spool holds events not yet in Redis: new ones go behind them
	dropping    bool  // a drop episode is on (its alert raised)
	closed      bool
	sinkless    bool // neither Redis nor a file: events go nowhere

	wake     chan struct{}
	hurry    chan struct{} // a RecordSync caller waits: the writer's linger ends
	closing  chan struct{}
	exited   chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	closeErr error

	// Writer-owned.
	file    *os.File
	written map[string]uint64 // per instance: the last seq known in Redis
	filed   map[string]uint64 // per instance: the last seq in the file
	checked map[string]bool   // per instance: marker read since the last failure
	down    bool              // the last Redis write failed

	// Checkpoints (checkpointw.go), writer-owned.
	sg       *signer // nil: none
	headPath string  // "" no head file
	cpRedis  map[string]*cpState
	cpFile   map[string]*cpState
	headCps  map[string]Checkpoint // the head file's, per instance
}

// meters are the Counters' children for one stream.
type meters struct {
	queued, spooled, dropSpool, dropQueue, dropEncode prometheus.Counter
	writtenRedis, writtenFile, errRedis, errFile      prometheus.Counter
	queueLen, spoolBytes                              prometheus.Gauge
	timeRedis, timeFile                               prometheus.Observer
}

func newMeters(c Counters, st string) meters {
	var m meters
	cv := func(v *prometheus.CounterVec, l ...string) prometheus.Counter {
		if v == nil {
			return nil
		}
		return v.WithLabelValues(l...)
	}
	m.queued, m.spooled = cv(c.Queued, st), cv(c.Spooled, st)
	m.dropSpool, m.dropQueue, m.dropEncode = cv(c.Dropped, st, "spool_full"), cv(c.Dropped, st, "queue_full"), cv(c.Dropped, st, "encode")
	m.writtenRedis, m.writtenFile = cv(c.Written, st, "redis"), cv(c.Written, st, "file")
	m.errRedis, m.errFile = cv(c.WriteErrors, st, "redis"), cv(c.WriteErrors, st, "file")
	if c.QueueLength != nil {
		m.queueLen = c.QueueLength.WithLabelValues(st)
	}
	if c.SpoolBytes != nil {
		m.spoolBytes = c.SpoolBytes.WithLabelValues(st)
	}
	if c.WriteTime != nil {
		m.timeRedis, m.timeFile = c.WriteTime.WithLabelValues(st, "redis"), c.WriteTime.WithLabelValues(st, "file")
	}
	return m
}

func add(c prometheus.Counter, n int) {
	if c != nil && n > 0 {
		c.Add(float64(n))
	}
}

func set(g prometheus.Gauge, v float64) {
	if g != nil {
		g.Set(v)
	}
}

func observe(o prometheus.Observer, since time.Time) {
	if o != nil {
		o.Observe(time.Since(since).Seconds())
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func newStream(r *Recorder, o Options, label, name, field, file string, sg *signer, head string) (*stream, error) {
	s := &stream{
		r: r, label: label, name: name, field: field, rdb: o.Redis,
		batch: o.Batch, linger: cmp.Or(o.Linger, DefaultLinger), queueMax: o.Queue, flush: o.FlushInterval, spoolMax: o.SpoolMaxBytes,
		block: o.OnFull == config.OnFullBlock, log: o.Log.With(zap.String("stream", label)),
		m:    newMeters(o.Counters, label),
		wake: make(chan struct{}, 1), hurry: make(chan struct{}, 1), closing: make(chan struct{}), exited: make(chan struct{}),
		written: map[string]uint64{}, filed: map[string]uint64{}, checked: map[string]bool{},
	}
	s.xadd = []any{"xadd", name, "maxlen", "~", o.MaxLen, "*", field}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if file != "" {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit file: %w", err)
		}
		s.file = f
	}
	s.sinkless = s.rdb == nil && s.file == nil
	s.initCheckpoints(sg, head)
	if s.rdb != nil {
		base := filepath.Join(o.SpoolDir, label+"-"+unsafeName.ReplaceAllString(name, "_"))
		if err := s.openSpool(base); err != nil {
			s.closeFiles()
			return nil, err
		}
	}
	return s, nil
}

// openSpool takes the first spool file of base no other writer holds,
// keeps its good frames (a truncated tail is
// cut, a corrupt remainder moved aside to <spool>.corrupt-<unix>) and
// replays them before any new event.
func (s *stream) openSpool(base string) error {
	var f *os.File
	for slot := 0; f == nil; slot++ {
		if slot == maxSpoolSlots {
			return fmt.Errorf("audit spool %s.spool: %d writers use this spool_dir already", base, maxSpoolSlots)
		}
		s.spoolPath = base + ".spool"
		if slot > 0 {
			s.spoolPath = fmt.Sprintf("%s.%d.spool", base, slot)
		}
		var err error
		if f, err = os.OpenFile(s.spoolPath, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return fmt.Errorf("audit spool: %w", err)
		}
		if err := lockSpool(f); err != nil {
			f.Close()
			f = nil
			if err != errSpoolBusy {
				return fmt.Errorf("audit spool: %w", err)
			}
		}
	}
	_ = f.Chmod(0o600)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit spool: %w", err)
	}
	good, rerr := ReadSpool(io.NewSectionReader(f, 0, st.Size()), 0, func([]byte, int64) error { return nil })
	if rerr != nil {
		s.setAside(s.spoolPath, f, good, st.Size(), rerr)
		if err := f.Truncate(good); err != nil {
			f.Close()
			return fmt.Errorf("audit spool: %w", err)
		}
	}
	// Ours is whole: append what ended writers left.
	s.adoptOrphans(base, f)
	if st, err = f.Stat(); err != nil {
		f.Close()
		return fmt.Errorf("audit spool: %w", err)
	}
	good = st.Size()
	s.spool, s.spoolSize, s.spoolActive = f, good, good > 0
	if good > 0 {
		s.log.Info("audit spool: replaying what a previous run left", zap.String("spool", s.spoolPath), zap.Int64("bytes", good))
	}
	set(s.m.spoolBytes, float64(good))
	return nil
}

// adoptOrphans moves into ours the good frames of the other spool files
// of base that no writer holds (left by writers that ended), so that
// they are replayed too. A crash mid-way leaves frames in both: the
// markers skip the copy written second.
func (s *stream) adoptOrphans(base string, ours *os.File) {
	others, _ := filepath.Glob(base + ".*.spool")
	others = append(others, base+".spool")
	for _, p := range others {
		if p == s.spoolPath {
			continue
		}
		o, err := os.OpenFile(p, os.O_RDWR, 0o600)
		if err != nil {
			continue
		}
		if lockSpool(o) != nil {
			o.Close()
			continue
		}
		st, err := o.Stat()
		if err == nil && st.Size() > 0 {
			good, rerr := ReadSpool(io.NewSectionReader(o, 0, st.Size()), 0, func([]byte, int64) error { return nil })
			if rerr != nil {
				s.setAside(p, o, good, st.Size(), rerr)
			}
			if _, err = io.Copy(ours, io.NewSectionReader(o, 0, good)); err == nil {
				err = ours.Sync()
			}
			if err == nil {
				err = o.Truncate(0)
			}
			if err != nil {
				s.log.Error("audit spool: cannot adopt a spool left by another writer", zap.String("spool", p), zap.Error(err))
			} else {
				s.log.Info("audit spool: adopted a spool left by another writer", zap.String("spool", p), zap.Int64("bytes", good))
			}
		}
		o.Close()
	}
}

// setAside copies the bytes of f from good to size, past a corrupt
// frame, to <path>.corrupt-<unix nanoseconds> and logs it; a truncated
// last frame (a crash mid-append) is only logged.
func (s *stream) setAside(path string, f *os.File, good, size int64, why error) {
	if errors.Is(why, ErrSpoolTruncated) {
		s.log.Warn("audit spool: a frame cut short by a crash is dropped", zap.String("spool", path), zap.Error(why))
		return
	}
	s.log.Error("audit spool: bad frame, the rest of the spool is set aside", zap.String("spool", path), zap.Error(why))
	aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().UnixNano())
	if cf, err := os.OpenFile(aside, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_, _ = io.Copy(cf, io.NewSectionReader(f, good, size-good))
		_ = cf.Sync()
		cf.Close()
	}
}

func (s *stream) start() {
	if s.sinkless {
		close(s.exited)
		return
	}
	go s.run()
}

func (s *stream) stop() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	close(s.closing)
}

func (s *stream) closeFiles() {
	if s.file != nil {
		s.file.Close()
	}
	if s.spool != nil {
		s.spool.Close()
	}
}

func (s *stream) encodeFailed() { add(s.m.dropEncode, 1) }

// hasRoomLocked says whether one more event can be kept now.
func (s *stream) hasRoomLocked() bool {
	if !s.spoolActive && len(s.queue) < s.queueMax {
		return true
	}
	// Pending bytes are bounded by spoolMax; the file, which is emptied
	// only once all of it is replayed, by twice that.
	return s.spool != nil && s.spoolSize-s.readOff < s.spoolMax && s.spoolSize < 2*s.spoolMax
}

func (s *stream) healthy() bool {
	if !s.block || s.sinkless {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed || s.hasRoomLocked()
}

// accept chains one record (fill encodes it for seq after prev) and
// queues it, or appends it to the spool when the spool is in use or the
// queue is full. It does not wait on the network.
func (s *stream) accept(done chan error, fill func(seq uint64, prev string) ([]byte, string, error)) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if !s.hasRoomLocked() {
		reason, c := "spool_full", s.m.dropSpool
		if s.spool == nil {
			reason, c = "queue_full", s.m.dropQueue
		}
		raise := !s.block && !s.dropping
		s.dropping = s.dropping || !s.block
		size := s.spoolSize
		s.mu.Unlock()
		if s.block {
			return ErrFull
		}
		add(c, 1)
		if raise {
			s.r.droppedAlert(s, reason, size)
		}
		if done != nil {
			return ErrFull
		}
		return nil
	}
	data, hash, err := fill(s.seq+1, s.prev)
	if err != nil {
		s.mu.Unlock()
		add(s.m.dropEncode, 1)
		return fmt.Errorf("audit: encode: %w", err)
	}
	s.seq++
	s.prev = hash
	it := &item{seq: s.seq, inst: s.r.instance, hash: hash, data: data, done: done}
	add(s.m.queued, 1)
	if s.sinkless {
		s.mu.Unlock()
		reply(it, nil)
		return nil
	}
	if s.spoolActive || len(s.queue) >= s.queueMax {
		waiting, err := s.spillLocked(it)
		s.mu.Unlock()
		s.syncSpool(waiting, err)
		return nil
	}
	s.queue = append(s.queue, it)
	set(s.m.queueLen, float64(len(s.queue)))
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if done != nil {
		select {
		case s.hurry <- struct{}{}:
		default:
		}
	}
	return nil
}

// spillLocked moves the queue, then extra (if any), to the end of the
// spool, which is in use from now on. It returns the RecordSync waiters
// to answer once the spool is fsynced (syncSpool).
func (s *stream) spillLocked(extra *item) ([]*item, error) {
	size := 0
	for _, it := range s.queue {
		size += frameHeader + len(it.data)
	}
	if extra != nil {
		size += frameHeader + len(extra.data)
	}
	buf := make([]byte, 0, size)
	var waiting []*item
	n := 0
	put := func(it *item) {
		buf = appendFrame(buf, it.data)
		if it.done != nil {
			waiting = append(waiting, it)
		}
		n++
	}
	for i, it := range s.queue {
		put(it)
		s.queue[i] = nil
	}
	s.queue = s.queue[:0]
	if extra != nil {
		put(extra)
	}
	set(s.m.queueLen, 0)
	if n == 0 {
		return nil, nil
	}
	if _, err := s.spool.Write(buf); err != nil {
		// The disk refused: these events are lost; say so, never what they held.
		add(s.m.dropSpool, n)
		s.log.Error("audit spool: write failed, events lost", zap.Int("events", n), zap.Error(err))
		// A short write leaves a partial frame: cut the file back.
		_ = s.spool.Truncate(s.spoolSize)
		return waiting, err
	}
	s.spoolSize += int64(len(buf))
	s.spoolActive = true
	add(s.m.spooled, n)
	set(s.m.spoolBytes, float64(s.spoolSize-s.readOff))
	return waiting, nil
}

// syncSpool fsyncs the spool for the waiters of a spill and answers them.
func (s *stream) syncSpool(waiting []*item, err error) {
	if len(waiting) == 0 {
		return
	}
	if err == nil {
		err = s.spool.Sync()
	}
	if err != nil {
		err = fmt.Errorf("audit spool: %w", err)
	}
	for _, it := range waiting {
		reply(it, err)
	}
}
