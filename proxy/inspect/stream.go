package inspect

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/scope"
)

// streamLimits bound the streaming of responses over the limit.
type streamLimits struct {
	chunk   int           // most decoded bytes of a chunk (at most maxBody)
	records int           // most records of a chunk
	max     int64         // most decoded bytes of a streamed body; not above maxBody: nothing streams
	stall   time.Duration // longest wait for the CRM's next bytes; 0: none
	maxIDs  int           // record ids one audit event lists
}

const (
	// streamChunkRecords bounds a chunk's records as a Salesforce query
	// page is bounded: a chunk is decided like such a page, its findings
	// within the policy's view (DefaultMaxFindings) for records of up to
	// five personal values, where a megabyte of short rows would hold
	// thousands of records and tens of thousands of findings, the ones past
	// the view redacted whatever the policy says.
	streamChunkRecords = 2000
	// streamRecordIDs bounds the record ids of a streamed response's audit
	// event (a gigabyte holds millions); the rest are counted.
	streamRecordIDs = 10000
)

func newStreamLimits(c *config.Config) streamLimits {
	return streamLimits{
		chunk: int(min(c.Limits.StreamChunkBytes, c.Limits.MaxBodyBytes)), records: streamChunkRecords, max: c.Limits.MaxStreamBytes,
		stall: c.Timeouts.UpstreamResponse, maxIDs: streamRecordIDs,
	}
}

// streams reports whether a response over the limit is inspected as a
// stream rather than refused.
func (in *Inspector) streams() bool {
	return in.streaming.max > in.maxBody && in.streaming.chunk > 0
}

// streamResponse inspects res, whose body is over the limit, a chunk at a
// time. taken is what was read of it; the rest is still in res.Body. The
// first chunk is decided here; the others as the client reads.
func (in *Inspector) streamResponse(res *http.Response, msg *pipeline.Message, taken []byte, enc string) error {
	sc := msg.Scope
	msg.Info = policy.Body{Format: msg.Format, Inspected: true} // every chunk is read, or the stream fails
	s := &streamBody{in: in, ctx: res.Request.Context(), sc: sc, msg: *msg, status: res.StatusCode}
	s.up = &upstreamReader{r: res.Body, stall: in.streaming.stall}
	s.src = s.up
	var e *crm.Error
	dec, err := body.NewDecoder(io.MultiReader(bytes.NewReader(taken), s.up), enc)
	if err == nil {
		s.enc, err = body.NewEncoder(&s.sink, enc)
	}
	if err != nil {
		e = s.failure(err)
	} else {
		r := &capReader{r: dec, left: in.streaming.max}
		s.read = r
		switch msg.Format {
		case pipeline.FormatCSV:
			s.csv = body.NewCSVSplitter(r, in.streaming.chunk, in.streaming.records)
		case pipeline.FormatXML:
			s.xml = body.NewXMLSplitter(r, in.streaming.chunk, in.streaming.records, pipeline.XMLLists, body.XMLOptions{MaxDepth: in.pipe.Limits().MaxDepth})
		default:
			var keys []string
			switch {
			case msg.Call.Operation == crm.OpSearch:
				keys = searchMembers
			case msg.Call.Operation == crm.OpComposite:
				keys = compositeMembers
			case msg.Call.Collection:
				keys = recordMembers
			}
			s.json = body.NewJSONSplitter(r, in.streaming.chunk, in.streaming.records, keys, in.pipe.Limits())
		}
		e = s.advance()
	}
	if e != nil {
		s.fail(e) // recorded, counted; the CRM's body closed
		replaceWithError(res, sc.Route.Dialect, e, sc)
		return nil
	}
	if sc.Outcome == "" {
		// What the first chunk says, for an access log written before the
		// body is (forward mode's); the end of the stream settles it.
		sc.Outcome = outcomeOf(s.changed)
	}
	res.Body = s
	res.ContentLength = -1
	res.TransferEncoding = []string{"chunked"}
	res.Uncompressed = false
	res.Header.Del("Content-Length")
	res.Header.Del("Content-MD5")
	weakenETag(res.Header) // the bytes are Veil's, not the CRM's
	return nil
}

// recordMembers are the members whose array holds a collection's records
// (crm.RecordOf).
var recordMembers = []string{"records", "results", "inputs"}

