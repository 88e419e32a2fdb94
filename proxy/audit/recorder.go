package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
)

// Errors of Record, Alert and RecordSync.
var (
	// ErrFull: the event cannot be kept (spool full, or queue full
	// without Redis) and audit.on_full is block: refuse the traffic.
	// RecordSync returns it under either policy.
	ErrFull = errors.New("audit: no room to keep the event (spool full)")
	// ErrClosed: the Recorder is closed.
	ErrClosed = errors.New("audit: recorder closed")
)

// Options configure a Recorder. Zero values take the config defaults.
type Options struct {
	Redis         redis.UniversalClient // nil: no Redis, no spool; JSONL files only (or nowhere)
	Stream        string                // audit events, default veil:audit
	AlertStream   string                // alerts, default veil:alerts
	MaxLen        int64                 // approximate MAXLEN of each stream (0: default)
	File          string                // JSONL of events ("" none)
	AlertFile     string                // JSONL of alerts ("" none)
	Queue         int                   // events held in memory per stream
	Batch         int                   // events per transaction
	Linger        time.Duration         // how long a short batch waits to fill (0: DefaultLinger; < 0: none)
	FlushInterval time.Duration         // first retry delay while Redis is away (doubles to 1 s)
	SpoolDir      string                // "" is <tmp>/veil-spool
	SpoolMaxBytes int64                 // per stream
	OnFull        string                // config.OnFullDrop (default) or config.OnFullBlock
	Sync          bool                  // Record and Alert wait until the event is durable (RecordSync)
	Instance      string                // "" is host name + "-" + 6 random hex digits
	Counters      Counters

	// Tamper evidence (doc.go, "Keyed chain and checkpoints").
	ChainKeyFile       string        // chain keys ("<id> <base64>" lines, the last active); "" reads ChainKeyEnv
	ChainKeyEnv        string        // environment variable holding the chain keys when ChainKeyFile is ""
	SigningKeyFile     string        // Ed25519 PKCS#8 PEM: sign checkpoints ("" none)
	HeadFile           string        // the events' head file ("" is File + ".head"); the alerts' is AlertFile + ".head"
	CheckpointEvery    int           // records between checkpoints (0: config.DefaultCheckpointEvery)
	CheckpointInterval time.Duration // longest wait for a checkpoint after a record (0: config.DefaultCheckpointInterval)
	Log                *zap.Logger
}

// OptionsFrom is the Options of the config's audit: section (add Redis,
// Counters and Log).
func OptionsFrom(c config.Audit) Options {
	return Options{
		Stream: c.Stream, AlertStream: c.AlertStream, MaxLen: c.MaxLen,
		File: c.File, AlertFile: c.AlertFile, Queue: c.Queue, Batch: c.Batch,
		FlushInterval: c.FlushInterval, SpoolDir: c.SpoolDir, SpoolMaxBytes: c.SpoolMaxBytes,
		OnFull: c.OnFull, Sync: c.Sync, Instance: c.Instance,
		ChainKeyFile: c.ChainKeyFile, ChainKeyEnv: ChainKeyEnv, SigningKeyFile: c.SigningKeyFile,
		HeadFile: c.HeadFile, CheckpointEvery: c.Checkpoint.Every, CheckpointInterval: c.Checkpoint.Interval,
	}
}

// Counters are the writer's Prometheus collectors (proxy/metrics declares
// them); a nil one is not counted. Label stream is "audit" or "alerts",
// sink "redis" or "file", reason "spool_full", "queue_full" or "encode".
type Counters struct {
	Queued      *prometheus.CounterVec   // {stream}
	Spooled     *prometheus.CounterVec   // {stream}
	Written     *prometheus.CounterVec   // {stream,sink}
	Dropped     *prometheus.CounterVec   // {stream,reason}
	WriteErrors *prometheus.CounterVec   // {stream,sink}
	QueueLength *prometheus.GaugeVec     // {stream}
	SpoolBytes  *prometheus.GaugeVec     // {stream}
	WriteTime   *prometheus.HistogramVec // {stream,sink}
	Alerts      *prometheus.CounterVec   // {kind,severity}: the recorder's own events_dropped alerts
}

