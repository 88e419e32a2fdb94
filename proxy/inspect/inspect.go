package inspect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/record"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Inspector adapts the pipeline to HTTP messages. Reverse and forward
// listeners share it: InspectRequest before a request is sent upstream,
// InspectResponse from ModifyResponse (or goproxy's OnResponse).
type Inspector struct {
	pipe      *pipeline.Pipeline
	maxBody   int64
	log       *zap.Logger
	streaming streamLimits // responses over maxBody (stream.go)
	metrics   *metrics.Metrics
	rec       *record.Recorder // audit events, watch, inventory (proxy/record)
}

// Options wire an Inspector.
type Options struct {
	Pipeline *pipeline.Pipeline
	Config   *config.Config // limits (body, streaming) and the upstream timeout
	Log      *zap.Logger
	Metrics  *metrics.Metrics
	Recorder *record.Recorder
}

// New builds the Inspector.
func New(o Options) *Inspector {
	return &Inspector{pipe: o.Pipeline, maxBody: o.Config.Limits.MaxBodyBytes, log: o.Log, streaming: newStreamLimits(o.Config),
		metrics: o.Metrics, rec: o.Recorder}
}

// process runs msg through the pipeline and gives the inventory what it
// learnt of the message's fields.
func (in *Inspector) process(ctx context.Context, msg *pipeline.Message) pipeline.Result {
	res := in.pipe.Process(ctx, msg)
	in.rec.Fields(msg.Route.Name, msg.Direction, res.Fields)
	return res
}

// AuthFailure records an authentication failure (ingress.AuthAuditor;
// record.Recorder.AuthFailure).
func (in *Inspector) AuthFailure(ctx context.Context, sc *scope.Scope, f ingress.AuthFailure) {
	in.rec.AuthFailure(ctx, sc, f)
}

var _ ingress.AuthAuditor = (*Inspector)(nil)

// Unaudited records a direction of an exchange no stage audited
// (ingress.ExchangeAuditor; record.Recorder.Unaudited).
func (in *Inspector) Unaudited(ctx context.Context, sc *scope.Scope, direction, method string, status int) {
	in.rec.Unaudited(ctx, sc, direction, method, status)
}

var _ ingress.ExchangeAuditor = (*Inspector)(nil)

