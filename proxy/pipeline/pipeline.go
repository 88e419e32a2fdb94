package pipeline

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/transform"
)

// Directions of a message.
const (
	DirRequest  = "request"
	DirResponse = "response"
)

// Decider is the policy engine as the pipeline sees it.
type Decider interface {
	Decide(ctx context.Context, in *policy.Input) (*policy.Decision, error)
}

// inputKeeper is a Decider that says whether it reads an input after
// Decide returns (policy.Engine: with a shadow bundle). Only one that
// says it does not has its inputs' findings in pooled slices.
type inputKeeper interface{ KeepsInput() bool }

// Pipeline runs the middle of the flow over one decoded message: walk the
// JSON, detect, decide once, transform. It knows nothing of HTTP (the
// root's Inspector adapts it to requests and responses) and records
// nothing: the caller records what the Result says.
type Pipeline struct {
	scanner   *detectors.Scanner
	decider   Decider
	metrics   *metrics.Metrics
	log       *zap.Logger
	limits    body.Limits
	maxFinds  int
	budget    time.Duration     // limits.inspection_budget, 0: none (budget.go)
	consent   map[string]string // more consent fields (config policy.consent_fields)
	vault     Vault             // nil: tokenize refuses, detokenize masks, hash redacts
	stats     Stats             // nil: no stats
	inventory bool              // count findings per field (Result.Fields)
	learned   Learned           // nil: predicates carry their names' hints only
	kept      sync.Pool         // *shapesKept: shapes and their plans, from message to message (scanjson.go)
}

// Stats are the behaviour watch's counts (proxy/watch) for the policy's
// input.stats.
type Stats interface {
	Stats(ctx context.Context, principal, ip string) map[string]int64
}

// DefaultMaxFindings bounds the findings sent to the policy for one message;
// a message with more is reported as truncated and every extra finding is
// redacted (fail closed).
const DefaultMaxFindings = 10000

// Options are what a Pipeline is built from.
type Options struct {
	Scanner *detectors.Scanner
	Decider Decider
	Metrics *metrics.Metrics
	Log     *zap.Logger
	Limits  config.Limits
	// ConsentFields maps more CRM fields to consent keys of the policy
	// input (config policy.consent_fields).
	ConsentFields map[string]string
	// Vault is the tokenization vault. Without one, tokenize refuses
	// the message (vault_unavailable), detokenize leaves tokens masked and
	// hash redacts: nothing is written or shown in the clear.
	Vault Vault
	// Stats fills the policy's input.stats; nil: none.
	Stats Stats
	// Inventory: count each message's findings per field (Result.Fields).
	Inventory bool
	// Learned tells the categories traffic has shown a field to hold
	// (inventory.Inventory): a request's predicates on it carry them
	// beside its name's hint. nil: names' hints only.
	Learned Learned
}

// Learned is the data map's knowledge of the categories a field holds.
type Learned interface {
	Categories(route, field string) []string
}

// New wires the stages.
func New(o Options) *Pipeline {
	return &Pipeline{scanner: o.Scanner, decider: o.Decider, metrics: o.Metrics, log: o.Log,
		limits: body.Limits{MaxDepth: o.Limits.MaxJSONDepth}, maxFinds: DefaultMaxFindings, budget: o.Limits.Budget(),
		consent: o.ConsentFields, vault: o.Vault, stats: o.Stats, inventory: o.Inventory, learned: o.Learned}
}

// Limits are the JSON and XML limits the pipeline reads bodies with.
func (p *Pipeline) Limits() body.Limits { return p.limits }

// Message is one request or response body on its way through Veil.
type Message struct {
	Direction string
	Route     *config.Route
	Call      crm.Call
	Method    string
	Path      string     // URL path, never the query
	URL       *url.URL   // a request's URL, whose query and path are scanned; nil for responses
	Query     url.Values // URL's query parsed, when the caller has it (nil: parsed when scanned); read only
	Format    string     // how Body is read: FormatJSON (or ""), FormatForm, FormatCSV, FormatXML, FormatMultipart, FormatText
	// ContentType is the body's Content-Type (a multipart body's
	// boundary is read from it).
	ContentType string
	Scope       *scope.Scope
	Body        []byte // the body as Veil reads it: decoded, UTF-8, unwrapped; nil for a message without one
	// Info is what the policy is told of the body: its format, and
	// whether every byte of it was read (policy input body).
	Info policy.Body
	// Size is the body's length on the wire when Veil did not read it
	// (a file passed unread): its Content-Length, -1 when unknown.
	Size int64

	multipart *multipartState // a multipart body's parts, as walked
	xml       *body.XMLDoc    // an XML body, as parsed

	// A request's predicates (predicates.go), and why they could not all
	// be read.
	preds   []crm.Predicate
	predErr error

	// Alloc, when set, gives the buffer a JSON, XML or text body is
	// rewritten into (the HTTP side's body pools: it returns the buffer
	// once sent); nil: a fresh one.
	Alloc func(n int) []byte

	// scratch is Process's pooled buffers while it runs (nil: none, a
	// multipart part's own message), which nothing of the Result keeps.
	scratch *scratchBufs
}

// notInspected marks the body as not (wholly) read, for reason.
func (m *Message) notInspected(reason string) {
	if m.Info.Inspected || m.Info.Reason == "" {
		m.Info.Inspected, m.Info.Reason = false, reason
	}
}

// alloc is an empty buffer with room for n bytes, from Alloc when set.
func (m *Message) alloc(n int) []byte {
	if m.Alloc != nil {
		return m.Alloc(n)
	}
	return make([]byte, 0, n)
}

