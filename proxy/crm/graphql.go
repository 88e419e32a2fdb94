package crm

import (
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"strconv"
	"strings"
)

// nodeKind is the kind of a node: a JSON value or a GraphQL input value.
type nodeKind uint8

const (
	nNull   nodeKind = iota
	nScalar          // a string, number or boolean: text is its value
	nObject
	nArray
	nVar  // a GraphQL variable: text is its name
	nEnum // a GraphQL enum value: text is its name
)

// node is a JSON value or a GraphQL input value. An object keeps every
// member in order, a repeated name included: a call's reader may take any
// of them, so the predicates are read from all.
type node struct {
	kind nodeKind
	text string
	keys []string
	vals []*node
}

// members yields the values of n's members named name in any case.
func (n *node) members(name string) iter.Seq[*node] {
	return func(yield func(*node) bool) {
		if n.kind != nObject {
			return
		}
		for i, k := range n.keys {
			if strings.EqualFold(k, name) && !yield(n.vals[i]) {
				return
			}
		}
	}
}

// elements yields the elements of an array, or n itself when it is not
// one.
func (n *node) elements() iter.Seq[*node] {
	return func(yield func(*node) bool) {
		if n.kind != nArray {
			yield(n)
			return
		}
		for _, v := range n.vals {
			if !yield(v) {
				return
			}
		}
	}
}

// scalars appends the scalars in n (n itself, or those nested in it).
func (n *node) scalars(dst []string, depth int) []string {
	switch n.kind {
	case nScalar:
		dst = append(dst, n.text)
	case nObject, nArray:
		if depth > maxDepth {
			return dst
		}
		for _, v := range n.vals {
			dst = v.scalars(dst, depth+1)
		}
	}
	return dst
}

// size is the number of nodes in n.
func (n *node) size(depth int) int {
	s := 1
	if depth <= maxDepth {
		for _, v := range n.vals {
			s += v.size(depth + 1)
		}
	}
	return s
}

// parseJSON reads one JSON value, nested no deeper than maxDepth.
func parseJSON(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, ErrQuerySyntax
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrQuerySyntax
	}
	return n, nil
}

func decodeNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, ErrQuerySyntax
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := t.(type) {
	case json.Delim:
		n := &node{kind: nObject}
		switch v {
		case '{':
		case '[':
			n.kind = nArray
		default:
			return nil, ErrQuerySyntax
		}
		for dec.More() {
			if n.kind == nObject {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := k.(string)
				if !ok {
					return nil, ErrQuerySyntax
				}
				n.keys = append(n.keys, key)
			}
			e, err := decodeNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, e)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &node{kind: nScalar, text: v}, nil
	case json.Number:
		return &node{kind: nScalar, text: string(v)}, nil
	case bool:
		return &node{kind: nScalar, text: strconv.FormatBool(v)}, nil
	}
	return &node{kind: nNull}, nil
}