// InspectRequest runs the request through the pipeline. It may replace the
// body (with a fresh Content-Length) or refuse the request with the
// returned error, which the caller writes in the route's CRM format.
// Every body is read: in the format its label and its bytes say (pipeline.BodyFormat),
// or, when Veil cannot read it, the policy decides knowing that.
func (in *Inspector) InspectRequest(r *http.Request) *crm.Error {
	sc := scope.From(r.Context())
	sc.RequestAudited = true // every path below records the request's event
	route := sc.Route
	// Parsed once: the call's class and the scan read it. A query that
	// does not parse whole (a raw ';', a bad '%' escape) would be scanned
	// in part and, in reverse mode, cut by the proxy before the CRM saw
	// it: refused, never altered.
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		e := &crm.Error{Status: http.StatusBadRequest, Code: crm.CodeInvalidQuery,
			Message: "the query string cannot be parsed: escape ';' as %3B and '%' as %25"}
		msg := &pipeline.Message{Direction: pipeline.DirRequest, Route: route, Call: crm.Call{Operation: crm.OpOther}, Method: r.Method, Path: r.URL.Path, Scope: sc}
		in.rec.Note(r.Context(), sc, msg, &pipeline.Result{Err: e}, audit.OutcomeBlocked, 0)
		return in.refuse(sc, pipeline.DirRequest, e)
	}
	sc.Call = crm.Classify(route.Dialect, r.Method, r.URL.Path, query)
	ct := r.Header.Get("Content-Type")
	msg := &pipeline.Message{Direction: pipeline.DirRequest, Route: route, Call: sc.Call, Method: r.Method, Path: r.URL.Path, URL: r.URL, Query: query, Scope: sc, ContentType: ct}
	enc := contentEncoding(r.Header)
	ctx := r.Context()
	if !in.rec.Healthy() {
		// audit.on_full: block, and events can no longer be kept.
		e := in.refuse(sc, pipeline.DirRequest, &crm.Error{Status: http.StatusServiceUnavailable, Code: crm.CodeAuditUnavailable,
			Message: "Veil cannot record audit events right now; retry later"})
		return e
	}
	if !hasBody(r.Body, r.ContentLength) {
		msg.Info = policy.Body{Format: pipeline.FormatNone, Inspected: true}
		res := in.process(ctx, msg)
		if res.Err != nil {
			if in.failOpen(sc, pipeline.DirRequest, res.Err) {
				in.rec.Note(ctx, sc, msg, &res, audit.OutcomePassthrough, 0)
				return nil
			}
			in.rec.Note(ctx, sc, msg, &res, audit.OutcomeBlocked, 0)
			return in.refuse(sc, pipeline.DirRequest, res.Err)
		}
		in.count(sc, pipeline.DirRequest, false)
		in.rec.Note(ctx, sc, msg, &res, outcomeOf(res.Changed), 0)
		return nil
	}
	var head []byte
	r.Body, head = sniffBody(r.Body, enc)
	if msg.Format = pipeline.BodyFormat(ct, head); msg.Format == pipeline.FormatBinary {
		// Nothing Veil can read: the policy decides on what it knows,
		// and an allowed body streams to the CRM as it came.
		msg.Info = policy.Body{Format: pipeline.FormatBinary, Reason: pipeline.ReasonBinary}
		msg.Size = r.ContentLength
		res := in.process(ctx, msg)
		if res.Err != nil {
			in.rec.Note(ctx, sc, msg, &res, audit.OutcomeBlocked, 0)
			return in.refuse(sc, pipeline.DirRequest, res.Err)
		}
		in.rec.Note(ctx, sc, msg, &res, in.outcome(sc, msg, false), 0)
		return nil
	}
	raw, decoded, err := in.read(r.Body, enc, r.ContentLength)
	_ = r.Body.Close()
	if err != nil {
		e := in.readFailure(pipeline.DirRequest, route, err)
		if raw != nil && in.failOpen(sc, pipeline.DirRequest, e) {
			ingress.SetRequestBody(r, raw)
			in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomePassthrough, 0)
			return nil
		}
		in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomeBlocked, 0)
		return in.refuse(sc, pipeline.DirRequest, e)
	}
	w, e := in.unwrap(msg, decoded)
	if e != nil {
		// A charset Veil does not read is refused (415), never forwarded
		// unread: the CRM would store what nobody inspected.
		in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomeBlocked, 0)
		return in.refuse(sc, pipeline.DirRequest, e)
	}
	res := in.process(ctx, msg)
	if res.Err != nil {
		if in.failOpen(sc, pipeline.DirRequest, res.Err) {
			ingress.SetRequestBody(r, raw)
			in.rec.Note(ctx, sc, msg, &res, audit.OutcomePassthrough, 0)
			return nil
		}
		in.rec.Note(ctx, sc, msg, &res, audit.OutcomeBlocked, 0)
		return in.refuse(sc, pipeline.DirRequest, res.Err)
	}
	out := raw
	if res.Changed {
		if out, err = in.encode(res.Body, &w, enc); err != nil {
			res.Err = &crm.Error{Status: 500, Code: crm.CodeInvalidBody, Message: "the rewritten body could not be encoded"}
			in.rec.Note(ctx, sc, msg, &res, audit.OutcomeBlocked, 0)
			return in.refuse(sc, pipeline.DirRequest, res.Err)
		}
	}
	ingress.SetRequestBody(r, out)
	in.count(sc, pipeline.DirRequest, res.Changed)
	in.rec.Note(ctx, sc, msg, &res, in.outcome(sc, msg, res.Changed), 0)
	return nil
}