// Recorder writes audit events and alerts off the request path
// (docs/soc.md describes delivery, the chain and the checkpoints).
//
//	r, err := audit.Open(audit.Options{Redis: c, Log: log, ...}) // or OptionsFrom(cfg.Audit)
//	err = r.Record(e)                  // never waits on I/O (unless Options.Sync); ErrFull only under on_full: block
//	err = r.Alert(a)                   // alerts: own stream, file and chain
//	e, err = r.RecordSync(ctx, e)      // waits until durable (vault erasures)
//	ok := r.Healthy()                  // false: on_full block and no room (refuse traffic, /readyz)
//	err = r.Close(ctx)                 // drain to Redis (or the spool) and fsync
//
// Record fills ID, Time (when empty), Instance, Seq, PrevHash and Hash,
// and queues the event. One writer per stream takes batches of up to
// Batch events: per event an XADD MAXLEN ~ MaxLen with one field, "event"
// or "alert", holding the JSON, plus SET {<stream>}:writer:<instance>
// "<seq> <hash>" EX 7 days, in one MULTI/EXEC. The writer believes a
// marker only when one of its own records carries its seq and hash. Then
// it appends the batch to the JSONL file, if any.
//
// The spool is SpoolDir/<stream>.spool (0600 in a 0700 directory; frames
// of length, CRC-32C and JSON, see ReadSpool); each writer locks its own
// file, <stream>.spool, then <stream>.1.spool … when several processes
// share the directory. New events wait behind the spool until it is
// replayed, retried every FlushInterval (doubling up to 1 s). The limit is
// SpoolMaxBytes of bytes waiting (or twice that for the file, emptied only
// once wholly replayed). Under on_full drop a refused event takes no seq
// (the chain stays whole), is logged once and raises one events_dropped
// alert per episode; under block Record and Alert return ErrFull. Events
// accepted before the limit are never dropped, so the spool may exceed
// SpoolMaxBytes by at most a queue's worth. RecordSync returns ErrFull
// under either policy. A spool whose tail was cut by a crash is trimmed to
// its last whole frame at Open; a corrupt frame sets the rest aside in
// <spool>.corrupt-<unix> and says so in the log. Without Redis there is no
// spool: events go to the JSONL files only (or nowhere), and a full queue
// drops (reason queue_full) or blocks.
//
// Errors and logs name streams, files, offsets and counts, never a value.
type Recorder struct {
	sync      bool // Record and Alert wait for durability
	instance  string
	instTok   []byte // `,"instance":"<instance>"`
	keyID     string // the active chain key's id ("" keyless)
	macKey    []byte // its secret (nil keyless)
	events    *stream
	alerts    *stream
	closeOnce sync.Once
	dropAlert prometheus.Counter // nil: not counted
}

