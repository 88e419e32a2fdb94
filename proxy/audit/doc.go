// Package audit records what Veil did, for the SOC and the DPO: audit
// events (one per inspected message, vault erasures, refused egress) and
// alerts, which never hold a value from a message (event.go is the
// contract).
//
// # Writing
//
//	r, err := audit.Open(audit.Options{Redis: c, Log: log, ...}) // or OptionsFrom(cfg.Audit)
//	err = r.Record(e)                  // never waits on I/O (unless Options.Sync); ErrFull only under on_full: block
//	err = r.Alert(a)                   // alerts: own stream, file and chain
//	e, err = r.RecordSync(ctx, e)      // waits until durable (vault erasures)
//	ok := r.Healthy()                  // false: on_full block and no room (refuse traffic, /readyz)
//	err = r.Close(ctx)                 // drain to Redis (or the spool) and fsync
//
// Record fills ID, Time (when empty), Instance, Seq, PrevHash and Hash,
// and puts the event on a bounded in-memory queue. One writer per stream
// takes batches of up to Batch events and writes each batch to its Redis
// stream in one MULTI/EXEC: an XADD MAXLEN ~ MaxLen per event (one field,
// "event" or "alert", holding the JSON; consumer groups read it as any
// stream) and SET {<stream>}:writer:<instance> "<seq> <hash>" EX 7 days,
// a marker in the stream's Cluster slot. After a failed or uncertain
// write the writer reads the marker and skips what Redis already holds:
// each event reaches the stream once, in order per instance. It believes
// a marker only when one of its own records carries its seq and hash.
// Then it appends the batch to the JSONL file, if any.
//
// While Redis is away (or the queue is full because the writer is
// behind) events go to a local append-only spool, SpoolDir/<stream>.spool
// (0600 in a 0700 directory; frames of length, CRC-32C and JSON, see
// ReadSpool; each writer locks its own file, <stream>.spool, then
// <stream>.1.spool … when several processes share the directory), and every new event goes behind them until the writer has
// replayed the spool in order, retrying every FlushInterval (doubling up
// to 1 s). A spool left by an earlier run (in the file a new writer
// locks) is replayed before any new event. When the bytes waiting in the spool reach SpoolMaxBytes (or the
// file, emptied only once wholly replayed, twice that), on_full decides: "drop"
// counts veil_audit_events_dropped_total{reason="spool_full"}, logs once
// and raises one events_dropped alert per episode (an event refused for
// lack of room takes no seq: the chain stays whole, the alert and the
// counter tell the loss); "block" makes Record and Alert return ErrFull
// and Healthy false until the spool drains. Events accepted before the
// limit are never dropped, so the spool may exceed SpoolMaxBytes by at
// most a queue's worth. RecordSync returns ErrFull under either policy.
// A spool whose tail was cut by a crash is trimmed to its last whole
// frame at Open; a corrupt frame sets the rest aside in
// <spool>.corrupt-<unix> and says so in the log.
// Without Redis there is no spool: events go to the JSONL files only
// (or nowhere), and a full queue drops (reason queue_full) or blocks.
//
// # Hash chain
//
// Each process start is an instance (Options.Instance, default host name
// + "-" + 6 random hex digits) with one chain per stream: Seq counts from
// 1, PrevHash is the previous record's Hash, and Hash is hex SHA-256 over
// PrevHash followed by the record's canonical JSON (encoding/json of the
// struct with Hash empty: fixed field order, sorted maps). A Verifier
// (veil audit verify) checks each instance's chain in stream or file
// order and reports the first broken link; a chain trimmed by MAXLEN
// starts at a later seq, which is reported, not a failure.
//
// # Keyed chain and checkpoints
//
// With a chain key (Options.ChainKeyFile, or the variable ChainKeyEnv
// names: "<id> <base64 of 32 bytes>" lines, the last active) each record
// also carries KeyID (in the hashed content) and Mac, hex HMAC-SHA256 of
// Hash under that key (keys.go): a writer of the file without the key
// cannot recompute a chain the Verifier (Keys set) accepts. With a
// signing key (Options.SigningKeyFile, Ed25519) the writer signs a
// Checkpoint (stream, instance, seq, hash, time) every CheckpointEvery
// records, CheckpointInterval after a record not yet covered, and at
// Close, and writes it outside the records: the head file (HeadFile,
// default File + ".head", replaced atomically after the file is fsynced)
// and, with Redis, CheckpointKey beside the writer marker in the same
// transaction (checkpointw.go). A Verifier given the checkpoints
// (SetCheckpoints, signatures checked with the public key only) holds
// each chain to its checkpoint: records missing before it, a tail cut
// before it, an emptied file, or a chain recomputed after a deletion or
// a reordering are breaks; records after it are counted as the
// unverified tail. docs/soc.md has the threat model.
//
// Nothing here logs a value: errors name streams, files, offsets and
// counts.
package audit