// unwrap sets msg's body to the text Veil reads in decoded (pipeline.Unwrap),
// or, for a body Veil cannot read, marks it not inspected. The error is
// a request's refusal of a charset Veil does not read.
func (in *Inspector) unwrap(msg *pipeline.Message, decoded []byte) (pipeline.Wrapping, *crm.Error) {
	msg.Info = policy.Body{Format: msg.Format, Inspected: true}
	if msg.Format == pipeline.FormatBinary {
		msg.Info.Inspected, msg.Info.Reason = false, pipeline.ReasonBinary
		return pipeline.Wrapping{}, nil
	}
	text, w, err := pipeline.Unwrap(msg.Format, pipeline.MediaParam(msg.ContentType, "charset"), decoded)
	if err == nil {
		msg.Body = text
		return w, nil
	}
	if body.ErrorCode(err) == body.CodeUnsupportedCharset {
		if msg.Direction == pipeline.DirRequest {
			msg.Info.Inspected, msg.Info.Reason = false, pipeline.ReasonUnsupportedCharset
			return w, &crm.Error{Status: http.StatusUnsupportedMediaType, Code: crm.CodeUnsupportedEncoding, Message: "the body's charset is not one Veil reads"}
		}
		msg.Info.Inspected, msg.Info.Reason = false, pipeline.ReasonUnsupportedCharset
		return w, nil
	}
	// Malformed text: the walk refuses it as it refuses malformed JSON.
	msg.Body = decoded
	return w, nil
}

// encode puts back what unwrap took off the rewritten text, then the
// Content-Encoding.
func (in *Inspector) encode(text []byte, w *pipeline.Wrapping, enc string) ([]byte, error) {
	if !w.Plain() {
		var err error
		if text, err = w.Wrap(nil, text); err != nil {
			return nil, err
		}
	}
	return body.Encode(nil, text, enc)
}

// outcome is the audit outcome of a message the policy let through: a
// body Veil could not wholly read passes through, counted by format.
func (in *Inspector) outcome(sc *scope.Scope, msg *pipeline.Message, changed bool) string {
	if msg.Info.Inspected {
		return outcomeOf(changed)
	}
	in.metrics.Uninspected.WithLabelValues(sc.Route.Name, msg.Direction, msg.Info.Format).Inc()
	if !changed {
		sc.Outcome = audit.OutcomePassthrough
		return audit.OutcomePassthrough
	}
	return outcomeOf(changed)
}

func outcomeOf(changed bool) string {
	if changed {
		return audit.OutcomeTransformed
	}
	return audit.OutcomeAllowed
}