// searchMembers hold a search's records: Salesforce SOSL and
// parameterized search (searchRecords), HubSpot search (results).
var searchMembers = []string{"searchRecords", "results"}

// compositeMembers hold a composite call's subresponses, split whole
// (a subresponse over the chunk size leaves the body unsplittable, so it
// is refused as too large).
var compositeMembers = []string{"compositeResponse", "results", "records"}

// streamBody is the body of a streamed response, as the listener copies
// it to the client (docs/architecture.md, "Responses over the limit
// stream"). The work is done in Read, so the client's reads drive the
// CRM's. Each chunk goes through Pipeline.Process as a body in memory
// does; what it returns is sent on without the chunk's repeated header or
// synthetic brackets, re-encoded in the CRM's Content-Encoding. A failure
// after the first chunk ends the stream with an error, so the listener
// aborts the transfer.
type streamBody struct {
	in     *Inspector
	ctx    context.Context
	sc     *scope.Scope
	msg    pipeline.Message // the response; Body is each chunk in turn
	status int
	up     *upstreamReader
	src    io.Closer
	csv    *body.CSVSplitter
	json   *body.JSONSplitter
	xml    *body.XMLSplitter
	enc    *body.StreamEncoder // nil: identity
	sink   sink                // the encoder's output

	queue   []piece // the decided chunk's output, not rendered yet
	out     []byte  // rendered, being read
	off     int
	editors []func([]byte) []byte
	open    []byte // a batch's synthetic start and end (JSON)
	close   []byte
	emitted bool // an element of the JSON array was sent

	sum     pipeline.Summary
	dec     policy.Decision // the first decision; alerts of every chunk
	alerted map[policy.Alert]bool
	changed bool
	done    bool       // the input ended, or the stream failed
	err     error      // Read's error once the output is drained
	ended   bool       // the audit event is recorded
	read    *capReader // the decoded body as read: its byte count
}

// piece is a run of a chunk's output; an envelope piece (the members
// before or after the JSON array) goes through the editors first.
type piece struct {
	b    []byte
	edit int
}

const (
	editNone = iota
	editHead
	editTail
)

// Read sends the decided output, deciding the next chunk when it is all
// sent. A refusal or a failure ends with an error that is not io.EOF.
func (s *streamBody) Read(p []byte) (int, error) {
	for s.off == len(s.out) {
		switch {
		case len(s.queue) > 0:
			if e := s.render(); e != nil {
				s.fail(e)
			}
		case s.done:
			return 0, s.err
		default:
			if e := s.advance(); e != nil {
				s.fail(e)
			}
		}
	}
	n := copy(p, s.out[s.off:])
	s.off += n
	return n, nil
}

// advance decides the next chunk and queues its output, or, at the end
// of the input, closes the encoding and records the message.
func (s *streamBody) advance() *crm.Error {
	var (
		doc   []byte
		batch body.JSONBatch
		err   error
	)
	switch {
	case s.csv != nil:
		doc, err = s.csv.Next()
	case s.xml != nil:
		doc, err = s.xml.Next()
	default:
		batch, err = s.json.Next()
		doc = batch.Doc
	}
	if err == io.EOF {
		return s.finish()
	}
	if err != nil {
		return s.failure(err)
	}
	m := s.msg
	m.Body = doc
	// Each chunk's decision id stays off the scope: a gigabyte is a
	// thousand decisions, and the access log names the first.
	csc := *s.sc
	csc.DecisionIDs = nil
	m.Scope = &csc
	res := s.in.process(s.ctx, &m)
	s.in.metrics.StreamChunks.WithLabelValues(s.sc.Route.Name).Inc()
	s.merge(&res)
	if res.Err != nil {
		return res.Err
	}
	if s.xml != nil {
		if e := s.queueXML(doc, &res); e != nil {
			return e
		}
	} else if s.csv != nil {
		out := res.Body
		if s.sum.Chunks > 1 { // the header went with the first chunk
			h := s.csv.Header()
			if len(out) < h || !bytes.Equal(out[:h], doc[:h]) {
				return pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be streamed")
			}
			out = out[h:]
		}
		s.queue = append(s.queue, piece{b: out})
	} else if e := s.queueJSON(batch, &res); e != nil {
		return e
	}
	// What the caller receives, as it goes: the policy's next chunk sees
	// it in input.stats.
	s.in.rec.Chunk(s.ctx, s.sc, &res)
	return nil
}

