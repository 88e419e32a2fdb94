package pipeline

import (
	"bytes"
	"slices"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
)

// A request's predicates: the fields it filters, sorts, groups or
// searches by (crm.Predicate), wherever it states them. The URL's and the
// call's own structure (HubSpot search, GraphQL, parameterized search)
// are read by Process; a query met as a value anywhere in the body (a
// Bulk job's, a SOAP call's queryString, a composite subrequest's URL) by
// the walks, through noteQuery. Each predicate reaches the policy with
// the categories its field may hold, never with a value.

// noteQuery reads a request body's string value that states a query:
// SOQL, SOSL, or a Salesforce REST URL carrying one.
func (m *Message) noteQuery(v []byte) {
	if m.Direction != DirRequest || m.predErr != nil || len(v) < 6 {
		return
	}
	switch {
	case crm.LooksLikeQuery(v):
		m.preds, m.predErr = crm.QueryPredicates(m.preds, string(v))
	case bytes.HasPrefix(v, servicesData) || v[0] == 'v' && bytes.IndexByte(v, '/') > 0:
		// A composite subrequest's URL, or a composite batch's relative
		// one (v62.0/query?q=…): EmbeddedURLPredicates tells.
		m.preds, _, m.predErr = crm.EmbeddedURLPredicates(m.preds, string(v))
	}
}

var servicesData = []byte("/services/data/")

// partPredicates makes a multipart part's predicates the message's: those
// its walk met (in sub), and a part that is a query as a whole (a text or
// CSV part holding SOQL).
func (m *Message) partPredicates(sub *Message, text []byte) {
	if m.Direction != DirRequest || m.predErr != nil {
		return
	}
	if sub.predErr != nil {
		m.predErr = sub.predErr
		return
	}
	m.preds = append(m.preds, sub.preds...)
	if len(m.preds) > crm.MaxPredicates {
		m.predErr = crm.ErrTooManyPredicates
		return
	}
	m.noteQuery(text)
}

// requestPredicates adds the predicates Process reads itself to those the
// walk met: the URL's, a whole body that is a query (a Bulk API 1.0 query
// batch), and those a JSON body's call states in its own structure.
func (m *Message) requestPredicates() error {
	if m.Direction != DirRequest || m.predErr != nil {
		return m.predErr
	}
	var err error
	dialect := m.Route.Dialect
	if m.URL != nil {
		q := m.Query
		if q == nil {
			q = m.URL.Query()
		}
		if m.preds, err = crm.URLPredicates(m.preds, dialect, m.Method, m.Path, q); err != nil {
			return err
		}
	}
	if len(m.Body) == 0 {
		return nil
	}
	if crm.LooksLikeQuery(m.Body) {
		if m.preds, err = crm.QueryPredicates(m.preds, string(m.Body)); err != nil {
			return err
		}
	}
	if m.Info.Format == FormatJSON || m.Format == FormatJSON || m.Format == "" {
		m.preds, err = crm.BodyPredicates(m.preds, dialect, m.Method, m.Path, m.Body)
	}
	return err
}

// searchGroups are the categories a full-text search's group reaches
// beyond what its term shows: SOSL's IN … FIELDS, HubSpot's free-text
// query (first and last name, e-mail, phone, company and domain).
var searchGroups = map[string][]string{
	"ALL FIELDS":     {detectors.CategoryPersonName, detectors.CategoryEmail, detectors.CategoryPhone},
	"SIDEBAR FIELDS": {detectors.CategoryPersonName, detectors.CategoryEmail, detectors.CategoryPhone},
	"NAME FIELDS":    {detectors.CategoryPersonName},
	"EMAIL FIELDS":   {detectors.CategoryEmail},
	"PHONE FIELDS":   {detectors.CategoryPhone},
	"query":          {detectors.CategoryPersonName, detectors.CategoryEmail, detectors.CategoryPhone},
}

// predicates turns the request's predicates into the policy's: each with
// the categories its field may hold (the name's hint, those traffic has
// shown it to hold (Options.Learned), the search group's, those the
// detectors find in the values compared with it), one entry per
// distinct predicate, and none for a field that holds no category.
func (p *Pipeline) predicates(m *Message) []policy.Predicate {
	var (
		out     []policy.Predicate
		scratch []detectors.Finding
		seen    = map[string]bool{}
		key     []byte
	)
	for i := range m.preds {
		pr := &m.preds[i]
		f := detectors.ClassifyFieldOf(pr.Object, pr.Field)
		var cats []string
		add := func(c string) {
			if c != "" && !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
		add(f.Hint)
		if p.learned != nil {
			for _, c := range p.learned.Categories(m.Route.Name, pr.Field) {
				add(c)
			}
		}
		if pr.Clause == crm.ClauseSearch {
			for _, c := range searchGroups[pr.Field] {
				add(c)
			}
		}
		for _, v := range pr.Values {
			scratch = p.scanner.Scan(scratch[:0], []byte(v), f)
			for _, fd := range scratch {
				add(fd.Category)
			}
		}
		if len(cats) == 0 {
			continue
		}
		slices.Sort(cats)
		key = append(key[:0], pr.Object...)
		for _, s := range append([]string{pr.Field, pr.Clause, pr.Op}, cats...) {
			key = append(append(key, 0), s...)
		}
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		out = append(out, policy.Predicate{Object: pr.Object, Field: pr.Field, Clause: pr.Clause, Op: pr.Op, Categories: cats})
	}
	return out
}