// Result is what the pipeline decided for a message.
type Result struct {
	Body     []byte // the body to send on; the input slice when unchanged
	Changed  bool
	Decision *policy.Decision
	Err      *crm.Error // non-nil: refuse the message with this error
	Summary  Summary    // counts and ids for the audit event, the watch and the inventory
	// Fields are the message's findings per (object, field, category),
	// for the inventory (Options.Inventory); nil when it was not asked
	// for or the message was refused before its decision was asked.
	Fields []FieldCount
}

// leaf is a scanned value that holds findings.
type leaf struct {
	start    int
	end      int    // the raw value's end in the body (JSON scalars), 0 when unknown
	value    []byte // unescaped copy
	pointer  string
	field    string
	record   int
	depth    int   // segments of pointer that name the record
	name     bool  // the findings are in a form field's name (or a multipart part's), which Veil cannot rewrite
	part     []int // a multipart body's part (and nested parts) the value is in; start and end are within it
	from, to int   // its findings in the message's findings (detect's finds)
}

// keepBytes appends b to buf, a walk's buffer of its leaves' values, and
// returns the buffer and the copy, capped at its end: a copy kept from
// before the buffer grew still holds the bytes it had.
func keepBytes(buf, b []byte) ([]byte, []byte) {
	at := len(buf)
	buf = append(buf, b...)
	return buf, buf[at:len(buf):len(buf)]
}

// setPointers gives each of leaves its pointer: the i-th is
// pointers[ends[i-1]:ends[i]], and all of them are slices of one string.
func setPointers(leaves []leaf, pointers []byte, ends []int) {
	all, from := string(pointers), 0
	for i := range leaves {
		leaves[i].pointer, from = all[from:ends[i]], ends[i]
	}
}

// Process runs the message through the pipeline.
func (p *Pipeline) Process(ctx context.Context, m *Message) Result {
	route, dir := m.Route.Name, m.Direction
	in := &policy.Input{
		Direction: dir, Route: route, Dialect: m.Route.Dialect, Method: m.Method, Path: m.Path,
		Operation: m.Call.Operation, Object: m.Call.Object, Purpose: m.Scope.Purpose,
		Principal: policy.Principal{ID: m.Scope.Principal.ID, Roles: m.Scope.Principal.Roles, MFA: m.Scope.Principal.MFA, IP: m.Scope.ClientIP},
		Records:   []policy.Record{}, Findings: []policy.Finding{}, Stats: map[string]int64{},
	}
	if m.Info.Format == "" { // a caller that read the body whole
		m.Info = policy.Body{Format: m.Format, Inspected: true}
		switch {
		case len(m.Body) == 0:
			m.Info.Format = FormatNone
		case m.Format == "":
			m.Info.Format = FormatJSON
		}
	}

	var leaves []leaf
	var finds []detectors.Finding
	if len(m.Body) > 0 {
		p.metrics.BodyBytes.WithLabelValues(route, dir).Observe(float64(len(m.Body)))
		t0 := time.Now()
		var err error
		sb := scratchPool.Get().(*scratchBufs)
		m.scratch = sb
		defer func() { m.scratch = nil; sb.put(&leaves, &finds) }()
		if k, ok := p.decider.(inputKeeper); ok && !k.KeepsInput() {
			// Nothing reads the input once decided: its findings go into
			// a pooled slice (the bulk of what a message allocates), never
			// nil (scratchBufs.pfinds), which the policy would read as no
			// list at all.
			in.Findings = sb.pfinds[:0]
			defer func() { sb.pfinds = in.Findings }()
		}
		defer func() { m.xml.Release(); m.xml = nil }() // the XML index, once rewritten
		leaves, finds, err = p.detect(ctx, m, in, sb.leaves, sb.finds)
		p.observe(route, dir, "detect", t0)
		if e := stopped(dir, err); e != nil {
			return Result{Err: e}
		}
		if err != nil {
			code := crm.CodeInvalidBody
			if dir == DirResponse {
				code = crm.CodeUpstreamInvalidBody
			}
			return Result{Err: Failure(dir, code, "the body could not be inspected: "+err.Error())}
		}
	}

	// The walk may have learnt more: a SOAP body's format and call.
	in.Body = m.Info
	in.Operation, in.Object = m.Call.Operation, m.Call.Object
	if m.Scope != nil && m.Direction == DirRequest && m.Info.Format == FormatSOAP {
		m.Scope.Call = m.Call // its response is the same call's
	}

	if dir == DirRequest {
		if err := m.requestPredicates(); err != nil {
			return Result{Err: Failure(dir, crm.CodeInvalidQuery, "the request's query could not be read: "+err.Error())}
		}
		in.Predicates = p.predicates(m)
	}

	var urls []urlFind
	if m.URL != nil {
		urls = p.scanURL(m, in)
	}

	if p.stats != nil {
		if st := p.stats.Stats(ctx, in.Principal.ID, in.Principal.IP); st != nil {
			in.Stats = st
		}
	}
	var fields []FieldCount
	if p.inventory {
		fields = fieldCounts(in)
	}
	t0 := time.Now()
	dec, err := p.decider.Decide(ctx, in)
	p.observe(route, dir, "decide", t0)
	p.metrics.PolicyDuration.Observe(time.Since(t0).Seconds())
	if err != nil {
		p.metrics.PolicyEvals.WithLabelValues("error").Inc()
		p.log.Error("policy evaluation failed", zap.String("route", route), zap.String("direction", dir), zap.Error(err))
		return Result{Fields: fields, Err: Failure(dir, crm.CodePolicyError, "the privacy policy could not be evaluated")}
	}
	if m.Scope != nil {
		m.Scope.DecisionIDs = append(m.Scope.DecisionIDs, dec.ID)
	}
	sum := summarize(in, m, urls)
	// Each finding's action, asked of the decision once: for block here,
	// then for the rewrite (actionsFor).
	var decided []string
	if m.scratch != nil {
		decided = m.scratch.decided[:0]
		defer func() { m.scratch.decided = decided }()
	}
	decided = dec.AppendActions(decided, in.Findings)
	if !dec.Allow || slices.Contains(decided, "block") {
		p.metrics.PolicyEvals.WithLabelValues("deny").Inc()
		return Result{Decision: dec, Summary: sum, Fields: fields, Err: &crm.Error{Status: 403, Code: crm.CodePolicyDenied, DecisionID: dec.ID, Message: denyMessage(dec)}}
	}
	urlIDs := urlFindings(in, urls)
	if e := refusal(dec, leaves, in.Findings, urls, urlIDs); e != nil {
		p.metrics.PolicyEvals.WithLabelValues("deny").Inc()
		return Result{Decision: dec, Summary: sum, Fields: fields, Err: e}
	}
	p.metrics.PolicyEvals.WithLabelValues("allow").Inc()
	var work vaultWork
	planURL(dec, urls, urlIDs, &work)
	countURLActions(&sum, dec, urlIDs)
	if len(m.Body) == 0 {
		if !work.empty() {
			if e := p.vaultStage(ctx, m, dec, &work); e != nil {
				return Result{Decision: dec, Summary: sum, Fields: fields, Err: e}
			}
			rewriteURL(m.URL, urls, &work)
		}
		return Result{Body: m.Body, Decision: dec, Summary: sum, Fields: fields}
	}

	t0 = time.Now()
	out, changed, e := p.apply(ctx, m, dec, in, decided, leaves, finds, &work, &sum)
	p.observe(route, dir, "transform", t0)
	if e != nil {
		return Result{Decision: dec, Summary: sum, Fields: fields, Err: e}
	}
	rewriteURL(m.URL, urls, &work)
	return Result{Body: out, Changed: changed, Decision: dec, Summary: sum, Fields: fields}
}