// queueXML queues a chunk's output: the prolog and root start tag with
// the first chunk only, the root's children, and the document's own end
// with the last (every other chunk's synthetic end tag is left out). The
// rewrite may change neither the head nor the synthetic end.
func (s *streamBody) queueXML(doc []byte, res *pipeline.Result) *crm.Error {
	out := doc
	if res.Changed {
		out = res.Body
	}
	h, end := s.xml.Head(), len(out)
	if !s.xml.Last() {
		end -= len(s.xml.Close())
	}
	if end < h || !bytes.Equal(out[:h], doc[:h]) || end < len(out) && !bytes.Equal(out[end:], s.xml.Close()) {
		return pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be streamed")
	}
	from := h
	if s.sum.Chunks == 1 {
		from = 0
	}
	s.queue = append(s.queue, piece{b: out[from:end]})
	return nil
}

// queueJSON queues a batch's output: its head in the first batch, its
// elements (after the separator from the last element sent), its tail
// in the last.
func (s *streamBody) queueJSON(b body.JSONBatch, res *pipeline.Result) *crm.Error {
	if b.First {
		if key := s.json.Key(); key != nil {
			s.open, s.close = append(append([]byte("{"), key...), ":["...), []byte("]}")
		} else {
			s.open, s.close = []byte("["), []byte("]")
		}
	}
	head, elems, tail := b.Doc[:b.From], b.Doc[b.From:b.To], b.Doc[b.To:]
	if res.Changed {
		open, close, err := body.ArrayBounds(res.Body, s.json.Key())
		if err != nil {
			return pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be streamed")
		}
		head, elems, tail = res.Body[:open], res.Body[open:close], res.Body[close:]
		if !b.First && !bytes.Equal(head, s.open) || !b.Last && !bytes.Equal(tail, s.close) {
			return pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be streamed")
		}
	}
	if b.First {
		s.queue = append(s.queue, piece{b: head, edit: editHead})
	}
	if len(bytes.TrimLeft(elems, " \t\r\n")) > 0 { // every element may have been dropped
		if s.emitted && b.Sep != nil {
			s.queue = append(s.queue, piece{b: b.Sep})
		}
		s.queue = append(s.queue, piece{b: elems})
		s.emitted = true
	}
	if b.Last {
		s.queue = append(s.queue, piece{b: tail, edit: editTail})
	}
	return nil
}

// render turns the queued output into bytes to read: the envelope edited,
// the whole encoded (and flushed, so the client gets the chunk now).
func (s *streamBody) render() *crm.Error {
	if s.enc == nil {
		p := s.queue[0]
		s.queue = s.queue[1:]
		b, e := s.edit(p)
		s.out, s.off = b, 0
		return e
	}
	s.sink.b = s.sink.b[:0]
	for _, p := range s.queue {
		b, e := s.edit(p)
		if e != nil {
			return e
		}
		_, _ = s.enc.Write(b)
	}
	s.queue = s.queue[:0]
	_ = s.enc.Flush()
	s.out, s.off = s.sink.b, 0
	return nil
}

// EditEnvelope implements body.EnvelopeEditor: reverse mode rebases
// HubSpot's paging links in the members around the results as they pass.
func (s *streamBody) EditEnvelope(fn func(doc []byte) []byte) {
	s.editors = append(s.editors, fn)
}

// edit runs an envelope piece through the editors as a whole document.
func (s *streamBody) edit(p piece) ([]byte, *crm.Error) {
	if p.edit == editNone || len(s.editors) == 0 {
		return p.b, nil
	}
	var doc []byte
	if p.edit == editHead {
		doc = append(append([]byte(nil), p.b...), s.close...)
	} else {
		doc = append(append([]byte(nil), s.open...), p.b...)
	}
	for _, fn := range s.editors {
		doc = fn(doc)
	}
	switch {
	case p.edit == editHead && bytes.HasSuffix(doc, s.close):
		return doc[:len(doc)-len(s.close)], nil
	case p.edit == editTail && bytes.HasPrefix(doc, s.open):
		return doc[len(s.open):], nil
	}
	return nil, pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be streamed")
}