// InspectResponse runs a response through the pipeline and, when it must be
// refused, turns it into the CRM-shaped error in place. A body Veil cannot
// read streams through untouched only when the policy, told so, allows it.
func (in *Inspector) InspectResponse(res *http.Response) error {
	sc := scope.From(res.Request.Context())
	sc.ResponseAudited = true // every path below records the response's event, a streamed one when it ends
	route := sc.Route
	r := res.Request
	ctx, status := r.Context(), res.StatusCode
	crmRequestID(res.Header)
	ct := res.Header.Get("Content-Type")
	msg := &pipeline.Message{
		Direction: pipeline.DirResponse, Route: route, Method: r.Method, Path: r.URL.Path, Scope: sc, ContentType: ct,
		Call: sc.Call, // classified by InspectRequest
	}
	if status == http.StatusSwitchingProtocols {
		// An upgrade its route allows (routes[].allow_upgrade; refused
		// otherwise): what the connection carries next is never read.
		// Audited and counted as such, never silent.
		msg.Info = policy.Body{Format: pipeline.FormatUpgrade, Reason: pipeline.ReasonUpgrade}
		in.metrics.Requests.WithLabelValues(route.Name, pipeline.DirResponse, audit.OutcomePassthrough).Inc()
		in.metrics.Uninspected.WithLabelValues(route.Name, pipeline.DirResponse, pipeline.FormatUpgrade).Inc()
		sc.Outcome = audit.OutcomePassthrough
		in.rec.Note(ctx, sc, msg, nil, audit.OutcomePassthrough, status)
		return nil
	}
	bodied := hasBody(res.Body, res.ContentLength) && r.Method != http.MethodHead &&
		status != http.StatusNoContent && status != http.StatusNotModified
	if !bodied {
		in.metrics.Requests.WithLabelValues(route.Name, pipeline.DirResponse, audit.OutcomePassthrough).Inc()
		// Nothing to decide, but every response leaves its event (status;
		// no body, no bytes), and the watch (record.Recorder.Note) counts the CRM's
		// refusals.
		msg.Info = policy.Body{Format: pipeline.FormatNone, Inspected: true}
		in.rec.Note(ctx, sc, msg, nil, audit.OutcomeAllowed, status)
		return nil
	}
	enc := contentEncoding(res.Header)
	var head []byte
	res.Body, head = sniffBody(res.Body, enc)
	msg.Format = pipeline.BodyFormat(ct, head)
	if status >= 500 && (msg.Format == pipeline.FormatText || msg.Format == pipeline.FormatBinary) {
		// A CRM error page (HTML, text) is nothing Veil can inspect and
		// nothing a CRM client can parse: answer the CRM's format.
		_ = res.Body.Close()
		e := pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamUnavailable, "the CRM answered with an error page ("+strconv.Itoa(status)+")")
		in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomeBlocked, status)
		replaceWithError(res, route.Dialect, in.refuse(sc, pipeline.DirResponse, e), sc)
		return nil
	}
	if msg.Format == pipeline.FormatBinary {
		// Unread, and left unread: the policy decides knowing so (a file
		// download the route declares), and it streams as it came.
		msg.Info = policy.Body{Format: pipeline.FormatBinary, Reason: pipeline.ReasonBinary, Download: isDownload(route, r.URL.Path)}
		return in.passUnread(res, msg, status)
	}
	raw, decoded, taken, err := in.readTaken(res.Body, enc, res.ContentLength, true)
	if taken != nil && in.streams() && (msg.Format == pipeline.FormatJSON || msg.Format == pipeline.FormatCSV || msg.Format == pipeline.FormatXML) {
		// Over the limit: inspected a chunk of whole records at a time
		// as it streams to the client (stream.go), which keeps taken.
		return in.streamResponse(res, msg, taken, enc)
	}
	if taken != nil && isDownload(route, r.URL.Path) {
		// A file over the limit in a format Veil does not stream: the
		// policy decides knowing it is unread; allowed, it streams on
		// from what was taken.
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(taken), res.Body), res.Body}
		msg.Info = policy.Body{Format: msg.Format, Reason: pipeline.ReasonOverLimit, Download: true}
		return in.passUnread(res, msg, status)
	}
	_ = res.Body.Close()
	// raw and the rewritten body are pooled (bufpool.go): the one sent
	// goes back when the proxy closes it, the other when this returns.
	var rewritten, sent []byte
	defer func() {
		for _, b := range [...][]byte{raw, rewritten} {
			if b != nil && !sameBuffer(b, sent) {
				putBody(b)
			}
		}
	}()
	if err != nil {
		e := in.readFailure(pipeline.DirResponse, route, err)
		if raw != nil && in.failOpen(sc, pipeline.DirResponse, e) {
			sent = setPooledBody(res, raw)
			in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomePassthrough, status)
			return nil
		}
		in.rec.Note(ctx, sc, msg, &pipeline.Result{Err: e}, audit.OutcomeBlocked, status)
		replaceWithError(res, route.Dialect, in.refuse(sc, pipeline.DirResponse, e), sc)
		return nil
	}
	w, _ := in.unwrap(msg, decoded) // a response's charset Veil does not read is the policy's to decide
	msg.Info.Download = isDownload(route, r.URL.Path)
	if w.Plain() {
		msg.Alloc = getBody // the caller returns it once sent (bufpool.go)
	}
	out := in.process(ctx, msg)
	if out.Changed {
		rewritten = out.Body
	}
	if out.Err != nil {
		if in.failOpen(sc, pipeline.DirResponse, out.Err) {
			sent = setPooledBody(res, raw)
			in.rec.Note(ctx, sc, msg, &out, audit.OutcomePassthrough, status)
			return nil
		}
		in.rec.Note(ctx, sc, msg, &out, audit.OutcomeBlocked, status)
		replaceWithError(res, route.Dialect, in.refuse(sc, pipeline.DirResponse, out.Err), sc)
		return nil
	}
	b := raw
	if out.Changed {
		if b, err = in.encode(out.Body, &w, enc); err != nil {
			out.Err = pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the rewritten body could not be encoded")
			in.rec.Note(ctx, sc, msg, &out, audit.OutcomeBlocked, status)
			replaceWithError(res, route.Dialect, in.refuse(sc, pipeline.DirResponse, out.Err), sc)
			return nil
		}
		weakenETag(res.Header)
		res.Header.Del("Content-MD5")
	}
	sent = setPooledBody(res, b)
	in.count(sc, pipeline.DirResponse, out.Changed)
	in.rec.Note(ctx, sc, msg, &out, in.outcome(sc, msg, out.Changed), status)
	return nil
}