// countURLActions counts the actions of the request URL's findings: a
// search term the policy tokenizes is rewritten, anything else allowed
// there passes as is (refusal refused the rest).
func countURLActions(sum *Summary, dec *policy.Decision, urlIDs map[int]policy.Finding) {
	for _, f := range urlIDs {
		a := dec.ActionFor(f)
		if a != policy.ActionTokenize {
			a = policy.ActionAllow
		}
		sum.addAction(a)
	}
}

func (s *Summary) addAction(a string) {
	if s.Actions == nil {
		s.Actions = make(map[string]int, 4)
	}
	s.Actions[a]++
}

// detect walks the body, scans every string and number leaf and fills the
// policy input's records and findings. It stops when ctx is done or the
// message's inspection budget is spent (budget.go), with the error
// stopped() turns into the refusal.
func (p *Pipeline) detect(ctx context.Context, m *Message, in *policy.Input, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding, error) {
	records := getRecords()
	defer putRecords(records)
	var err error
	records.budget = newBudget(ctx, p.budget)
	if err := records.budget.check(); err != nil { // a client gone before its body is read
		return nil, nil, err
	}
	// The walk numbers nested records (composite subresponses,
	// subqueries) in the table: crm.RecordOf asks it through the call.
	m.Call.Records = records
	leaves, finds, err = p.walkFormat(m, records, leaves, finds)
	m.Call.Records = nil
	if err == nil {
		err = records.budget.check() // the walk's last values, and a walk that never ticks
	}
	if err != nil {
		return nil, nil, err
	}
	records.finish()

	var (
		counted  metrics.PairCounts
		overflow findingSampler
	)
	defer counted.Add(p.metrics.Findings)
	in.Findings = slices.Grow(in.Findings, min(len(finds), p.maxFinds))
	for i := range leaves {
		l := &leaves[i]
		for j := l.from; j < l.to; j++ {
			f := finds[j]
			counted.Inc(f.Category, f.Detector)
			pf := policy.Finding{
				ID: j, Record: l.record, In: InBody, Pointer: l.pointer, Field: l.field,
				Category: f.Category, Detector: f.Detector, Confidence: f.Confidence,
			}
			if len(in.Findings) >= p.maxFinds {
				// Past the cap the policy still hears of every kind of
				// finding (overflow.sample), so its deny rules fire; the
				// values themselves are all redacted (apply).
				in.Truncated = true
				if !overflow.sample(&pf) {
					continue
				}
			}
			pf.TokenCategory = tokenCategory(f, l.value)
			in.Findings = append(in.Findings, pf)
		}
	}
	// Only records that hold findings matter to the policy; sending every
	// record of a 2000-row page would cost evaluation time for nothing.
	// A request's records that carry a consent flag are the exception:
	// their consent is the flags the write sets (consent.rego,
	// consent_opt_out_cleared), with or without personal data beside it.
	n, last := 0, -1 // the records to list, at most: one a run of findings, and the flagged
	for i := range in.Findings {
		if r := in.Findings[i].Record; r >= 0 && r != last {
			n, last = n+1, r
		}
	}
	if m.Direction == DirRequest {
		n += len(records.flags)
	}
	in.Records = slices.Grow(in.Records, n)
	var noConsent map[string]bool // shared by records without flags
	list := func(idx int, r *recordInfo) {
		if r.listed {
			return
		}
		r.listed = true
		pr := policy.Record{Index: idx, Object: r.object, ID: r.id, Pointer: r.pointer, Consent: r.consent}
		if pr.Object == "" && !isNested(idx) {
			// A nested record (a subquery's) is not of the call's object:
			// without its own type it stays unknown, which consent reads
			// as carrying every flag.
			pr.Object = m.Call.Object
		}
		if pr.Consent == nil {
			if noConsent == nil {
				noConsent = map[string]bool{}
			}
			pr.Consent = noConsent
		}
		in.Records = append(in.Records, pr)
	}
	for _, f := range in.Findings {
		if f.Record >= 0 {
			list(f.Record, records.at(f.Record)) // met by the walk: it holds a finding
		}
	}
	if m.Direction == DirRequest && len(records.flags) > 0 {
		for _, fl := range records.flags { // finish grouped them by record
			if r := records.get(fl.rec); r != nil && r.consent != nil {
				list(fl.rec, r)
			}
		}
	}
	slices.SortFunc(in.Records, func(a, b policy.Record) int { return cmp.Compare(a.Index, b.Index) })
	return leaves, finds, nil
}

