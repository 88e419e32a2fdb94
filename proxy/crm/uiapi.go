package crm

import (
	"net/url"
	"strings"
)

// The Salesforce UI API's list views return the records of a list, which
// the caller may narrow, order and search: a list filtered by a field the
// caller may not read in clear tells that field's value by yes and no, as
// a query does. Their predicates are where (a filter in GraphQL input
// syntax, read as a GraphQL query's where argument), sortBy (field API
// names, '-' before one sorting it descending) and searchTerm (a
// full-text search over the list), given as URL parameters or in a POST
// body (where a string, sortBy an array of strings); a batch of related
// lists gives them for each list in its body's relatedListParameters[].

// uiAPIList reports whether seg (a Salesforce REST resource, split) reads
// the records of a UI API list view, and the object they are of when the
// path names it: list-records/{objectApiName}/{listViewApiName} and
// mru-list-records/{objectApiName} (and the older list-ui and
// mru-list-ui) do, in the canonical case; list-records/{listViewId} and a
// related list (related-list-records/{parentRecordId}/{relatedListId},
// related-list-records/batch/{parentRecordId}/{relatedListIds}) do not,
// and their object is "": a related list is named by its relationship,
// not by its object.
func uiAPIList(seg []string) (object string, ok bool) {
	if len(seg) < 3 || seg[0] != "ui-api" {
		return "", false
	}
	switch seg[1] {
	case "list-records", "list-ui":
		if len(seg) == 4 {
			return salesforceObject(seg[2]), true
		}
		return "", true
	case "mru-list-records", "mru-list-ui":
		if len(seg) == 3 {
			return salesforceObject(seg[2]), true
		}
		return "", true
	case "related-list-records":
		return "", true
	}
	return "", false
}

// uiAPIListURL appends the predicates of a list view's URL parameters
// where, sortBy and searchTerm (their names in any case, as a body's
// members are read), on object.
func uiAPIListURL(dst []Predicate, object string, query url.Values) (_ []Predicate, err error) {
	for _, name := range [...]string{"where", "sortBy", "searchTerm"} {
		for k, vs := range query {
			if !strings.EqualFold(k, name) {
				continue
			}
			for _, v := range vs {
				switch name {
				case "where":
					dst, err = graphQLFilter(dst, v, object)
				case "sortBy":
					dst, err = sortKeys(dst, v, object)
				default:
					dst, err = listSearch(dst, v, object)
				}
				if err != nil {
					return dst, err
				}
			}
		}
	}
	return dst, nil
}

// uiAPIListBody appends the predicates of a list view's POST body: its
// own where, sortBy and searchTerm, on object, and those of each of its
// relatedListParameters[] (a batch of related lists), on an unknown
// object.
func uiAPIListBody(dst []Predicate, root *node, object string) (_ []Predicate, err error) {
	if dst, err = uiAPIListParams(dst, root, object); err != nil {
		return dst, err
	}
	for params := range root.members("relatedListParameters") {
		for p := range params.elements() {
			if dst, err = uiAPIListParams(dst, p, ""); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// uiAPIListParams reads one list's where (a string holding the filter;
// a filter sent as a JSON object instead is read as one too, since the
// reader might take it), sortBy and searchTerm.
func uiAPIListParams(dst []Predicate, n *node, object string) (_ []Predicate, err error) {
	for w := range n.members("where") {
		switch w.kind {
		case nScalar:
			dst, err = graphQLFilter(dst, w.text, object)
		case nObject, nArray:
			dst, err = graphQLFilterNode(dst, w, object)
		}
		if err != nil {
			return dst, err
		}
	}
	for s := range n.members("sortBy") {
		for _, v := range s.scalars(nil, 0) {
			if dst, err = sortKeys(dst, v, object); err != nil {
				return dst, err
			}
		}
	}
	for t := range n.members("searchTerm") {
		for _, v := range t.scalars(nil, 0) {
			if dst, err = listSearch(dst, v, object); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// sortKeys appends a sort predicate for each field of a sortBy value:
// field API names separated by commas (or semicolons, and after a colon,
// as a batch of related lists may give one list's after its
// relatedListId), a leading '-' sorting descending. A relationship
// path's field is its relationship's, as in SOQL (Owner.Alias → Owner).
func sortKeys(dst []Predicate, s, object string) (_ []Predicate, err error) {
	for s != "" {
		key := s
		if i := strings.IndexAny(s, ",;"); i >= 0 {
			key, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		key = key[strings.LastIndexByte(key, ':')+1:]
		key = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(key), "+-"))
		o, f := object, key
		if dot := strings.LastIndexByte(key, '.'); dot >= 0 {
			path := key[:dot]
			o, f = path[strings.LastIndexByte(path, '.')+1:], key[dot+1:]
		}
		if f == "" {
			continue
		}
		if dst, err = addPredicate(dst, Predicate{Object: o, Field: f, Clause: ClauseOrderBy, Op: PredSort}); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// listSearch appends a list view's searchTerm: a full-text search over
// the list's fields, which may be any of them ("ALL FIELDS", as SOSL's
// and a parameterized search's default); a blank term searches nothing.
func listSearch(dst []Predicate, term, object string) ([]Predicate, error) {
	if strings.TrimSpace(term) == "" {
		return dst, nil
	}
	return addPredicate(dst, Predicate{Object: object, Field: "ALL FIELDS", Clause: ClauseSearch, Op: PredSearch, Values: []string{term}})
}
