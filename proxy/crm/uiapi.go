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
//
// A list view's saved filter and order are predicates too: its members
// are the records the filter matches, in the saved order, so a list
// filtered by a field the caller may not read in clear, once made, tells
// that field's value to whoever reads the list, with no where at all.
// They are written by creating a list view (POST
// list-info/{objectApiName}), changing one (PATCH
// list-info/{objectApiName}/{listViewApiName}), setting its order
// preference (PATCH list-preferences/{objectApiName}/{listViewApiName})
// and a related list's (PATCH
// related-list-info/{parentObjectApiName}/{relatedListId}, PATCH
// related-list-preferences/{preferencesId}).

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
		o, f := fieldRef(object, key)
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

// fieldRef splits a field API name met on object into its object and
// field: a relationship path's field is its last relationship's, as in
// SOQL (Owner.Alias → Owner, Alias; Account.Owner.Email → Owner, Email).
func fieldRef(object, name string) (o, f string) {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return object, name
	}
	path := name[:dot]
	return path[strings.LastIndexByte(path, '.')+1:], name[dot+1:]
}

// uiAPISavedList reports whether a request (its method and the URL's
// decoded path) writes a UI API list view's saved filter or order, and
// the object of the list's records when the path names it:
// list-info/{objectApiName} and list-info/{objectApiName}/{listViewApiName}
// (a list view made or changed) and
// list-preferences/{objectApiName}/{listViewApiName} (its order
// preference) do, in the canonical case;
// related-list-info/{parentObjectApiName}/{relatedListId} and
// related-list-preferences/{preferencesId} do too, and their object is
// "", a related list being named by its relationship. POST, PATCH and
// PUT all count, whatever the CRM documents for the resource: a POST
// with _HttpMethod=PATCH changes a list view as a PATCH does, and reading
// a body the CRM will refuse costs nothing.
func uiAPISavedList(method, path string) (object string, ok bool) {
	if !strings.Contains(path, "/ui-api/") {
		return "", false
	}
	switch {
	case strings.EqualFold(method, "POST"), strings.EqualFold(method, "PATCH"), strings.EqualFold(method, "PUT"):
	default:
		return "", false
	}
	seg := salesforceResource(path)
	if len(seg) < 3 || seg[0] != "ui-api" {
		return "", false
	}
	switch {
	case seg[1] == "list-info" && (len(seg) == 3 || len(seg) == 4),
		seg[1] == "list-preferences" && len(seg) == 4:
		return salesforceObject(seg[2]), true
	case seg[1] == "related-list-info" && len(seg) == 4,
		seg[1] == "related-list-preferences" && len(seg) == 3:
		return "", true
	}
	return "", false
}

// savedListBody appends the predicates of a list view's saved filter and
// order, on object: each filteredByInfo[] entry ({fieldApiName,
// operandLabels, operator}) filters by its field, compared with its
// operand labels; each orderedBy[] and orderedByInfo[] entry
// ({fieldApiName, isAscending}) sorts by its field. Both order members
// are read on every route (the preferences document orderedBy,
// related-list-info orderedByInfo, list-info's input neither), since the
// reader might take either. filterLogicString only combines the filters
// by their positions, and displayColumns, label, scope, visibility and
// listShares choose what is shown and to whom, not by which field's
// value: none of them is a predicate.
func savedListBody(dst []Predicate, root *node, object string) (_ []Predicate, err error) {
	for filters := range root.members("filteredByInfo") {
		for f := range filters.elements() {
			op := PredOther
			for o := range f.members("operator") {
				if o.kind == nScalar {
					op = filterOp(o.text)
				}
			}
			var values []string
			for v := range f.members("operandLabels") {
				values = v.scalars(values, 0)
			}
			for name := range f.members("fieldApiName") {
				if name.kind != nScalar {
					continue
				}
				o, field := fieldRef(object, strings.TrimSpace(name.text))
				if field == "" {
					continue
				}
				if dst, err = addPredicate(dst, Predicate{Object: o, Field: field, Clause: ClauseWhere, Op: op, Values: values}); err != nil {
					return dst, err
				}
			}
		}
	}
	for _, member := range [...]string{"orderedBy", "orderedByInfo"} {
		for orders := range root.members(member) {
			for s := range orders.elements() {
				for name := range s.members("fieldApiName") {
					if name.kind != nScalar {
						continue
					}
					o, field := fieldRef(object, strings.TrimSpace(name.text))
					if field == "" {
						continue
					}
					if dst, err = addPredicate(dst, Predicate{Object: o, Field: field, Clause: ClauseOrderBy, Op: PredSort}); err != nil {
						return dst, err
					}
				}
			}
		}
	}
	return dst, nil
}