// walkFormat scans m's body in its format.
func (p *Pipeline) walkFormat(m *Message, records *recordTable, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding, error) {
	switch m.Format {
	case FormatForm, FormatCSV:
		return p.walkFlat(m, records, leaves, finds)
	case FormatXML:
		return p.walkXML(m, records, leaves, finds)
	case FormatText:
		leaves, finds = p.walkText(m, leaves, finds)
		return leaves, finds, nil
	case FormatMultipart:
		return p.walkMultipart(m, records, leaves, finds, 0)
	}
	return p.walkJSON(m, records, leaves, finds)
}

// walkJSON scans a JSON body, noting each record's id, object and consent
// flags as it goes. The leaves' values share one buffer and their pointers
// one string, so a message costs a few allocations, not a few per
// finding.
func (p *Pipeline) walkJSON(m *Message, records *recordTable, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding, error) {
	kept := p.getKept(kindOf(m))
	defer p.putKept(kept)
	memo := &kept.memo
	var (
		values   []byte              // every leaf's value, in turn (after an earlier part's, pooled)
		pointers = memo.pointers[:0] // every leaf's pointer, in turn; one string in the end
		ends     = memo.ends[:0]     // where each ends in pointers
		base     = len(leaves)       // leaves of earlier parts (multipart) keep their pointers
	)
	defer func() { memo.pointers, memo.ends = pointers, ends }()
	if m.scratch != nil {
		values = m.scratch.values
		defer func() { m.scratch.values = values }()
	}
	dialect := m.Route.Dialect
	// named keeps a member name holding findings as a name leaf: it cannot
	// be rewritten, so refusal refuses the message unless the policy
	// allows it (wrappers.go).
	named := func(v *body.Value, scratch []detectors.Finding) error {
		if err := records.tick(); err != nil { // the client gone, the budget spent (budget.go)
			return err
		}
		rec, depth := memo.role(v).record(m.Call, v)
		var text []byte
		values, text = keepBytes(values, v.Key)
		pointers = v.AppendPointer(pointers)
		ends = append(ends, len(pointers))
		leaves = append(leaves, leaf{start: v.Start, value: text, record: rec, depth: depth, name: true,
			from: len(finds), to: len(finds) + len(scratch)})
		finds = append(finds, scratch...)
		return nil
	}
	request := m.Direction == DirRequest // noteQuery reads a request's strings only
	err := scanJSONNames(p.scanner, m.Body, p.limits, func(v *body.Value, plan *shapePlan, f *detectors.Field, scratch []detectors.Finding) error {
		if plan.quiet(v, scratch) {
			// Nothing found, and nothing its record needs (most values):
			// which record it is in does not matter. A response's such
			// values do not come here at all (jsonScan.quiet).
			if request && v.Kind == body.KindString {
				m.noteQuery(v.Str)
			}
			return nil
		}
		e := plan.roleOf()
		rec, depth := e.record(m.Call, v)
		if rec >= 0 {
			switch role, ck := e.describe(v, dialect, depth, p.consent); {
			case v.Kind == body.KindNull && role != crm.RoleConsent:
			case role == crm.RoleID:
				records.setID(rec, v.Str)
			case role == crm.RoleObject:
				records.setObject(rec, v.Str)
			case role == crm.RoleURL:
				// The id when Id is not selected; a selected Id, met
				// after attributes, is set after it and wins.
				if id := crm.IDFromURL(v.Str); id != nil {
					records.setID(rec, id)
				}
			case role == crm.RoleConsent:
				// A null flag (HubSpot's for a property never set) is the
				// CRM saying no opt-out is recorded: false, not unknown.
				records.setFlag(rec, ck, crm.Truthy(v.Kind == body.KindBool, v.Str))
			}
		}
		if request && v.Kind == body.KindString {
			m.noteQuery(v.Str)
		}
		value := v.Str
		if len(scratch) == 0 && v.Kind == body.KindNumber {
			// 4111111111111111.0 and 4.111111111111111e15 are the card
			// number 4111111111111111 to the CRM: scan the integer's digits.
			if d, ok := body.IntegerDigits(v.Str); ok {
				value, scratch = d, p.scanner.Scan(scratch, d, *f)
			} else if d, ok := body.RoundedDigits(v.Str); ok {
				// 4111111111111110.9 is stored as a double: the card.
				value, scratch = d, p.scanner.Scan(scratch, d, *f)
			}
		}
		if len(scratch) == 0 {
			return nil
		}
		var text []byte
		values, text = keepBytes(values, value)
		pointers = v.AppendPointer(pointers)
		ends = append(ends, len(pointers))
		l := leaf{start: v.Start, end: v.End, value: text, field: f.Name, record: rec, depth: depth, from: len(finds)}
		finds = append(finds, scratch...)
		l.to = len(finds)
		leaves = append(leaves, l)
		return nil
	}, jsonScan{name: named, kept: kept, budget: records.budget, quiet: !request})
	setPointers(leaves[base:], pointers, ends)
	for i := base; i < len(leaves); i++ {
		if l := &leaves[i]; l.record >= 0 {
			if r := records.at(l.record); r.pointer == "" {
				r.pointer = pointerPrefix(l.pointer, l.depth)
			}
		}
	}
	return leaves, finds, err
}