// isDownload is route.IsDownload(p) without path.Match for a pattern
// that cannot match p: '*' and '?' never match a '/', so a pattern
// without a character class matches only a path with as many '/' as it
// has (an escaped one included). Every other pattern is matched as
// config does. Most responses are no download, and matching each
// pattern was a measurable part of each one's cost.
func isDownload(route *config.Route, p string) bool {
	slashes := -1
	for _, pat := range route.Downloads {
		if !strings.Contains(pat, "[") {
			if slashes < 0 {
				slashes = strings.Count(p, "/")
			}
			if strings.Count(pat, "/") != slashes {
				continue
			}
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// passUnread asks the policy about a response whose body Veil does not
// read (msg.Info says why) and lets it stream untouched when allowed.
func (in *Inspector) passUnread(res *http.Response, msg *pipeline.Message, status int) error {
	sc := msg.Scope
	msg.Size = res.ContentLength
	ctx := res.Request.Context()
	out := in.process(ctx, msg)
	if out.Err != nil {
		_ = res.Body.Close()
		in.rec.Note(ctx, sc, msg, &out, audit.OutcomeBlocked, status)
		replaceWithError(res, sc.Route.Dialect, in.refuse(sc, pipeline.DirResponse, out.Err), sc)
		return nil
	}
	in.metrics.Requests.WithLabelValues(sc.Route.Name, pipeline.DirResponse, audit.OutcomePassthrough).Inc()
	in.rec.Note(ctx, sc, msg, &out, in.outcome(sc, msg, false), status)
	return nil
}

// failOpen reports whether a message that could not be inspected goes on
// unscanned: only on a route configured on_error: allow, never for a policy
// denial, and never silently (counted and logged).
func (in *Inspector) failOpen(sc *scope.Scope, dir string, e *crm.Error) bool {
	if sc.Route.OnError != config.OnErrorAllow || e.Code == crm.CodePolicyDenied {
		return false
	}
	in.metrics.FailOpen.WithLabelValues(sc.Route.Name, dir, e.Code).Inc()
	in.log.Warn("message forwarded uninspected (on_error: allow)", zap.String("request_id", sc.RequestID),
		zap.String("route", sc.Route.Name), zap.String("direction", dir), zap.String("code", e.Code))
	sc.Outcome, sc.Code = audit.OutcomePassthrough, e.Code
	return true
}

// read takes at most maxBody bytes off the wire and decodes them (gzip,
// deflate) to at most maxBody bytes. raw is what came off the wire, so an
// unchanged body is forwarded byte for byte.
func (in *Inspector) read(r io.Reader, enc string, length int64) (raw, decoded []byte, err error) {
	raw, decoded, _, err = in.readTaken(r, enc, length, false)
	return raw, decoded, err
}

// readTaken is read that also returns, when the body is over the limit
// (ErrTooLarge), what it took off the wire: a response can still stream.
func (in *Inspector) readTaken(r io.Reader, enc string, length int64, pooled bool) (raw, decoded, taken []byte, err error) {
	raw, err = readAtMost(r, in.maxBody+1, length, pooled)
	if err != nil {
		return nil, nil, nil, &wireError{err}
	}
	if int64(len(raw)) > in.maxBody {
		return nil, nil, raw, body.ErrTooLarge // raw is incomplete: cannot fail open
	}
	if isIdentity(enc) {
		return raw, raw, nil, nil
	}
	decoded, err = body.ReadAll(bytes.NewReader(raw), enc, in.maxBody)
	if errors.Is(err, body.ErrTooLarge) {
		return raw, decoded, raw, err
	}
	return raw, decoded, nil, err
}

// readAtMost reads r to its end or to limit bytes. A declared length (a
// Content-Length, -1 when unknown) within the limit sizes the buffer at
// once, rather than by doublings from 512 bytes; the length is a hint
// only: a body longer or shorter than declared is read as it is.
// With pooled, that buffer comes from the body pools (bufpool.go) and the
// caller owns its return.
func readAtMost(r io.Reader, limit, length int64, pooled bool) ([]byte, error) {
	if length <= 0 || length >= limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	b := newBody(int(length)+1, pooled) // +1: room to meet EOF without growing
	lr := io.LimitReader(r, limit)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (in *Inspector) readFailure(dir string, route *config.Route, err error) *crm.Error {
	switch {
	case errors.Is(err, body.ErrTooLarge):
		e := pipeline.Failure(dir, crm.CodeBodyTooLarge, "the body is larger than Veil inspects ("+strconv.FormatInt(in.maxBody, 10)+" bytes)")
		if dir == pipeline.DirRequest {
			e.Status = http.StatusRequestEntityTooLarge
		}
		return e
	case errors.Is(err, body.ErrUnsupportedEncoding):
		e := pipeline.Failure(dir, crm.CodeUnsupportedEncoding, "the body's Content-Encoding is not supported")
		if dir == pipeline.DirRequest {
			e.Status = http.StatusUnsupportedMediaType
		}
		return e
	}
	in.log.Warn("body read failed", zap.String("route", route.Name), zap.String("direction", dir), zap.Error(err))
	var we *wireError
	if errors.As(err, &we) {
		// The message did not arrive whole: a transport failure, not a
		// malformed body.
		timeout := ingress.IsTimeout(we.err)
		switch {
		case dir == pipeline.DirResponse && timeout:
			return &crm.Error{Status: http.StatusGatewayTimeout, Code: crm.CodeUpstreamUnavailable, Message: "the CRM's answer did not arrive in time"}
		case dir == pipeline.DirResponse:
			return pipeline.Failure(dir, crm.CodeUpstreamUnavailable, "the CRM's answer was cut short")
		case timeout:
			return &crm.Error{Status: http.StatusRequestTimeout, Code: crm.CodeRequestTimeout, Message: "the request body did not arrive in time"}
		}
	}
	code := crm.CodeInvalidBody
	if dir == pipeline.DirResponse {
		code = crm.CodeUpstreamInvalidBody
	}
	return pipeline.Failure(dir, code, "the body could not be read")
}

// refuse records a refusal on the scope and in metrics.
func (in *Inspector) refuse(sc *scope.Scope, dir string, e *crm.Error) *crm.Error {
	e.RequestID, e.Style = sc.RequestID, sc.Errors
	sc.Outcome, sc.Code = audit.OutcomeBlocked, e.Code
	if dir == pipeline.DirRequest {
		sc.ResponseAudited = true // never sent: the request's event is the exchange's
	}
	in.metrics.Requests.WithLabelValues(sc.Route.Name, dir, audit.OutcomeBlocked).Inc()
	in.metrics.Blocks.WithLabelValues(sc.Route.Name, dir, e.Code).Inc()
	return e
}

func (in *Inspector) count(sc *scope.Scope, dir string, changed bool) {
	outcome := audit.OutcomeAllowed
	if changed {
		outcome = audit.OutcomeTransformed
		sc.Outcome = outcome
	} else if sc.Outcome == "" {
		sc.Outcome = outcome
	}
	in.metrics.Requests.WithLabelValues(sc.Route.Name, dir, outcome).Inc()
}

const sniffLen = 512

// compressedSniffLen is how much of a compressed body is peeked at to
// decode its first sniffLen bytes.
const compressedSniffLen = 4096

// wireError is a failure to read a body off the connection (cut short,
// timed out), as opposed to a body that was read and is malformed.
type wireError struct{ err error }

func (e *wireError) Error() string { return e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }

// contentEncoding is every Content-Encoding line as one list: the codings
// of a body declared over two lines are all of them, not the first line's.
func contentEncoding(h http.Header) string {
	return strings.Join(h.Values("Content-Encoding"), ",")
}

// sniffBody peeks at the head of b without consuming it, so that a body
// Veil does not read still streams, and returns it decoded (enc) to at
// most sniffLen bytes, for bodyFormat. The returned body replaces b. A
// compressed head that does not decode is returned as it is: bodyFormat
// then sees it as binary unless labelled, and the walk refuses it.
func sniffBody(b io.ReadCloser, enc string) (io.ReadCloser, []byte) {
	n := sniffLen
	if !isIdentity(enc) {
		n = compressedSniffLen
	}
	br := bufio.NewReaderSize(b, n)
	head, _ := br.Peek(n)
	peeked := struct {
		io.Reader
		io.Closer
	}{br, b}
	if !isIdentity(enc) {
		whole := len(head) < compressedSniffLen // the peek met the body's end
		if dec, end := body.Prefix(head, enc, sniffLen); len(dec) == sniffLen || end && whole {
			return peeked, dec
		}
		// Cannot be told from its head: read it as JSON, so it is
		// inspected (and refused when it is no JSON).
		return peeked, []byte("{")
	}
	return peeked, head
}

func hasBody(b io.ReadCloser, n int64) bool { return b != nil && b != http.NoBody && n != 0 }

func isIdentity(enc string) bool {
	enc = strings.TrimSpace(enc)
	return enc == "" || strings.EqualFold(enc, "identity")
}

func setResponseBody(res *http.Response, b []byte) {
	setBody(res, ingress.MemoryBody(b), len(b))
}

// setPooledBody is setResponseBody for a buffer that goes back to the body
// pools when the response is closed. It returns b, now the response's.
func setPooledBody(res *http.Response, b []byte) []byte {
	setBody(res, newPooledBody(b), len(b))
	return b
}

func setBody(res *http.Response, body io.ReadCloser, n int) {
	res.Body = body
	res.ContentLength = int64(n)
	res.TransferEncoding = nil
	res.Uncompressed = false
	res.Header.Set("Content-Length", strconv.Itoa(n))
}

// CRMRequestIDHeader carries the CRM's own request id: X-Request-Id is
// Veil's, set once by the listener on every answer.
const CRMRequestIDHeader = "X-Crm-Request-Id"

// crmRequestID moves the CRM's X-Request-Id out of the way of Veil's.
func crmRequestID(h http.Header) {
	if v := h.Values("X-Request-Id"); len(v) > 0 {
		h.Del("X-Request-Id")
		h[CRMRequestIDHeader] = v
	}
}

// replaceWithError turns res into e rendered in the route's CRM format
// (the listener adds Veil's X-Request-Id, as to every answer).
func replaceWithError(res *http.Response, dialect string, e *crm.Error, sc *scope.Scope) {
	b := e.Body(dialect)
	h := http.Header{}
	h.Set("Content-Type", e.ContentType())
	h.Set("X-Veil-Error", e.Code)
	if e.DecisionID != "" {
		h.Set("X-Veil-Decision-Id", e.DecisionID)
	}
	status := e.HTTPStatus()
	res.StatusCode = status
	res.Status = strconv.Itoa(status) + " " + http.StatusText(status)
	res.Header = h
	setResponseBody(res, b)
}

// weakenETag marks a rewritten body's validator weak: the bytes differ from
// the CRM's, so a strong ETag would lie.
func weakenETag(h http.Header) {
	et := h.Get("ETag")
	if et == "" || strings.HasPrefix(et, "W/") {
		return
	}
	h.Set("ETag", "W/"+et)
}