// Open starts a Recorder: it opens the files and the spool (replaying a
// spool left by a previous run before any new event) and starts one
// writer per stream.
func Open(o Options) (*Recorder, error) {
	if o.Stream == "" {
		o.Stream = config.DefaultAuditStream
	}
	if o.AlertStream == "" {
		o.AlertStream = config.DefaultAlertStream
	}
	if o.MaxLen <= 0 {
		o.MaxLen = config.DefaultStreamMaxLen
	}
	if o.Queue <= 0 {
		o.Queue = config.DefaultAuditQueue
	}
	if o.Batch <= 0 {
		o.Batch = config.DefaultAuditBatch
	}
	if o.Batch > o.Queue {
		o.Batch = o.Queue
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = config.DefaultAuditFlush
	}
	if o.SpoolMaxBytes <= 0 {
		o.SpoolMaxBytes = config.DefaultSpoolMaxBytes
	}
	if o.SpoolDir == "" {
		o.SpoolDir = filepath.Join(os.TempDir(), "veil-spool")
	}
	if o.OnFull == "" {
		o.OnFull = config.OnFullDrop
	}
	if o.OnFull != config.OnFullDrop && o.OnFull != config.OnFullBlock {
		return nil, fmt.Errorf("audit: on_full %q is not one of drop, block", o.OnFull)
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Instance == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "veil"
		}
		o.Instance = host + "-" + randomHex(3)
	}
	if o.Redis != nil {
		if err := os.MkdirAll(o.SpoolDir, 0o700); err != nil {
			return nil, fmt.Errorf("audit spool: %w", err)
		}
		if err := os.Chmod(o.SpoolDir, 0o700); err != nil {
			o.Log.Warn("audit spool: cannot make the directory 0700", zap.String("dir", o.SpoolDir), zap.Error(err))
		}
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = config.DefaultCheckpointEvery
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = config.DefaultCheckpointInterval
	}
	r := &Recorder{sync: o.Sync, instance: o.Instance, instTok: instanceToken(o.Instance)}
	keys, err := ChainKeysFrom(o.ChainKeyFile, o.ChainKeyEnv)
	if err != nil {
		return nil, err
	}
	if keys != nil {
		r.keyID, r.macKey = keys.Active(), keys.keys[keys.Active()]
	}
	var sg *signer
	if o.SigningKeyFile != "" {
		sk, err := LoadSigningKey(o.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		sg = &signer{key: sk, id: SigningKeyID(sk.Public().(ed25519.PublicKey)), every: uint64(o.CheckpointEvery), interval: o.CheckpointInterval}
	}
	if o.Counters.Alerts != nil {
		r.dropAlert = o.Counters.Alerts.WithLabelValues(AlertEventsDropped, SeverityCritical)
	}
	headFile, alertHead := o.HeadFile, ""
	if headFile == "" && o.File != "" {
		headFile = HeadPath(o.File)
	}
	if o.AlertFile != "" {
		alertHead = HeadPath(o.AlertFile)
	}
	if r.events, err = newStream(r, o, "audit", o.Stream, FieldEvent, o.File, sg, headFile); err != nil {
		return nil, err
	}
	if r.alerts, err = newStream(r, o, "alerts", o.AlertStream, FieldAlert, o.AlertFile, sg, alertHead); err != nil {
		r.events.closeFiles()
		return nil, err
	}
	r.events.start()
	r.alerts.start()
	return r, nil
}

// Instance names this process's chains.
func (r *Recorder) Instance() string { return r.instance }

// Record chains e (ID, Time, Instance, Seq, PrevHash, Hash; ID and Time
// only when empty) and queues it. It never waits on I/O; it returns
// ErrFull only under on_full: block when the event cannot be kept.
// With Options.Sync it is RecordSync: it waits until the event is durable
// (a write to Redis times out into the spool, so the wait is bounded).
func (r *Recorder) Record(e Event) error {
	if r.sync {
		_, err := r.RecordSync(context.Background(), e)
		return err
	}
	_, err := r.record(e, nil)
	return err
}

// RecordSync is Record, then waits until the event is durable: written
// to Redis, or fsynced in the spool or the file (at once when there is no
// sink). It returns the event as recorded.
func (r *Recorder) RecordSync(ctx context.Context, e Event) (Event, error) {
	done := make(chan error, 1)
	out, err := r.record(e, done)
	if err != nil {
		return out, err
	}
	select {
	case err := <-done:
		return out, err
	case <-ctx.Done():
		return out, ctx.Err()
	}
}