// walkFlat scans a form's or a CSV's values. A form is outside any
// record; every data row of a CSV (a Bulk API job's) is a record, with its
// id and consent flags in its columns. A form field's name is scanned too:
// personal data there cannot be rewritten, so unless the policy allows it
// the message is refused (refusal).
func (p *Pipeline) walkFlat(m *Message, records *recordTable, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding, error) {
	var (
		scratch []detectors.Finding
		fields  fieldClassifier
	)
	// add scans a value and reports whether it holds findings.
	add := func(start int, value []byte, pointer func() string, field detectors.Field, name bool, rec int) bool {
		scratch = p.scanner.Scan(scratch[:0], value, field)
		if len(scratch) == 0 {
			return false
		}
		leaves = append(leaves, leaf{start: start, value: append([]byte(nil), value...), pointer: pointer(), field: field.Name,
			record: rec, name: name, from: len(finds), to: len(finds) + len(scratch)})
		finds = append(finds, scratch...)
		return true
	}
	if m.Format == FormatCSV {
		dialect := m.Route.Dialect
		// A column name holding personal data cannot be rewritten: a name
		// leaf (refusal), scanned once, on the first data row or, with
		// none, from the header alone.
		header := func(col int, name []byte) {
			scratch = scanName(p.scanner, scratch[:0], name)
			if len(scratch) > 0 {
				leaves = append(leaves, leaf{value: append([]byte(nil), name...), pointer: "/header/" + strconv.Itoa(col),
					record: -1, name: true, from: len(finds), to: len(finds) + len(scratch)})
				finds = append(finds, scratch...)
			}
		}
		rows := false
		opts := body.SniffCSV(m.Body)
		err := body.WalkCSV(m.Body, opts, func(c *body.Cell) error {
			if err := records.tick(); err != nil { // the client gone, the budget spent (budget.go)
				return err
			}
			if c.Row == 0 {
				rows = true
				header(c.Col, c.Column)
			}
			if len(c.Value) == 0 {
				return nil
			}
			switch role, ck := crm.DescribeColumn(dialect, c.Column, p.consent); role {
			case crm.RoleID:
				records.setID(c.Row, c.Value)
			case crm.RoleConsent:
				records.setFlag(c.Row, ck, crm.Truthy(false, c.Value))
			}
			if add(c.Start, c.Value, c.Pointer, fields.classify(c.Column), false, c.Row) {
				if r := records.at(c.Row); r.pointer == "" {
					r.pointer = "/" + strconv.Itoa(c.Row)
				}
			}
			return nil
		})
		if err == nil && !rows {
			for i, name := range csvHeader(m.Body, opts) {
				header(i, name)
			}
		}
		return leaves, finds, err
	}
	err := body.WalkForm(m.Body, func(f *body.FormField) error {
		if err := records.tick(); err != nil { // the client gone, the budget spent (budget.go)
			return err
		}
		add(f.Start, f.Name, f.Pointer, detectors.Field{Name: string(f.Name)}, true, -1)
		m.noteQuery(f.Value)
		if len(f.Value) > 0 {
			add(f.Start, f.Value, f.Pointer, fields.classify(f.Name), false, -1)
		}
		return nil
	})
	return leaves, finds, err
}

// urlFind is a finding in the request URL, with where it sits for a
// rewrite; id is -1 for one beyond the policy's view (truncated).
type urlFind struct {
	id         int
	v          urlValue
	start, end int // within v.value
	category   string
}

// scanURL adds the findings of a request's query parameters and path
// segments (urlscan.go) to the input, after the body's, outside any record,
// and returns them located.
func (p *Pipeline) scanURL(m *Message, in *policy.Input) []urlFind {
	var (
		scratch []detectors.Finding
		urls    []urlFind
	)
	id := 0
	if n := len(in.Findings); n > 0 {
		id = in.Findings[n-1].ID + 1
	}
	for _, v := range urlValues(m.URL, m.Query) {
		f := detectors.ClassifyFieldOf(m.Call.Object, v.field)
		scratch = p.scanner.Scan(scratch[:0], []byte(v.value), f)
		for _, fd := range scratch {
			p.metrics.Findings.WithLabelValues(fd.Category, fd.Detector).Inc()
			if len(in.Findings) >= p.maxFinds {
				in.Truncated = true
				urls = append(urls, urlFind{id: -1, v: v, start: fd.Start, end: fd.End, category: fd.Category})
				continue
			}
			urls = append(urls, urlFind{id: id, v: v, start: fd.Start, end: fd.End, category: fd.Category})
			in.Findings = append(in.Findings, policy.Finding{
				ID: id, Record: -1, In: v.in, Pointer: v.pointer, Field: f.Name,
				Category: fd.Category, Detector: fd.Detector, Confidence: fd.Confidence,
				TokenCategory: tokenCategory(fd, []byte(v.value)),
			})
			id++
		}
	}
	return urls
}

// refusal refuses a message holding a finding the policy does not allow
// as is where Veil cannot rewrite it: in the request URL, unless it is to
// be tokenized (a search by a tokenized value must search by its token,
// which is deterministic); any other rewrite of a search term or record id
// would silently return the wrong records. Or in a form field's name.
func refusal(dec *policy.Decision, leaves []leaf, findings []policy.Finding, urls []urlFind, urlIDs map[int]policy.Finding) *crm.Error {
	refuse := func(f policy.Finding, where string) *crm.Error {
		a := dec.ActionFor(f)
		if a == policy.ActionAllow {
			return nil
		}
		return &crm.Error{Status: 403, Code: crm.CodePolicyDenied, DecisionID: dec.ID,
			Message: "Blocked by Veil privacy policy: " + f.Category + " in " + where + " (" + a + ")"}
	}
	for _, u := range urls {
		f, ok := urlIDs[u.id]
		if !ok { // beyond the policy's view: fail closed
			return &crm.Error{Status: 403, Code: crm.CodePolicyDenied, DecisionID: dec.ID, Message: "Blocked by Veil privacy policy: too much personal data in the request URL"}
		}
		if tokenizedInPlace(dec, f, u) {
			continue
		}
		if e := refuse(f, "the request URL"); e != nil {
			return e
		}
	}
	for _, l := range leaves {
		for j := l.from; l.name && j < l.to; j++ {
			if j >= len(findings) || findings[j].ID != j { // beyond the policy's view: fail closed
				return &crm.Error{Status: 403, Code: crm.CodePolicyDenied, DecisionID: dec.ID, Message: "Blocked by Veil privacy policy: personal data in a form field name"}
			}
			if e := refuse(findings[j], "a form field name"); e != nil {
				return e
			}
		}
	}
	return nil
}

