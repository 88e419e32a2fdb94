package incident

import (
	"cmp"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy/audit"
)

// Query selects the events of an incident.
type Query struct {
	Principal string    `json:"principal,omitempty"`
	IP        string    `json:"ip,omitempty"`
	Since     time.Time `json:"since,omitzero"` // inclusive; zero: unbounded
	Until     time.Time `json:"until,omitzero"` // inclusive; zero: unbounded
	// AwareAt is when the controller became aware of the breach: the
	// notification clocks start here. Zero: the time Report is called.
	AwareAt time.Time `json:"aware_at"`
}

// Matches reports whether e is a decision event of the query's principal
// and/or IP inside its window. A query with neither principal nor IP
// matches nothing.
func (q Query) Matches(e audit.Event) bool {
	if e.Kind != audit.KindDecision || q.Principal == "" && q.IP == "" {
		return false
	}
	if q.Principal != "" && e.Principal != q.Principal || q.IP != "" && e.IP != q.IP {
		return false
	}
	if !q.Since.IsZero() && e.Time.Before(q.Since) || !q.Until.IsZero() && e.Time.After(q.Until) {
		return false
	}
	return true
}

// Actions whose findings reach the caller in clear.
const (
	actionAllow      = "allow"
	actionDetokenize = "detokenize"
)

// personObjects are the CRM objects whose records are persons (lower
// case): Salesforce Contact, Lead, Individual, PersonAccount; HubSpot
// contacts (object type id 0-1).
var personObjects = map[string]bool{
	"contact": true, "contacts": true, "lead": true, "leads": true,
	"individual": true, "personaccount": true, "0-1": true,
}

// IsPersonObject reports whether records of object are data subjects.
func IsPersonObject(object string) bool { return personObjects[strings.ToLower(object)] }

// Report is the incident report. JSON is its machine form; WriteText its
// readable one. It holds every distinct affected record (a few hundred
// bytes each): a bulk export of a million records makes a report of some
// hundred MB in memory.
type Report struct {
	Query      Query     `json:"query"`
	FirstEvent time.Time `json:"first_event,omitzero"` // time span of the matching events
	LastEvent  time.Time `json:"last_event,omitzero"`
	Messages   int       `json:"messages"` // decision events: one per request and one per response inspected
	Requests   int       `json:"requests"` // distinct request ids (a message without one counts alone)
	Routes     []string  `json:"routes,omitempty"`
	Principals []string  `json:"principals,omitempty"` // principals seen (an IP query may find several)
	IPs        []string  `json:"ips,omitempty"`        // client addresses seen

	Records []Record `json:"records"`
	// RecordsWithoutIDs adds up the events' records that held personal
	// data but whose ids the messages did not carry: affected, not named,
	// so Records and Subjects undercount by up to this many.
	RecordsWithoutIDs int            `json:"records_without_ids"`
	Subjects          Subjects       `json:"subjects"`
	Cats              []Category     `json:"categories"`
	Actions           map[string]int `json:"actions"` // findings by action applied
	Exposure          Exposure       `json:"exposure"`
	Outcomes          map[string]int `json:"outcomes"`
	Clocks            []Clock        `json:"clocks"`
	Notes             []string       `json:"notes,omitempty"`
}

// Record is one affected CRM record.
type Record struct {
	Object     string    `json:"object"`
	ID         string    `json:"id"`
	Subject    bool      `json:"subject"`  // a person object's record: a data subject
	Messages   int       `json:"messages"` // messages naming it
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Categories []string  `json:"categories,omitempty"` // of the messages naming it
	Exposed    bool      `json:"exposed"`              // named by a message that exposed findings
}

// Subjects summarises the data subjects (person records).
type Subjects struct {
	Count    int            `json:"count"`
	Exposed  int            `json:"exposed"`             // named by a message that exposed findings
	ByObject map[string]int `json:"by_object,omitempty"` // object → distinct records
	Note     string         `json:"note"`
}