func (r *Recorder) record(e Event, done chan error) (Event, error) {
	if e.ID == "" {
		e.ID = randomHex(16)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	e.Instance = r.instance
	e.Seq, e.PrevHash, e.Hash, e.KeyID, e.Mac = 0, "", "", r.keyID, ""
	bp := getEncodeBuf()
	defer putEncodeBuf(bp)
	body, err := appendEvent((*bp)[:0], &e) // off the lock
	if err != nil {
		r.events.encodeFailed()
		return e, fmt.Errorf("audit: encode: %w", err)
	}
	*bp = body // grown, if it had to
	sp, spliced := newSplice(body, r.instTok, r.macKey)
	err = r.events.accept(done, func(seq uint64, prev string) ([]byte, string, error) {
		e.Seq, e.PrevHash = seq, prev
		if spliced {
			b, h := sp.fill(seq, prev)
			e.Hash = h
			if r.macKey != nil {
				e.Mac = string(b[len(b)-2-2*32 : len(b)-2]) // the splice ends in `"mac":"<hex>"}`
			}
			return b, h, nil
		}
		b, err := appendEvent(make([]byte, 0, encodeSize), &e)
		if err != nil {
			return nil, "", err
		}
		e.Hash = chainHash(prev, b)
		e.Mac = r.mac(e.Hash)
		return withMAC(withHash(b, e.Hash), e.Mac), e.Hash, nil
	})
	return e, err
}

// Alert is Record for alerts: their own stream, file and chain.
func (r *Recorder) Alert(a Alert) error {
	if !r.sync {
		_, err := r.alert(a, nil)
		return err
	}
	done := make(chan error, 1)
	if _, err := r.alert(a, done); err != nil {
		return err
	}
	return <-done
}

func (r *Recorder) alert(a Alert, done chan error) (Alert, error) {
	if a.ID == "" {
		a.ID = randomHex(16)
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	a.Time = a.Time.UTC()
	a.Instance = r.instance
	a.Seq, a.PrevHash, a.Hash, a.KeyID, a.Mac = 0, "", "", r.keyID, ""
	bp := getEncodeBuf()
	defer putEncodeBuf(bp)
	body, err := appendAlert((*bp)[:0], &a)
	if err != nil {
		r.alerts.encodeFailed()
		return a, fmt.Errorf("audit: encode: %w", err)
	}
	*bp = body
	sp, spliced := newSplice(body, r.instTok, r.macKey)
	err = r.alerts.accept(done, func(seq uint64, prev string) ([]byte, string, error) {
		a.Seq, a.PrevHash = seq, prev
		if spliced {
			b, h := sp.fill(seq, prev)
			a.Hash = h
			if r.macKey != nil {
				a.Mac = string(b[len(b)-2-2*32 : len(b)-2]) // the splice ends in `"mac":"<hex>"}`
			}
			return b, h, nil
		}
		b, err := appendAlert(make([]byte, 0, encodeSize), &a)
		if err != nil {
			return nil, "", err
		}
		a.Hash = chainHash(prev, b)
		a.Mac = r.mac(a.Hash)
		return withMAC(withHash(b, a.Hash), a.Mac), a.Hash, nil
	})
	return a, err
}

// Healthy is false when on_full is block and an event could not be kept
// now (for /readyz and refusing traffic); always true under drop.
func (r *Recorder) Healthy() bool {
	return r.events.healthy() && r.alerts.healthy()
}

// Close stops accepting, drains the queues to Redis (what Redis does not
// take goes to the spool, replayed by the next start) or the files, and
// fsyncs. When ctx ends first, the writes in flight are abandoned and
// what is left is spooled.
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.events.stop()
		r.alerts.stop()
	})
	for _, s := range []*stream{r.events, r.alerts} {
		select {
		case <-s.exited:
		case <-ctx.Done():
			s.cancel()
			<-s.exited
		}
	}
	return errors.Join(r.events.closeErr, r.alerts.closeErr)
}

// droppedAlert raises the one events_dropped alert of a drop episode.
func (r *Recorder) droppedAlert(s *stream, reason string, size int64) {
	s.log.Error("audit: events are being dropped: no room to keep them",
		zap.String("stream", s.label), zap.String("reason", reason), zap.Int64("spool_bytes", size))
	if r.dropAlert != nil {
		r.dropAlert.Inc()
	}
	_, _ = r.alert(Alert{ // never waits, even under Sync: its stream may be the full one
		Kind: AlertEventsDropped, Severity: SeverityCritical,
		Message:  fmt.Sprintf("audit %s: %s, events are being dropped", s.label, reason),
		Evidence: map[string]int64{"spool_bytes": size, "spool_max_bytes": s.spoolMax, "queue": int64(s.queueMax)},
	}, nil)
}

// mac is the mac of hash under the active chain key ("" keyless).
func (r *Recorder) mac(hash string) string {
	if r.macKey == nil {
		return ""
	}
	return macOf(r.macKey, hash)
}

// encodeBufs hold the records as encoded off the lock: the chain's fill
// copies one into the record's own buffer (splice.fill), and it is free
// again once accept returns.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, encodeSize); return &b }}

func getEncodeBuf() *[]byte { return encodeBufs.Get().(*[]byte) }

// putEncodeBuf returns b unless a huge record grew it: those are rare and
// left to the collector.
func putEncodeBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		*b = (*b)[:0]
		encodeBufs.Put(b)
	}
}

// randomHex is n random bytes (n ≤ 32) in hex, in one allocation: an
// event's id, an instance's suffix.
func randomHex(n int) string {
	var raw [32]byte
	var out [64]byte
	_, _ = rand.Read(raw[:n])
	hex.Encode(out[:], raw[:n])
	return string(out[:2*n])
}