// apply turns the decision into edits and rewrites the body. Actions are
// settled per finding first (actionsFor), so that the vault is called once
// per message for every value to tokenize and once for every token to
// reveal; then every leaf's replacement is built (edits).
func (p *Pipeline) apply(ctx context.Context, m *Message, dec *policy.Decision, in *policy.Input, decided []string, leaves []leaf, finds []detectors.Finding, work *vaultWork, sum *Summary) ([]byte, bool, *crm.Error) {
	actions := p.actionsFor(m, in, decided, leaves, finds, work, sum)
	if !work.empty() {
		if e := p.vaultStage(ctx, m, dec, work); e != nil {
			return nil, false, e
		}
	}
	edits := p.edits(m.scratch, leaves, finds, actions, work, dec.Drop)
	if edits.empty() {
		return m.Body, false, nil
	}
	out, err := p.rewriteDoc(m, m.Body, &edits)
	if err != nil {
		return nil, false, Failure(m.Direction, crm.CodeInvalidBody, "the body could not be rewritten")
	}
	if out == nil {
		return m.Body, false, nil
	}
	return out, true, nil
}

// actionsFor settles the action of every finding of the leaves (by its
// index in finds), from the decision's for in.Findings (decided), counts
// them, and queues the values to tokenize and the tokens to reveal in
// work. A finding beyond the policy's view (past the cap) is redacted:
// fail closed.
func (p *Pipeline) actionsFor(m *Message, in *policy.Input, decided []string, leaves []leaf, finds []detectors.Finding, work *vaultWork, sum *Summary) []string {
	var actions []string
	if m.scratch != nil {
		actions = slices.Grow(m.scratch.actions[:0], len(finds))[:len(finds)]
		m.scratch.actions = actions
	} else {
		actions = make([]string, len(finds))
	}
	var (
		counted metrics.PairCounts
		tally   actionTally
	)
	defer counted.Add(p.metrics.Actions)
	defer tally.addTo(sum)
	for i := range leaves {
		l := &leaves[i]
		if l.name {
			continue // allowed, or refusal() refused the message
		}
		for j := l.from; j < l.to; j++ {
			f := finds[j]
			action := policy.ActionRedact // beyond the policy's view (truncated): fail closed
			if j < len(in.Findings) && j < p.maxFinds && in.Findings[j].ID == j {
				action = decided[j]
			}
			// detokenize reveals a Veil token; anything else is already
			// in the clear, and a write carries tokens as they are.
			if action == policy.ActionDetokenize && (f.Category != detectors.CategoryVeilToken || m.Direction != DirResponse) {
				action = policy.ActionAllow
			}
			switch action {
			case policy.ActionTokenize:
				if f.Category == detectors.CategoryVeilToken {
					action = policy.ActionAllow // already a token
				} else {
					work.addTokenize(j, f.Category, l.value[f.Start:f.End])
				}
			case policy.ActionDetokenize:
				work.addDetokenize(j, l.value[f.Start:f.End])
			}
			actions[j] = action
			counted.Inc(action, f.Category)
			tally.inc(action)
		}
	}
	return actions
}

// edits builds every leaf's replacement from the actions of its findings:
// a splice of the leaf's new value, or its removal (drop); drop adds the
// members the policy removes by pointer. The replacements share one
// buffer; each leaf's new value is a slice of it (a slice kept from
// before it grew still holds its bytes).
func (p *Pipeline) edits(sb *scratchBufs, leaves []leaf, finds []detectors.Finding, actions []string, work *vaultWork, drop []string) docEdits {
	var (
		repls   []byte
		splices []body.Splice
	)
	if sb != nil { // pooled: the rewrite copies them out
		repls, splices = sb.repls[:0], sb.splices[:0]
		defer func() { sb.repls = repls }()
	}
	edits := docEdits{splices: slices.Grow(splices, len(leaves)), dropPointers: drop}
	if sb != nil {
		defer func() { sb.splices = edits.splices }()
	}
	for i := range leaves {
		l := &leaves[i]
		if l.name {
			continue
		}
		at := len(repls)
		last, dropped, touched := 0, false, false
		for j := l.from; j < l.to; j++ {
			f := finds[j]
			switch actions[j] {
			case policy.ActionAllow:
				continue
			case policy.ActionDrop:
				dropped = true
				continue
			}
			repls = append(repls, l.value[last:f.Start]...)
			repls = p.replacement(repls, actions[j], f.Category, l.value[f.Start:f.End], work, j)
			last, touched = f.End, true
		}
		e := edits.of(l.part)
		switch {
		case dropped:
			if e.drops == nil {
				e.drops = map[int]bool{}
			}
			e.drops[l.start] = true
			repls = repls[:at]
		case touched:
			repls = append(repls, l.value[last:]...)
			e.splices = append(e.splices, body.Splice{Start: l.start, End: l.end, Contents: repls[at:len(repls):len(repls)]})
		}
	}
	return edits
}