// merge adds a chunk's counts, ids, decision and alerts to the message's.
func (s *streamBody) merge(res *pipeline.Result) {
	s.sum.Chunks++
	s.changed = s.changed || res.Changed
	add := func(dst *map[string]int, src map[string]int) {
		for k, n := range src {
			if *dst == nil {
				*dst = make(map[string]int, len(src))
			}
			(*dst)[k] += n
		}
	}
	add(&s.sum.Categories, res.Summary.Categories)
	add(&s.sum.Actions, res.Summary.Actions)
	s.sum.NoID += res.Summary.NoID
	for _, id := range res.Summary.RecordIDs {
		if len(s.sum.RecordIDs) < s.in.streaming.maxIDs {
			s.sum.RecordIDs = append(s.sum.RecordIDs, id)
		} else {
			s.sum.RecordIDsOmitted++
		}
	}
	d := res.Decision
	if d == nil {
		return
	}
	if s.dec.ID == "" {
		s.dec.ID, s.dec.Revision, s.dec.Allow = d.ID, d.Revision, true
		s.sc.DecisionIDs = append(s.sc.DecisionIDs, d.ID)
	}
	if res.Err != nil {
		// The refusing decision names the event and explains it.
		if s.dec.ID != d.ID {
			s.dec.ID, s.dec.Revision = d.ID, d.Revision
			s.sc.DecisionIDs = append(s.sc.DecisionIDs, d.ID)
		}
		s.dec.Allow, s.dec.Deny = d.Allow, d.Deny
	}
	for _, a := range d.Alerts { // once per message, however many chunks raise it
		if !s.alerted[a] {
			if s.alerted == nil {
				s.alerted = map[policy.Alert]bool{}
			}
			s.alerted[a] = true
			s.dec.Alerts = append(s.dec.Alerts, a)
		}
	}
}

// finish ends a stream whose input ended: the encoding is closed, the
// message counted and audited.
func (s *streamBody) finish() *crm.Error {
	if s.enc != nil {
		s.sink.b = s.sink.b[:0]
		_ = s.enc.Close()
		s.enc = nil
		s.out, s.off = s.sink.b, 0
	}
	s.done, s.err = true, io.EOF
	s.end(nil)
	_ = s.src.Close()
	return nil
}

// fail ends the stream on a refusal or a failure: recorded, counted and
// logged, and Read's error from now on.
func (s *streamBody) fail(e *crm.Error) {
	s.queue, s.out, s.off = nil, nil, 0
	s.done, s.err = true, &streamError{code: e.Code}
	s.end(e)
	if s.enc != nil {
		s.enc.Release()
		s.enc = nil
	}
	_ = s.src.Close()
}

// end records the message once: its audit event (with every chunk's
// counts) and its outcome in the metrics. e is the refusal, nil when the
// stream ran to its end (or the client left first).
func (s *streamBody) end(e *crm.Error) {
	if s.ended {
		return
	}
	s.ended = true
	in, sc := s.in, s.sc
	outcome := outcomeOf(s.changed)
	sum := s.sum
	sum.PIIRecords = 0 // the watch counted each chunk as it went
	if s.read != nil {
		sum.Bytes = s.read.read
	}
	res := &pipeline.Result{Summary: sum, Err: e}
	if s.dec.ID != "" {
		dec := s.dec
		res.Decision = &dec
	}
	if e != nil {
		outcome = audit.OutcomeBlocked
		in.refuse(sc, pipeline.DirResponse, e)
		if sum.Chunks > 1 {
			in.log.Warn("streamed response cut off", zap.String("request_id", sc.RequestID), zap.String("route", sc.Route.Name),
				zap.String("code", e.Code), zap.Int("chunks", sum.Chunks))
		}
	} else {
		in.count(sc, pipeline.DirResponse, s.changed)
	}
	in.metrics.Streamed.WithLabelValues(sc.Route.Name, outcome).Inc()
	in.rec.Note(s.ctx, sc, &s.msg, res, outcome, s.status)
}

// Close ends the stream where it is: a client that went away before the
// end leaves the event of what it was sent.
func (s *streamBody) Close() error {
	if !s.done {
		s.done, s.err = true, errStreamClosed
		s.end(nil)
		in := s.in
		in.log.Info("streamed response ended before its end", zap.String("request_id", s.sc.RequestID),
			zap.String("route", s.sc.Route.Name), zap.Int("chunks", s.sum.Chunks))
	}
	if s.enc != nil {
		s.enc.Release()
		s.enc = nil
	}
	s.up.stop()
	if s.src != nil {
		return s.src.Close()
	}
	return nil
}