// Category counts the findings of one category.
type Category struct {
	Category        string `json:"category"`
	Findings        int    `json:"findings"`
	Exposed         int    `json:"exposed"`          // response findings returned in clear
	PossiblyExposed int    `json:"possibly_exposed"` // in messages whose findings were partly returned in clear
	Sent            int    `json:"sent"`             // request findings (to the CRM, not to the caller)
}

// Exposure says what the caller got: findings returned in clear,
// protected (masked, tokenized …), in blocked messages, sent to the CRM,
// and messages forwarded uninspected.
type Exposure struct {
	Exposed     int `json:"exposed"`
	Protected   int `json:"protected"`
	Blocked     int `json:"blocked"`
	Sent        int `json:"sent"`
	Uninspected int `json:"uninspected_messages"`
}

type recKey struct{ object, id string }

type recAcc struct {
	messages    int
	first, last time.Time
	cats        map[string]bool
	exposed     bool
}

// Builder accumulates matching events; Build is the one-shot form.
type Builder struct {
	q          Query
	r          Report
	records    map[recKey]*recAcc
	cats       map[string]*Category
	requestIDs map[string]bool
	routes     map[string]bool
	principals map[string]bool
	ips        map[string]bool
}

// NewBuilder starts a report for q.
func NewBuilder(q Query) *Builder {
	return &Builder{
		q:          q,
		r:          Report{Actions: map[string]int{}, Outcomes: map[string]int{}},
		records:    map[recKey]*recAcc{},
		cats:       map[string]*Category{},
		requestIDs: map[string]bool{},
		routes:     map[string]bool{},
		principals: map[string]bool{},
		ips:        map[string]bool{},
	}
}

// Build reports on the events of q among events: the decision events
// (audit.KindDecision) whose Principal and/or IP equal the query's, with
// Time in [Since, Until] (zero bounds are open). It is pure logic; the CLI
// (veil incident) feeds it from the JSONL audit file or the Redis stream.
func Build(q Query, events iter.Seq[audit.Event]) Report {
	b := NewBuilder(q)
	for e := range events {
		b.Add(e)
	}
	return b.Report()
}

// Add takes one event; it reports whether the event matched the query.
func (b *Builder) Add(e audit.Event) bool {
	if !b.q.Matches(e) {
		return false
	}
	r := &b.r
	r.Messages++
	if e.RequestID == "" || !b.requestIDs[e.RequestID] {
		r.Requests++
		if e.RequestID != "" {
			b.requestIDs[e.RequestID] = true
		}
	}
	if r.FirstEvent.IsZero() || e.Time.Before(r.FirstEvent) {
		r.FirstEvent = e.Time
	}
	if e.Time.After(r.LastEvent) {
		r.LastEvent = e.Time
	}
	addSet(b.routes, e.Route)
	addSet(b.principals, e.Principal)
	addSet(b.ips, e.IP)
	r.Outcomes[cmp.Or(e.Outcome, "unknown")]++
	for a, n := range e.Actions {
		r.Actions[a] += n
	}
	r.RecordsWithoutIDs += e.RecordsWithoutIDs

	total := 0
	for _, n := range e.Categories {
		total += n
	}
	exposedN := 0
	switch {
	case e.Outcome == audit.OutcomeBlocked:
		r.Exposure.Blocked += total
	case e.Outcome == audit.OutcomePassthrough:
		r.Exposure.Uninspected++
	case e.Direction == "request":
		r.Exposure.Sent += total
	default: // response, or a direction not recorded: assume it was read
		exposedN = min(e.Actions[actionAllow]+e.Actions[actionDetokenize], total)
		r.Exposure.Exposed += exposedN
		r.Exposure.Protected += total - exposedN
	}
	for cat, n := range e.Categories {
		c := b.cats[cat]
		if c == nil {
			c = &Category{Category: cat}
			b.cats[cat] = c
		}
		c.Findings += n
		switch {
		case e.Outcome == audit.OutcomeBlocked || e.Outcome == audit.OutcomePassthrough:
		case e.Direction == "request":
			c.Sent += n
		case exposedN == total:
			c.Exposed += n
		case exposedN > 0:
			c.PossiblyExposed += min(n, exposedN)
		}
	}

	for _, id := range e.RecordIDs {
		if id == "" {
			continue
		}
		k := recKey{e.Object, id}
		a := b.records[k]
		if a == nil {
			a = &recAcc{first: e.Time, last: e.Time, cats: map[string]bool{}}
			b.records[k] = a
		}
		a.messages++
		if e.Time.Before(a.first) {
			a.first = e.Time
		}
		if e.Time.After(a.last) {
			a.last = e.Time
		}
		for cat, n := range e.Categories {
			if n > 0 {
				a.cats[cat] = true
			}
		}
		a.exposed = a.exposed || exposedN > 0
	}
	return true
}