// replacement appends what replaces text, a value of category and finding
// j, under action: its mask, its hash, the vault's token or revealed value
// (work, from the vault stage), or, for redact and any action this build
// does not know, the redaction: never the value itself.
func (p *Pipeline) replacement(dst []byte, action, category string, text []byte, work *vaultWork, j int) []byte {
	switch action {
	case policy.ActionMask:
		return transform.Mask(dst, category, text)
	case policy.ActionHash:
		return append(dst, p.hashed(category, text)...)
	case policy.ActionTokenize, policy.ActionDetokenize:
		return append(dst, work.out[j]...)
	}
	return append(dst, transform.Redacted(category)...)
}

// docEdits are the changes to one document: values replaced (splices, in
// document order) and removed (by their start), members removed by
// pointer, and for a multipart body each part's own.
type docEdits struct {
	splices      []body.Splice
	drops        map[int]bool
	dropPointers []string
	parts        map[int]*docEdits
}

// of returns the edits of the (nested) part at path; e itself for none.
func (e *docEdits) of(path []int) *docEdits {
	for _, i := range path {
		if e.parts == nil {
			e.parts = map[int]*docEdits{}
		}
		sub := e.parts[i]
		if sub == nil {
			sub = &docEdits{}
			e.parts[i] = sub
		}
		e = sub
	}
	return e
}

func (e *docEdits) empty() bool {
	if len(e.splices) > 0 || len(e.drops) > 0 || len(e.dropPointers) > 0 {
		return false
	}
	for _, sub := range e.parts {
		if !sub.empty() {
			return false
		}
	}
	return true
}

// rewriteDoc applies e to doc, m's body, in m's format. It returns nil
// when nothing changed (a pointer to drop that names nothing).
func (p *Pipeline) rewriteDoc(m *Message, doc []byte, e *docEdits) ([]byte, error) {
	switch m.Format {
	case FormatMultipart:
		return p.rewriteMultipart(m, doc, e)
	case FormatText:
		if len(e.drops) > 0 {
			return []byte{}, nil // the one value, the whole text, removed
		}
		return spliceText(m.alloc(len(doc)+len(doc)/8), doc, e.splices), nil
	case FormatXML:
		xe := body.XMLEdits{Splices: e.splices, Drop: e.drops, DropPointers: e.dropPointers}
		return body.RewriteXML(m.alloc(len(doc)+len(doc)/8), doc, m.xml, &xe)
	case FormatForm, FormatCSV:
		be := body.Edits{Replace: make(map[int][]byte, len(e.splices)), Drop: e.drops, DropPointers: e.dropPointers}
		for _, sp := range e.splices {
			be.Replace[sp.Start] = sp.Contents
		}
		if be.Drop == nil {
			be.Drop = map[int]bool{}
		}
		out, changed, err := rewriteFlat(m.Format, doc, &be)
		if err != nil || !changed {
			return nil, err
		}
		return out, nil
	}
	if len(e.drops) == 0 && len(e.dropPointers) == 0 {
		// Only values replaced, at spans the walk gave: splice them in
		// without walking the body again.
		return body.SpliceJSON(m.alloc(len(doc)+len(doc)/8), doc, e.splices)
	}
	be := body.Edits{Replace: make(map[int][]byte, len(e.splices)), Drop: e.drops, DropPointers: e.dropPointers}
	for _, sp := range e.splices {
		be.Replace[sp.Start] = sp.Contents
	}
	if be.Drop == nil {
		be.Drop = map[int]bool{}
	}
	out, _, err := body.RewriteJSON(m.alloc(len(doc)+len(doc)/8), doc, &be)
	return out, err
}

// rewriteFlat applies edits to a form or a CSV: a dropped form field goes,
// a dropped CSV cell is emptied (the row keeps its shape, and a Bulk job's
// Sforce-NumberOfRecords stays true); the policy's drop pointers name
// fields (/<name>), cells (/<row>/<column>) or whole CSV records (/<row>:
// every cell of the row is emptied).
func rewriteFlat(format string, doc []byte, e *body.Edits) ([]byte, bool, error) {
	drop := map[string]bool{}
	for _, p := range e.DropPointers {
		drop[p] = true
	}
	out := make([]byte, 0, len(doc)+len(doc)/8)
	var err error
	if format == FormatForm {
		if len(drop) > 0 {
			err = body.WalkForm(doc, func(f *body.FormField) error {
				if drop[f.Pointer()] || drop["/"+body.EscapePointerToken(string(f.Name))] {
					e.Drop[f.Start] = true
				}
				return nil
			})
		}
		if err == nil {
			out, err = body.RewriteForm(out, doc, e.Replace, e.Drop)
		}
		return out, err == nil, err
	}
	if len(drop) > 0 || len(e.Drop) > 0 {
		err = body.WalkCSV(doc, body.SniffCSV(doc), func(c *body.Cell) error {
			if e.Drop[c.Start] || drop[c.Pointer()] || drop["/"+strconv.Itoa(c.Row)] {
				e.Replace[c.Start] = nil
			}
			return nil
		})
	}
	if err == nil {
		out, err = body.RewriteCSV(out, doc, body.SniffCSV(doc), e.Replace)
	}
	return out, err == nil, err
}

// tokenizedInPlace reports whether URL finding f (at u) is to be replaced
// by its token: the policy says tokenize, it is not a token already, and
// it sits verbatim where it can be rewritten.
func tokenizedInPlace(dec *policy.Decision, f policy.Finding, u urlFind) bool {
	return dec.ActionFor(f) == policy.ActionTokenize && u.v.at >= 0 && f.Category != detectors.CategoryVeilToken
}