// graphQLBody reads a Salesforce GraphQL request: {"query": document,
// "variables": {…}} (or an array of them).
func graphQLBody(dst []Predicate, root *node) ([]Predicate, error) {
	for req := range root.elements() {
		var vars []*node
		for v := range req.members("variables") {
			if v.kind == nScalar {
				// Variables sent as a JSON text.
				if parsed, err := parseJSON([]byte(v.text)); err == nil {
					v = parsed
				}
			}
			vars = append(vars, v)
		}
		for q := range req.members("query") {
			if q.kind != nScalar {
				continue
			}
			var err error
			if dst, err = graphQLPredicates(dst, q.text, vars); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// GraphQL tokens.
type gqlKind uint8

const (
	gPunct  gqlKind = iota // ! $ & ( ) ... : = @ [ ] { } |
	gName                  // a name
	gString                // a string or block string: text is its value
	gNumber                // an int or float
)

type gqlToken struct {
	kind gqlKind
	text string
}

func (t gqlToken) is(p string) bool { return t.kind == gPunct && t.text == p }

// gqlTokenize splits a GraphQL document into tokens, checking that its
// brackets balance.
func gqlTokenize(doc string) ([]gqlToken, error) {
	toks := make([]gqlToken, 0, len(doc)/8+1)
	var open []byte
	for i := 0; i < len(doc); {
		c := doc[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == 0xEF && strings.HasPrefix(doc[i:], "\uFEFF"):
			i += 3
		case c == '#':
			for i < len(doc) && doc[i] != '\n' && doc[i] != '\r' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(doc) && (isIdentStart(doc[j]) || isDigit(doc[j])) {
				j++
			}
			toks = append(toks, gqlToken{gName, doc[i:j]})
			i = j
		case isDigit(c) || c == '-':
			j := i + 1
			if c == '-' && (j >= len(doc) || !isDigit(doc[j])) {
				return nil, ErrQuerySyntax
			}
			for j < len(doc) && (isDigit(doc[j]) || doc[j] == '.' || doc[j] == 'e' || doc[j] == 'E' ||
				(doc[j] == '+' || doc[j] == '-') && (doc[j-1] == 'e' || doc[j-1] == 'E')) {
				j++
			}
			toks = append(toks, gqlToken{gNumber, doc[i:j]})
			i = j
		case c == '"':
			s, n, err := gqlString(doc[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, gqlToken{gString, s})
			i += n
		case c == '.':
			if !strings.HasPrefix(doc[i:], "...") {
				return nil, ErrQuerySyntax
			}
			toks = append(toks, gqlToken{gPunct, "..."})
			i += 3
		case strings.IndexByte("!$&():=@[]{}|", c) >= 0:
			switch c {
			case '(', '[', '{':
				open = append(open, c)
			case ')', ']', '}':
				if len(open) == 0 || open[len(open)-1] != opening(c) {
					return nil, ErrQuerySyntax
				}
				open = open[:len(open)-1]
			}
			toks = append(toks, gqlToken{gPunct, doc[i : i+1]})
			i++
		default:
			return nil, ErrQuerySyntax
		}
	}
	if len(open) > 0 {
		return nil, ErrQuerySyntax
	}
	return toks, nil
}

// gqlString reads the string or block string s starts with: its value
// and its length in s.
func gqlString(s string) (string, int, error) {
	if strings.HasPrefix(s, `"""`) {
		for i := 3; i+3 <= len(s); i++ {
			if s[i] == '\\' && strings.HasPrefix(s[i+1:], `"""`) {
				i += 3
				continue
			}
			if strings.HasPrefix(s[i:], `"""`) {
				return strings.ReplaceAll(s[3:i], `\"""`, `"""`), i + 3, nil
			}
		}
		return "", 0, ErrQuerySyntax
	}
	esc := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			esc = true
			i++
		case '\n', '\r':
			return "", 0, ErrQuerySyntax
		case '"':
			if !esc {
				return s[1:i], i + 1, nil
			}
			v, ok := gqlUnescape(s[1:i])
			if !ok {
				return "", 0, ErrQuerySyntax
			}
			return v, i + 1, nil
		}
	}
	return "", 0, ErrQuerySyntax
}

func gqlUnescape(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i >= len(s) {
			return "", false
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(s) {
				return "", false
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return b.String(), true
}

// opening is the bracket a closing bracket closes.
func opening(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// gqlValue reads the input value at toks[i]: the value and the index
// after it. A default value (constant) may not hold a variable.
func gqlValue(toks []gqlToken, i, depth int, constant bool) (*node, int, error) {
	if depth > maxDepth || i >= len(toks) {
		return nil, 0, ErrQuerySyntax
	}
	t := toks[i]
	switch t.kind {
	case gString, gNumber:
		return &node{kind: nScalar, text: t.text}, i + 1, nil
	case gName:
		switch t.text {
		case "true", "false":
			return &node{kind: nScalar, text: t.text}, i + 1, nil
		case "null":
			return &node{kind: nNull}, i + 1, nil
		}
		return &node{kind: nEnum, text: t.text}, i + 1, nil
	}
	switch t.text {
	case "$":
		if constant || i+1 >= len(toks) || toks[i+1].kind != gName {
			return nil, 0, ErrQuerySyntax
		}
		return &node{kind: nVar, text: toks[i+1].text}, i + 2, nil
	case "[":
		n := &node{kind: nArray}
		for i++; !toks[i].is("]"); {
			e, next, err := gqlValue(toks, i, depth+1, constant)
			if err == nil && next >= len(toks) {
				err = ErrQuerySyntax
			}
			if err != nil {
				return nil, 0, err
			}
			n.vals = append(n.vals, e)
			i = next
		}
		return n, i + 1, nil
	case "{":
		n := &node{kind: nObject}
		for i++; !toks[i].is("}"); {
			if toks[i].kind != gName || i+1 >= len(toks) || !toks[i+1].is(":") {
				return nil, 0, ErrQuerySyntax
			}
			e, next, err := gqlValue(toks, i+2, depth+1, constant)
			if err == nil && next >= len(toks) {
				err = ErrQuerySyntax
			}
			if err != nil {
				return nil, 0, err
			}
			n.keys = append(n.keys, toks[i].text)
			n.vals = append(n.vals, e)
			i = next
		}
		return n, i + 1, nil
	}
	return nil, 0, ErrQuerySyntax
}

// gqlWalker turns where, orderBy and groupBy arguments into predicates.
type gqlWalker struct {
	dst      []Predicate
	steps    int // nodes visited: a variable may be used many times
	limit    int
	vars     []*node            // the request's variables objects
	defaults map[string][]*node // variables' default values by name
}

// graphQLPredicates appends the predicates of a GraphQL document whose
// variables are vars: every where, orderBy and groupBy argument, on the
// object (field) the argument belongs to.
func graphQLPredicates(dst []Predicate, doc string, vars []*node) ([]Predicate, error) {
	toks, err := gqlTokenize(doc)
	if err != nil {
		return dst, err
	}
	w := gqlWalker{dst: dst, vars: vars, limit: 4*len(toks) + 1024}
	for _, v := range vars {
		w.limit += 4 * v.size(0)
	}
	// Variables' default values: ($w: Contact_Filter = {…}).
	for i := 0; i+3 < len(toks); i++ {
		if !toks[i].is("$") || toks[i+1].kind != gName || !toks[i+2].is(":") {
			continue
		}
		j := i + 3
		for j < len(toks) && (toks[j].kind == gName || toks[j].is("[") || toks[j].is("]") || toks[j].is("!")) {
			j++
		}
		if j < len(toks) && toks[j].is("=") {
			v, _, err := gqlValue(toks, j+1, 0, true)
			if err != nil {
				return w.dst, err
			}
			if w.defaults == nil {
				w.defaults = map[string][]*node{}
			}
			w.defaults[toks[i+1].text] = append(w.defaults[toks[i+1].text], v)
		}
	}
	type frame struct {
		paren  bool
		object string
	}
	var stack []frame
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.is("(") || t.is("[") || t.is("{"):
			f := frame{paren: t.text == "("}
			if f.paren && i > 0 && toks[i-1].kind == gName {
				f.object = toks[i-1].text
			}
			stack = append(stack, f)
		case t.is(")") || t.is("]") || t.is("}"):
			stack = stack[:len(stack)-1] // balanced: gqlTokenize checked
		case t.kind == gName && len(stack) > 0 && stack[len(stack)-1].paren && i+1 < len(toks) && toks[i+1].is(":") &&
			(i == 0 || !toks[i-1].is("$")):
			var walk func(n *node, object string, depth int) error
			switch t.text {
			case "where":
				walk = w.filter
			case "orderBy":
				walk = func(n *node, object string, depth int) error {
					return w.keys(n, object, ClauseOrderBy, PredSort, depth)
				}
			case "groupBy":
				walk = func(n *node, object string, depth int) error {
					return w.keys(n, object, ClauseGroupBy, PredGroup, depth)
				}
			default:
				continue
			}
			v, next, err := gqlValue(toks, i+2, 0, false)
			if err != nil {
				return w.dst, err
			}
			if err := walk(v, stack[len(stack)-1].object, 0); err != nil {
				return w.dst, err
			}
			i = next - 1
		}
	}
	return w.dst, nil
}

// graphQLFilter appends the predicates of a filter written on its own in
// GraphQL input syntax, as the UI API's list views take one in their
// where parameter ({and: [{StageName: {eq: "x"}}, {Account: {Name: {eq:
// "y"}}}]}), on object ("" when unknown). It is read as a where argument
// of a GraphQL query is. A text that is not one GraphQL input value, or
// that names a variable, is ErrQuerySyntax; a blank text has none.
func graphQLFilter(dst []Predicate, filter, object string) ([]Predicate, error) {
	toks, err := gqlTokenize(filter)
	if err != nil || len(toks) == 0 {
		return dst, err
	}
	v, next, err := gqlValue(toks, 0, 0, true)
	if err != nil {
		return dst, err
	}
	if next != len(toks) {
		return dst, ErrQuerySyntax
	}
	w := gqlWalker{dst: dst, limit: 4*len(toks) + 1024}
	err = w.filter(v, object, 0)
	return w.dst, err
}

// graphQLFilterNode appends the predicates of a where filter given as a
// JSON value rather than as a text: the same shape, read the same way.
func graphQLFilterNode(dst []Predicate, n *node, object string) ([]Predicate, error) {
	w := gqlWalker{dst: dst, limit: 4*n.size(0) + 1024}
	err := w.filter(n, object, 0)
	return w.dst, err
}

// resolve yields a node, or for a variable its values: the request's
// and its default values.
func (w *gqlWalker) resolve(n *node) iter.Seq[*node] {
	return func(yield func(*node) bool) {
		if n.kind != nVar {
			yield(n)
			return
		}
		for _, vars := range w.vars {
			for v := range vars.members(n.text) {
				if !yield(v) {
					return
				}
			}
		}
		for _, v := range w.defaults[n.text] {
			if !yield(v) {
				return
			}
		}
	}
}

// step counts a node visited and reports whether the walk is within its
// budget, which keeps the work linear in the request however often a
// variable is used.
func (w *gqlWalker) step() bool {
	w.steps++
	return w.steps <= w.limit
}

// add appends p, unless the work budget is spent.
func (w *gqlWalker) add(p Predicate) (err error) {
	if w.steps > w.limit {
		return ErrTooManyPredicates
	}
	w.dst, err = addPredicate(w.dst, p)
	return err
}

// each calls f for every node n stands for (a variable: its value), within
// the depth bound and the work budget.
func (w *gqlWalker) each(n *node, depth int, f func(n *node) error) error {
	if depth > 2*maxDepth {
		return ErrQuerySyntax
	}
	for n := range w.resolve(n) {
		if !w.step() {
			return ErrTooManyPredicates
		}
		if err := f(n); err != nil {
			return err
		}
	}
	return nil
}

// isOperatorKey reports whether a key of a field's filter is an operator
// rather than a field of a relationship: operators (eq, like, …) are
// lower case words; fields start upper case or are custom (__).
func isOperatorKey(k string) bool {
	return k != "" && 'a' <= k[0] && k[0] <= 'z' && !strings.Contains(k, "__")
}

func gqlOp(k string) string {
	switch k {
	case "eq", "in", "includes", "inq":
		return PredEq
	case "ne", "nin", "excludes", "ninq":
		return PredNe
	case "lt", "gt", "lte", "gte":
		return PredRange
	case "like":
		return PredLike
	}
	return PredOther
}

// filter reads a where filter on object: {and: […], or: […], not: {…},
// Field: {op: value}, Relationship: {Field: {op: value}}}.
func (w *gqlWalker) filter(n *node, object string, depth int) error {
	return w.each(n, depth, func(n *node) error {
		switch n.kind {
		case nArray:
			for _, e := range n.vals {
				if err := w.filter(e, object, depth+1); err != nil {
					return err
				}
			}
		case nObject:
			for i, k := range n.keys {
				var err error
				if k == "and" || k == "or" || k == "not" {
					err = w.filter(n.vals[i], object, depth+1)
				} else {
					err = w.field(k, n.vals[i], object, depth+1)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// field reads the filter of one field (or relationship) name of object.
func (w *gqlWalker) field(name string, n *node, object string, depth int) error {
	return w.each(n, depth, func(n *node) error {
		switch n.kind {
		case nObject:
			var rel *node
			for i, k := range n.keys {
				v := n.vals[i]
				if !isOperatorKey(k) || k == "and" || k == "or" || k == "not" {
					if rel == nil {
						rel = &node{kind: nObject}
					}
					rel.keys, rel.vals = append(rel.keys, k), append(rel.vals, v)
					continue
				}
				p := Predicate{Object: object, Field: name, Clause: ClauseWhere, Op: gqlOp(k)}
				isNull := false
				for r := range w.resolve(v) {
					isNull = isNull || r.kind == nNull
				}
				switch {
				case (k == "eq" || k == "ne") && isNull:
					p.Op = PredExists
				case k == "inq" || k == "ninq":
					// A semi-join: {inq: {Contact: {filter}, ApiName: "AccountId"}}.
					for r := range w.resolve(v) {
						if err := w.semiJoin(r, depth+1); err != nil {
							return err
						}
					}
				default:
					p.Values = w.values(v, nil, depth+1)
				}
				if err := w.add(p); err != nil {
					return err
				}
			}
			if rel != nil {
				if err := w.filter(rel, name, depth+1); err != nil {
					return err
				}
			}
		case nArray:
			for _, e := range n.vals {
				if err := w.field(name, e, object, depth+1); err != nil {
					return err
				}
			}
		default:
			return w.add(Predicate{Object: object, Field: name, Clause: ClauseWhere, Op: PredOther, Values: w.values(n, nil, depth+1)})
		}
		return nil
	})
}

func (w *gqlWalker) semiJoin(n *node, depth int) error {
	if n.kind != nObject {
		return nil
	}
	for i, k := range n.keys {
		if isOperatorKey(k) || n.vals[i].kind == nScalar {
			continue // ApiName and the like
		}
		if err := w.filter(n.vals[i], k, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// values appends the literals of an operator's value: strings, numbers
// and booleans, nested ones ({value: "2024-01-01"}, lists) included.
func (w *gqlWalker) values(n *node, dst []string, depth int) []string {
	if depth > 2*maxDepth {
		return dst
	}
	for n := range w.resolve(n) {
		if !w.step() {
			return dst
		}
		switch n.kind {
		case nScalar:
			dst = append(dst, n.text)
		case nObject, nArray:
			for _, v := range n.vals {
				dst = w.values(v, dst, depth+1)
			}
		}
	}
	return dst
}

// keys reads an orderBy or groupBy argument: {Name: {order: ASC},
// Account: {Name: {order: DESC}}}. A field's own settings are lower case
// keys (order, nulls, group, function); others are a relationship's fields.
func (w *gqlWalker) keys(n *node, object, clause, op string, depth int) error {
	if depth > 2*maxDepth {
		return ErrQuerySyntax
	}
	for n := range w.resolve(n) {
		switch n.kind {
		case nArray:
			for _, e := range n.vals {
				if err := w.keys(e, object, clause, op, depth+1); err != nil {
					return err
				}
			}
		case nObject:
			for i, k := range n.keys {
				if isOperatorKey(k) {
					continue // a setting of the field above
				}
				if !w.step() {
					return ErrTooManyPredicates
				}
				settings, nested := false, false
				for v := range w.resolve(n.vals[i]) {
					if v.kind != nObject {
						settings = true
						continue
					}
					for _, vk := range v.keys {
						if isOperatorKey(vk) {
							settings = true
						} else {
							nested = true
						}
					}
				}
				if settings {
					if err := w.add(Predicate{Object: object, Field: k, Clause: clause, Op: op}); err != nil {
						return err
					}
				}
				if nested {
					if err := w.keys(n.vals[i], k, clause, op, depth+1); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