// Report returns the report of the events added so far.
func (b *Builder) Report() Report {
	r := b.r
	r.Query = b.q
	if r.Query.AwareAt.IsZero() {
		r.Query.AwareAt = time.Now().UTC()
	}
	r.Actions = maps.Clone(r.Actions)
	r.Outcomes = maps.Clone(r.Outcomes)
	r.Routes = sortedKeys(b.routes)
	r.Principals = sortedKeys(b.principals)
	r.IPs = sortedKeys(b.ips)

	r.Records = make([]Record, 0, len(b.records))
	r.Subjects = Subjects{ByObject: map[string]int{}, Note: "data subjects are the distinct records of person objects (Contact, Lead, Individual, PersonAccount, HubSpot contacts); a person in two objects counts twice, persons named only in other objects are not counted"}
	for k, a := range b.records {
		rec := Record{Object: k.object, ID: k.id, Subject: IsPersonObject(k.object), Messages: a.messages,
			FirstSeen: a.first, LastSeen: a.last, Categories: sortedKeys(a.cats), Exposed: a.exposed}
		r.Records = append(r.Records, rec)
		if rec.Subject {
			r.Subjects.Count++
			r.Subjects.ByObject[k.object]++
			if rec.Exposed {
				r.Subjects.Exposed++
			}
		}
	}
	slices.SortFunc(r.Records, func(a, b Record) int {
		return cmp.Or(strings.Compare(a.Object, b.Object), strings.Compare(a.ID, b.ID))
	})

	r.Cats = make([]Category, 0, len(b.cats))
	for _, c := range b.cats {
		r.Cats = append(r.Cats, *c)
	}
	slices.SortFunc(r.Cats, func(a, b Category) int {
		return cmp.Or(cmp.Compare(b.Findings, a.Findings), strings.Compare(a.Category, b.Category))
	})

	r.Clocks, r.Notes = clocks(&r)
	return r
}

// exposedCategories are the categories exposed or possibly exposed.
func (r *Report) exposedCategories() map[string]bool {
	out := map[string]bool{}
	for _, c := range r.Cats {
		if c.Exposed+c.PossiblyExposed > 0 {
			out[c.Category] = true
		}
	}
	return out
}

// affected estimates the individuals behind the exposed records whose
// categories meet trigger: the exposed subject records, or, when no
// person object was touched, the exposed records.
func (r *Report) affected(trigger map[string]bool) int {
	subjects, records := 0, 0
	for _, rec := range r.Records {
		if !rec.Exposed || !slices.ContainsFunc(rec.Categories, func(c string) bool { return trigger[c] }) {
			continue
		}
		records++
		if rec.Subject {
			subjects++
		}
	}
	if subjects > 0 {
		return subjects
	}
	return records
}

func addSet(m map[string]bool, s string) {
	if s != "" {
		m[s] = true
	}
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}