// urlFindings indexes the input's request URL findings by id.
func urlFindings(in *policy.Input, urls []urlFind) map[int]policy.Finding {
	byID := make(map[int]policy.Finding, len(urls))
	for _, f := range in.Findings {
		if f.In != InBody {
			byID[f.ID] = f
		}
	}
	return byID
}

// tokenCategory is the category a Veil token stands for, read from the
// token; "" for any other finding.
func tokenCategory(f detectors.Finding, value []byte) string {
	if f.Category != detectors.CategoryVeilToken {
		return ""
	}
	return detectors.TokenCategory(value[f.Start:f.End])
}

// actionTally counts a message's actions (a handful of kinds) in a short
// list rather than a map per finding; addTo puts them in a Summary.
type actionTally struct{ counts []labelCount }

type labelCount struct {
	label string
	n     int
}

func (t *actionTally) inc(label string) {
	for i := range t.counts {
		if t.counts[i].label == label {
			t.counts[i].n++
			return
		}
	}
	if t.counts == nil {
		t.counts = make([]labelCount, 0, 8) // a message's kinds, at once rather than by doublings
	}
	t.counts = append(t.counts, labelCount{label, 1})
}

func (t *actionTally) addTo(s *Summary) {
	if len(t.counts) == 0 {
		return
	}
	if s.Actions == nil {
		s.Actions = make(map[string]int, max(4, len(t.counts)))
	}
	for _, c := range t.counts {
		s.Actions[c.label] += c.n
	}
}

// denyMessage names the rules that denied, never a value.
func denyMessage(dec *policy.Decision) string {
	if len(dec.Deny) == 0 {
		return "Blocked by Veil privacy policy"
	}
	rules := make([]string, 0, len(dec.Deny))
	for _, r := range dec.Deny {
		rules = append(rules, r.Rule)
	}
	return "Blocked by Veil privacy policy: " + strings.Join(rules, ", ")
}

// Failure is the error for a message Veil could not inspect: the client's
// fault on the way in, the upstream's on the way out.
func Failure(dir, code, msg string) *crm.Error {
	status := 403
	switch {
	case dir == DirResponse:
		status = 502
	case code == crm.CodeInvalidBody, code == crm.CodeInvalidQuery:
		status = 400
	}
	return &crm.Error{Status: status, Code: code, Message: msg}
}

func (p *Pipeline) observe(route, dir, stage string, t0 time.Time) {
	p.metrics.StageDuration.WithLabelValues(route, dir, stage).Observe(time.Since(t0).Seconds())
}

// valuePath adapts a body.Value to crm.Path.
type valuePath struct{ v *body.Value }

func (p valuePath) Len() int                { return p.v.Segments() }
func (p valuePath) Seg(i int) ([]byte, int) { return p.v.Segment(i) }

// pointerPrefix is the pointer of the first n segments of p ("" for n 0).
func pointerPrefix(p string, n int) string {
	end := 0
	for range n {
		i := strings.IndexByte(p[end+1:], '/')
		if i < 0 {
			return p
		}
		end += 1 + i
	}
	return p[:end]
}

// scratchBufs are a message's leaves and findings, kept between messages:
// the pooled buffers whose size follows the payload. Nothing of them
// outlives Process (values and pointers live in buffers of their own).
type scratchBufs struct {
	leaves []leaf
	finds  []detectors.Finding
	// Buffers of one Process only: the walks' leaf values (JSON's and
	// XML's), actionsFor's actions, edits' replacements and splices.
	values []byte
	// The policy input's findings, when the decider keeps no input
	// (cleared: they name pointers and fields of the message). Never nil.
	pfinds []policy.Finding
	// walkXML's leaf pointers, one after the other, and where each ends;
	// what it worked out from names (they refer to the document: cleared).
	pointers []byte
	ends     []int
	xmlSlots []xmlSlot
	actions  []string
	decided  []string
	repls    []byte
	splices  []body.Splice
}

var scratchPool = sync.Pool{New: func() any { return &scratchBufs{pfinds: []policy.Finding{}} }}

// maxPooledLeaves and maxPooledBytes bound what a pooled buffer keeps
// (elements, bytes): one huge message must not pin its buffers for ever.
const (
	maxPooledLeaves = 1 << 14
	maxPooledBytes  = 1 << 20
)

// put returns the grown buffers to the pool, emptied.
func (b *scratchBufs) put(leaves *[]leaf, finds *[]detectors.Finding) {
	if cap(*leaves) > maxPooledLeaves || cap(*finds) > maxPooledLeaves {
		return
	}
	clear((*leaves)[:cap(*leaves)])
	b.leaves, b.finds = (*leaves)[:0], (*finds)[:0]
	if cap(b.values) > maxPooledBytes || cap(b.repls) > maxPooledBytes || cap(b.actions) > maxPooledLeaves || cap(b.splices) > maxPooledLeaves {
		b.values, b.repls, b.actions, b.splices = nil, nil, nil, nil
	}
	if cap(b.decided) > maxPooledLeaves {
		b.decided = nil
	}
	if cap(b.pointers) > maxPooledBytes || cap(b.ends) > maxPooledLeaves {
		b.pointers, b.ends = nil, nil
	}
	// Both are only ever appended to: what lies past their length was
	// cleared when they were last put.
	clear(b.xmlSlots)
	b.xmlSlots = b.xmlSlots[:0]
	if cap(b.pfinds) > maxPooledLeaves {
		b.pfinds = []policy.Finding{}
	}
	clear(b.pfinds)
	b.pfinds = b.pfinds[:0]
	clear(b.actions[:cap(b.actions)])
	clear(b.decided[:cap(b.decided)])
	b.decided = b.decided[:0]
	clear(b.splices[:cap(b.splices)])
	b.values, b.repls, b.actions, b.splices = b.values[:0], b.repls[:0], b.actions[:0], b.splices[:0]
	scratchPool.Put(b)
}
