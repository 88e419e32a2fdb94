package crm

import (
	"bytes"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Predicate is one field a request filters, sorts, groups or searches by.
// Values hold literals of the request: they are for the detectors, never
// for the policy or a log.
type Predicate struct {
	// Object is the object whose field it is when known: the query's FROM
	// object (or SOSL RETURNING object), or for a relationship path the
	// relationship before the field (Contact.Email → Contact); "" when
	// unknown.
	Object string
	// Field is the field's API name without its relationship path; for a
	// full-text search its search group ("ALL FIELDS", "NAME FIELDS", …),
	// and for HubSpot's free-text search term "query".
	Field string
	// Clause is where the request names the field (ClauseWhere, …).
	Clause string
	// Op is how the field is compared (PredEq, …).
	Op string
	// Values are the literals compared with the field, unescaped, in
	// order: SOQL's strings and numbers (TRUE, FALSE, date literals such
	// as TODAY and binds have none), JSON's and GraphQL's strings, numbers
	// and booleans. They are nil when there are none (sorts, groups,
	// exists).
	Values []string
}

// Clauses of a Predicate: where a request names the field.
const (
	ClauseWhere   = "where"    // a SOQL WHERE, a GraphQL where argument
	ClauseHaving  = "having"   // a SOQL HAVING
	ClauseOrderBy = "order_by" // a SOQL ORDER BY, a GraphQL orderBy argument
	ClauseGroupBy = "group_by" // a SOQL GROUP BY, a GraphQL groupBy argument
	ClauseSearch  = "search"   // a full-text search (SOSL FIND, parameterized search, HubSpot query)
	ClauseFilter  = "filter"   // a HubSpot search's filterGroups[].filters[] or filters[]
	ClauseSort    = "sort"     // a HubSpot search's sorts[]
	ClauseLookup  = "lookup"   // a record read or written by an external id or idProperty
)

// Operators of a Predicate: how the field is compared.
const (
	PredEq     = "eq"     // =, IN, INCLUDES, HubSpot EQ and IN, lookups
	PredNe     = "ne"     // !=, <>, NOT IN, EXCLUDES, HubSpot NEQ, NOT_IN, NOT_CONTAINS_TOKEN
	PredRange  = "range"  // <, >, <=, >=, HubSpot LT, LTE, GT, GTE, BETWEEN
	PredLike   = "like"   // LIKE, HubSpot CONTAINS_TOKEN
	PredExists = "exists" // = null, != null, HubSpot HAS_PROPERTY, NOT_HAS_PROPERTY
	PredSort   = "sort"   // a sort key
	PredGroup  = "group"  // a grouping key
	PredSearch = "search" // a full-text search
	PredOther  = "other"  // a field inside a function, or compared in another way
)

// MaxPredicates bounds the predicates of one message (all calls together
// append to one dst): past it a call returns ErrTooManyPredicates.
const MaxPredicates = 512

// ErrQuerySyntax is returned for a query or body whose predicates cannot be
// read: an unterminated literal or brace, unbalanced parentheses, a GraphQL
// document that does not tokenize, a UI API list view's where that is not
// one GraphQL input value, nesting deeper than 64 levels, or a body that is
// not the JSON its call expects.
var ErrQuerySyntax = errors.New("crm: malformed query")

// ErrTooManyPredicates is returned when a message names more than
// MaxPredicates predicates.
var ErrTooManyPredicates = errors.New("crm: too many predicates")

// maxDepth bounds the nesting of GraphQL values and JSON bodies.
const maxDepth = 64

// addPredicate appends p to dst unless dst is full.
func addPredicate(dst []Predicate, p Predicate) ([]Predicate, error) {
	if len(dst) >= MaxPredicates {
		return dst, ErrTooManyPredicates
	}
	return append(dst, p), nil
}

// LooksLikeQuery reports whether v (a string value met anywhere in a
// request body) is SOQL or SOSL: after leading white space, SELECT (any
// case) followed by white space with FROM (any case, as a word) later; or
// FIND (any case) followed by optional white space and a brace or a
// single quote. It does not allocate.
func LooksLikeQuery(v []byte) bool { return looksLikeQuery(v) }

func looksLikeQuery[T string | []byte](v T) bool {
	i := 0
	for i < len(v) && isSpace(v[i]) {
		i++
	}
	switch {
	case hasFoldPrefix(v, i, "select") && i+6 < len(v) && isSpace(v[i+6]):
		for j := i + 6; j+4 <= len(v); j++ {
			if hasFoldPrefix(v, j, "from") && !isIdentChar(v[j-1]) && (j+4 == len(v) || !isIdentChar(v[j+4])) {
				return true
			}
		}
	case hasFoldPrefix(v, i, "find"):
		for j := i + 4; j < len(v); j++ {
			if v[j] == '{' || v[j] == '\'' {
				return true
			}
			if !isSpace(v[j]) {
				return false
			}
		}
	}
	return false
}

// hasFoldPrefix reports whether v[i:] starts with the lower-case ASCII
// word w in any case.
func hasFoldPrefix[T string | []byte](v T, i int, w string) bool {
	if len(v)-i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		c := v[i+k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[k] {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// word reports whether the identifier id is the keyword k, in any case.
// Both are ASCII (the lexers' identifiers are letters, digits, '_' and
// '.'), so a word of another length is another word: answered before
// EqualFold reads a byte, as most identifiers are field names.
func word(id, k string) bool { return len(id) == len(k) && strings.EqualFold(id, k) }

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool { return identChars[c] }

// identChars are the bytes of an identifier after its first: letters,
// digits, '_' and '.' (Account.Phone).
var identChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isIdentStart(byte(c)) || '0' <= c && c <= '9' || c == '.'
	}
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// QueryPredicates appends the predicates of a SOQL or SOSL text to dst.
// With an error, dst may hold part of them.
func QueryPredicates(dst []Predicate, q string) ([]Predicate, error) {
	p := soqlParser{lx: lexer{s: q}, dst: dst}
	top := level{}
	if t := p.peek(); t.kind == tkIdent && word(t.text, "FIND") {
		p.lx.pos = p.peekEnd
		top.sosl, top.clause = true, clOther
		if err := p.find(); err != nil {
			return p.dst, err
		}
	}
	p.levels = append(p.levelBuf[:0], top)
	err := p.run()
	return p.dst, err
}

// clausePredicates appends the predicates of the body of one SOQL clause
// (a parameterized search's where or orderBy) on object.
func clausePredicates(dst []Predicate, body, object string, c clause) ([]Predicate, error) {
	p := soqlParser{lx: lexer{s: body}, dst: dst}
	p.levels = append(p.levelBuf[:0], level{object: object, clause: c})
	err := p.run()
	return p.dst, err
}

// Tokens of SOQL and SOSL.
type tokKind uint8

const (
	tkEOF    tokKind = iota
	tkIdent          // letters, digits, '_' and '.'
	tkString         // '…'
	tkBrace          // {…}
	tkNumber         // a number or a date or datetime literal
	tkOp             // = != <> < > <= >=
	tkLParen
	tkRParen
	tkComma
	tkBind // :name or the :n of LAST_N_DAYS:n
	tkOther
)

type token struct {
	kind tokKind
	text string // as written, quotes and braces included
}

type lexer struct {
	s   string
	pos int
}

func (l *lexer) next() (token, error) {
	s, i := l.s, l.pos
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) {
		l.pos = i
		return token{kind: tkEOF}, nil
	}
	start, c := i, s[i]
	var k tokKind
	i++
	switch {
	case isIdentStart(c):
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		k = tkIdent
	case isDigit(c) || (c == '-' || c == '+') && i < len(s) && isDigit(s[i]):
		for i < len(s) && isNumberChar(s[i]) {
			i++
		}
		k = tkNumber
	case c == '\'' || c == '{':
		end := byte('\'')
		k = tkString
		if c == '{' {
			end, k = '}', tkBrace
		}
		for {
			if i >= len(s) {
				return token{}, ErrQuerySyntax
			}
			if s[i] == '\\' {
				i += 2
				continue
			}
			i++
			if s[i-1] == end {
				break
			}
		}
	case c == '=':
		k = tkOp
	case c == '!':
		k = tkOther
		if i < len(s) && s[i] == '=' {
			i++
			k = tkOp
		}
	case c == '<':
		k = tkOp
		if i < len(s) && (s[i] == '=' || s[i] == '>') {
			i++
		}
	case c == '>':
		k = tkOp
		if i < len(s) && s[i] == '=' {
			i++
		}
	case c == '(':
		k = tkLParen
	case c == ')':
		k = tkRParen
	case c == ',':
		k = tkComma
	case c == ':':
		k = tkOther
		for i < len(s) && isIdentChar(s[i]) {
			i++
			k = tkBind
		}
	default:
		k = tkOther
	}
	l.pos = i
	return token{kind: k, text: s[start:i]}, nil
}

func isNumberChar(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == ':' || c == '.' || c == '+' || c == '-'
}

// unescapeSOQL is the text of a string literal's inside: \n, \r, \t, \b
// and \f are control characters, any other escaped character stands for
// itself.
func unescapeSOQL(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			c = s[i]
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeSOSL is the text of a SOSL brace term's inside: an escaped
// character stands for itself.
func unescapeSOSL(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// literal is the value of a string or number token.
func literal(t token) string {
	switch t.kind {
	case tkString:
		return unescapeSOQL(t.text[1 : len(t.text)-1])
	case tkBrace:
		return unescapeSOSL(t.text[1 : len(t.text)-1])
	}
	return t.text
}

// Clauses of a query level.
type clause uint8

const (
	clNone clause = iota
	clSelect
	clFrom
	clWhere
	clHaving
	clOrderBy
	clGroupBy
	clOther     // LIMIT, OFFSET, WITH, FOR, USING, UPDATE, SOSL's FIND
	clReturning // SOSL's RETURNING list
)

var clauseNames = [...]string{clWhere: ClauseWhere, clHaving: ClauseHaving, clOrderBy: ClauseOrderBy, clGroupBy: ClauseGroupBy}

// FROM states: what the next identifier of a FROM clause is.
const (
	fromObject = iota // the object (or a further item's relationship path)
	fromAlias         // an alias of the item before
	fromDone
)

// maxAliases bounds the aliases one level remembers.
const maxAliases = 16

type alias struct{ name, object string }

// level is one SELECT: the query, a subquery, or a SOSL RETURNING object's
// field list.
type level struct {
	object    string
	clause    clause
	sosl      bool // SOSL's top level: RETURNING is a clause
	from      uint8
	fromItem  string // the FROM item an alias names
	aliases   []alias
	funcDepth int // open function calls
	funcStart int // index in dst of the outermost open call's first predicate
	retObject string
}

// Parenthesis frames.
const (
	frLevel = iota // a subquery or a RETURNING field list
	frFunc         // a function call's arguments
	frGroup        // anything else
)

type soqlParser struct {
	lx       lexer
	dst      []Predicate
	levels   []level
	frames   []uint8
	levelBuf [4]level
	peekEnd  int
}

// peek returns the next token without consuming it; p.peekEnd is where it
// ends. A token that does not lex peeks as EOF (next reports the error).
func (p *soqlParser) peek() token {
	save := p.lx.pos
	t, err := p.lx.next()
	p.peekEnd = p.lx.pos
	p.lx.pos = save
	if err != nil {
		return token{kind: tkEOF}
	}
	return t
}

func (p *soqlParser) peekWord(words ...string) bool {
	t := p.peek()
	if t.kind != tkIdent {
		return false
	}
	for _, w := range words {
		if word(t.text, w) {
			return true
		}
	}
	return false
}

func (p *soqlParser) add(pr Predicate) (err error) {
	p.dst, err = addPredicate(p.dst, pr)
	return err
}

// find reads SOSL's search term and field group after FIND.
func (p *soqlParser) find() error {
	var values []string
	if t := p.peek(); t.kind == tkBrace || t.kind == tkString {
		p.lx.pos = p.peekEnd
		values = []string{literal(t)}
	}
	group := "ALL FIELDS"
	if p.peekWord("IN") {
		save := p.lx.pos
		p.lx.pos = p.peekEnd
		if t := p.peek(); t.kind == tkIdent && searchGroup(t.text) != "" {
			p.lx.pos = p.peekEnd
			group = searchGroup(t.text)
			if p.peekWord("FIELDS") {
				p.lx.pos = p.peekEnd
			}
		} else {
			p.lx.pos = save
		}
	}
	return p.add(Predicate{Field: group, Clause: ClauseSearch, Op: PredSearch, Values: values})
}

// searchGroup names a SOSL search group (ALL, NAME, EMAIL, PHONE,
// SIDEBAR, in any case, with or without FIELDS); "" for another word.
func searchGroup(s string) string {
	if len(s) > 7 && strings.EqualFold(s[len(s)-7:], " FIELDS") {
		s = s[:len(s)-7]
	}
	for _, g := range [...]string{"ALL FIELDS", "NAME FIELDS", "EMAIL FIELDS", "PHONE FIELDS", "SIDEBAR FIELDS"} {
		if strings.EqualFold(s, g[:len(g)-7]) {
			return g
		}
	}
	return ""
}

func (p *soqlParser) run() error {
	for {
		t, err := p.lx.next()
		if err != nil {
			return err
		}
		L := &p.levels[len(p.levels)-1]
		switch t.kind {
		case tkEOF:
			if len(p.frames) > 0 {
				return ErrQuerySyntax
			}
			return nil
		case tkLParen:
			switch {
			case p.peekWord("SELECT"):
				p.frames = append(p.frames, frLevel)
				p.levels = append(p.levels, level{})
			case L.clause == clReturning && L.retObject != "":
				p.frames = append(p.frames, frLevel)
				p.levels = append(p.levels, level{object: L.retObject, clause: clSelect})
			default:
				p.frames = append(p.frames, frGroup)
			}
		case tkRParen:
			if err := p.closeParen(); err != nil {
				return err
			}
		case tkComma:
			if L.clause == clFrom {
				L.from = fromObject
			}
		case tkIdent:
			if err := p.ident(L, t.text); err != nil {
				return err
			}
		}
	}
}

func (p *soqlParser) closeParen() error {
	n := len(p.frames)
	if n == 0 {
		return ErrQuerySyntax
	}
	f := p.frames[n-1]
	p.frames = p.frames[:n-1]
	switch f {
	case frLevel:
		p.levels = p.levels[:len(p.levels)-1]
	case frFunc:
		L := &p.levels[len(p.levels)-1]
		L.funcDepth--
		if L.funcDepth == 0 && (L.clause == clWhere || L.clause == clHaving) && len(p.dst) > L.funcStart {
			// The fields of a function compared with values: CALENDAR_YEAR(Birthdate) = 1980.
			_, values, err := p.comparison()
			if err != nil {
				return err
			}
			if values != nil {
				values = values[:len(values):len(values)]
				for i := L.funcStart; i < len(p.dst); i++ {
					p.dst[i].Values = values
				}
			}
		}
	}
	return nil
}

// clauseKeyword switches L's clause when id starts one, and reports
// whether it did. Words that SOQL does not reserve start a clause only
// when the word after them says so.
func (p *soqlParser) clauseKeyword(L *level, id string) bool {
	var c clause
	switch {
	case word(id, "SELECT"):
		c = clSelect
	case word(id, "FROM"):
		c = clFrom
		L.from = fromObject
	case word(id, "WHERE"):
		c = clWhere
	case word(id, "HAVING"):
		c = clHaving
	case word(id, "ORDER"), word(id, "GROUP"):
		if !p.peekWord("BY") {
			return false
		}
		p.lx.pos = p.peekEnd
		c = clOrderBy
		if word(id, "GROUP") {
			c = clGroupBy
		}
	case word(id, "LIMIT"), word(id, "OFFSET"):
		if k := p.peek().kind; k != tkNumber && k != tkBind {
			return false
		}
		c = clOther
	case word(id, "WITH"):
		c = clOther
	case word(id, "FOR"):
		if !p.peekWord("VIEW", "REFERENCE", "UPDATE") {
			return false
		}
		c = clOther
	case word(id, "USING"):
		if !p.peekWord("SCOPE", "LISTVIEW") {
			return false
		}
		c = clOther
	case word(id, "UPDATE"):
		if !p.peekWord("TRACKING", "VIEWSTAT") {
			return false
		}
		c = clOther
	case word(id, "RETURNING"):
		if !L.sosl {
			return false
		}
		c = clReturning
	default:
		return false
	}
	L.clause = c
	return true
}

// predicateKeywords are the words of WHERE, HAVING, ORDER BY and GROUP BY
// that are no field.
var predicateKeywords = [...]string{"AND", "OR", "NOT", "LIKE", "IN", "INCLUDES", "EXCLUDES", "ASC", "DESC",
	"NULLS", "FIRST", "LAST", "NULL", "TRUE", "FALSE", "ROLLUP", "CUBE", "ABOVE", "BELOW", "AT", "ABOVE_OR_BELOW"}

func isPredicateKeyword(id string) bool {
	if len(id) > len("ABOVE_OR_BELOW") {
		return false
	}
	for _, k := range predicateKeywords {
		if word(id, k) {
			return true
		}
	}
	return false
}

func (p *soqlParser) ident(L *level, id string) error {
	if p.clauseKeyword(L, id) {
		return nil
	}
	switch L.clause {
	case clFrom:
		switch L.from {
		case fromObject:
			if L.fromItem == "" {
				L.object = id
			}
			L.fromItem = id[strings.LastIndexByte(id, '.')+1:]
			L.from = fromAlias
		case fromAlias:
			if len(L.aliases) < maxAliases {
				L.aliases = append(L.aliases, alias{id, L.fromItem})
			}
			L.from = fromDone
		}
	case clReturning:
		L.retObject = id
	case clWhere, clHaving, clOrderBy, clGroupBy:
		return p.field(L, id)
	}
	return nil
}

// field handles an identifier of a predicate clause.
func (p *soqlParser) field(L *level, id string) error {
	if isPredicateKeyword(id) {
		return nil
	}
	if p.peek().kind == tkLParen {
		// A function call: its fields are PredOther.
		p.lx.pos = p.peekEnd
		p.frames = append(p.frames, frFunc)
		if L.funcDepth == 0 {
			L.funcStart = len(p.dst)
		}
		L.funcDepth++
		return nil
	}
	pr := Predicate{Clause: clauseNames[L.clause]}
	pr.Object, pr.Field = L.resolve(id)
	switch {
	case L.funcDepth > 0:
		pr.Op = PredOther
	case L.clause == clOrderBy:
		pr.Op = PredSort
	case L.clause == clGroupBy:
		pr.Op = PredGroup
	default:
		var err error
		if pr.Op, pr.Values, err = p.comparison(); err != nil {
			return err
		}
	}
	return p.add(pr)
}

// resolve splits a field reference into its object and field.
func (L *level) resolve(id string) (object, field string) {
	dot := strings.LastIndexByte(id, '.')
	if dot < 0 {
		return L.object, id
	}
	path := id[:dot]
	object = path[strings.LastIndexByte(path, '.')+1:]
	if len(object) == len(path) {
		for _, a := range L.aliases {
			if strings.EqualFold(a.name, object) {
				return a.object, id[dot+1:]
			}
		}
	}
	return object, id[dot+1:]
}

// comparison reads what follows a field (or a function call) in WHERE or
// HAVING: its operator and values. It consumes nothing when no comparison
// follows (PredOther).
func (p *soqlParser) comparison() (op string, values []string, err error) {
	t := p.peek()
	switch t.kind {
	case tkOp:
		p.lx.pos = p.peekEnd
		switch t.text {
		case "=", "!=", "<>":
			if p.peekWord("NULL") {
				p.lx.pos = p.peekEnd
				return PredExists, nil, nil
			}
			op = PredNe
			if t.text == "=" {
				op = PredEq
			}
		default:
			op = PredRange
		}
		return op, p.value(), nil
	case tkIdent:
		switch {
		case word(t.text, "LIKE"):
			p.lx.pos = p.peekEnd
			return PredLike, p.value(), nil
		case word(t.text, "IN"), word(t.text, "INCLUDES"):
			p.lx.pos = p.peekEnd
			values, err = p.list()
			return PredEq, values, err
		case word(t.text, "EXCLUDES"):
			p.lx.pos = p.peekEnd
			values, err = p.list()
			return PredNe, values, err
		case word(t.text, "NOT"):
			save := p.lx.pos
			p.lx.pos = p.peekEnd
			if p.peekWord("IN") {
				p.lx.pos = p.peekEnd
				values, err = p.list()
				return PredNe, values, err
			}
			p.lx.pos = save
		}
	}
	return PredOther, nil, nil
}

// value reads the value after an operator: a literal gives its text; a
// date literal, TRUE, FALSE or a bind is consumed without a value.
func (p *soqlParser) value() []string {
	switch t := p.peek(); t.kind {
	case tkString, tkNumber:
		p.lx.pos = p.peekEnd
		return []string{literal(t)}
	case tkIdent, tkBind:
		p.lx.pos = p.peekEnd
	}
	return nil
}

// list reads the (…) list after IN, INCLUDES or EXCLUDES, all of its
// literals; a semi-join's (SELECT …) is left to the caller.
func (p *soqlParser) list() ([]string, error) {
	switch t := p.peek(); t.kind {
	case tkBind:
		p.lx.pos = p.peekEnd
		return nil, nil
	case tkLParen:
	default:
		return nil, nil
	}
	save := p.lx.pos
	p.lx.pos = p.peekEnd
	if p.peekWord("SELECT") {
		p.lx.pos = save
		return nil, nil
	}
	var values []string
	for depth := 1; ; {
		t, err := p.lx.next()
		if err != nil {
			return values, err
		}
		switch t.kind {
		case tkEOF:
			return values, ErrQuerySyntax
		case tkLParen:
			if p.peekWord("SELECT") {
				return values, ErrQuerySyntax // a subquery inside a value list
			}
			depth++
		case tkRParen:
			if depth--; depth == 0 {
				return values, nil
			}
		case tkString, tkNumber:
			values = append(values, literal(t))
		}
	}
}

// URLPredicates appends the predicates of a request URL: path is its
// decoded path, query its parsed query. For Salesforce (dialect
// config.DialectSalesforce) they are the q of /query, /queryAll and
// /search (and any q that LooksLikeQuery, whatever the path), the term,
// <Object>.where and <Object>.orderBy of /parameterizedSearch, the qs of
// /search, the field and value of a /sobjects/{Object}/{Field}/{value}
// external-id lookup or upsert, and the where, sortBy and searchTerm of a
// UI API list view (ui-api/list-records/…, related-list-records/…). For
// HubSpot (config.DialectHubSpot) they are the idProperty and id of
// /crm/v3/objects/{object}/{id} (or the date-versioned
// /crm/objects/{yyyy-mm}/…). Every method counts: an upsert or a delete
// names its record as a read does.
func URLPredicates(dst []Predicate, dialect, method, path string, query url.Values) ([]Predicate, error) {
	switch dialect {
	case config.DialectSalesforce:
		return salesforceURLPredicates(dst, path, query)
	case config.DialectHubSpot:
		return hubSpotURLPredicates(dst, path, query)
	}
	return dst, nil
}

// salesforceResource is the path of a Salesforce REST resource after
// /services/data/vNN.N/ (and tooling/), split; nil for another path.
func salesforceResource(path string) []string {
	seg := salesforcePath(path)
	if len(seg) > 1 && seg[0] == "tooling" {
		seg = seg[1:]
	}
	return seg
}

func salesforceURLPredicates(dst []Predicate, path string, query url.Values) ([]Predicate, error) {
	seg := salesforceResource(path)
	resource := ""
	if len(seg) == 1 {
		resource = seg[0]
	}
	var err error
	for _, q := range query["q"] {
		switch {
		case resource == "query" || resource == "queryAll" || resource == "search" || looksLikeQuery(q):
			dst, err = QueryPredicates(dst, q)
		}
		if err != nil {
			return dst, err
		}
	}
	if object, ok := uiAPIList(seg); ok {
		return uiAPIListURL(dst, object, query)
	}
	if rest, ok := strings.CutPrefix(path, "/services/apexrest/"); ok {
		return apexRESTLookups(dst, rest, query)
	}
	switch {
	case resource == "parameterizedSearch":
		return parameterizedSearchURL(dst, query)
	case resource == "search":
		for _, q := range query["qs"] {
			if dst, err = addPredicate(dst, Predicate{Field: "ALL FIELDS", Clause: ClauseSearch, Op: PredSearch, Values: []string{q}}); err != nil {
				return dst, err
			}
		}
	case len(seg) >= 4 && seg[0] == "sobjects" && !isRecordID(seg[2]) && !sobjectSubresources[seg[2]]:
		// /sobjects/{Object}/{Field}/{value}: a record by external id.
		return addPredicate(dst, Predicate{Object: seg[1], Field: seg[2], Clause: ClauseLookup, Op: PredEq,
			Values: []string{strings.Join(seg[3:], "/")}})
	}
	return dst, nil
}

// apexRESTLookups appends the lookups of a call to an Apex REST service
// (/services/apexrest/{service}/…): what it does with its values is the
// org's own code, so each value the URL hands it is taken for a lookup,
// the most it can be: each query parameter's values (a q that is SOQL
// is read as a query instead) by the parameter's name, and the path's
// segments after the service's name, joined, by that name. A service
// that finds a record by a value tells whether a guess is right, as a
// lookup by external id does.
func apexRESTLookups(dst []Predicate, rest string, query url.Values) (_ []Predicate, err error) {
	seg := splitPath(rest)
	if len(seg) > 1 {
		if dst, err = addPredicate(dst, Predicate{Field: seg[0], Clause: ClauseLookup, Op: PredEq,
			Values: []string{strings.Join(seg[1:], "/")}}); err != nil {
			return dst, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(query)) {
		for _, v := range query[name] {
			if v == "" || name == "q" && looksLikeQuery(v) {
				continue
			}
			if dst, err = addPredicate(dst, Predicate{Field: name, Clause: ClauseLookup, Op: PredEq, Values: []string{v}}); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// sobjectSubresources are the resources under /sobjects/{Object}/ that
// take a further segment and read no record by a field's value.
var sobjectSubresources = map[string]bool{
	"describe": true, "updated": true, "deleted": true, "listviews": true, "quickActions": true,
	"layouts": true, "compactLayouts": true, "approvalLayouts": true, "namedLayouts": true,
	"eventSchema": true, "defaultValues": true, "suggestedArticles": true, "platformaction": true,
	"relevantItems": true, "collectionsNoId": true,
}

// isRecordID reports whether s looks like a Salesforce record id: 15 or
// 18 letters and digits, some of them digits (a key prefix such as 003).
func isRecordID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digit = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		default:
			return false
		}
	}
	return digit
}

func parameterizedSearchURL(dst []Predicate, query url.Values) ([]Predicate, error) {
	group := searchGroup(query.Get("in"))
	if group == "" {
		group = "ALL FIELDS"
	}
	var err error
	for _, q := range query["q"] {
		if dst, err = addPredicate(dst, Predicate{Field: group, Clause: ClauseSearch, Op: PredSearch, Values: []string{q}}); err != nil {
			return dst, err
		}
	}
	var keys []string
	for k := range query {
		if objectParam(k) != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := clWhere
		if !hasFoldSuffix(k, ".where") {
			c = clOrderBy
		}
		for _, v := range query[k] {
			if dst, err = clausePredicates(dst, v, objectParam(k), c); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// objectParam is the object of a parameterized search's <Object>.where or
// <Object>.orderBy parameter; "" for another parameter.
func objectParam(k string) string {
	for _, s := range [...]string{".where", ".orderBy"} {
		if hasFoldSuffix(k, s) && len(k) > len(s) {
			return k[:len(k)-len(s)]
		}
	}
	return ""
}

func hasFoldSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// hubSpotResource is the path of a HubSpot CRM object resource after
// /crm/v3/objects/ or /crm/objects/{yyyy-mm}/, split; nil for another
// path.
func hubSpotResource(path string) []string {
	seg := splitPath(path)
	switch {
	case len(seg) >= 4 && seg[0] == "crm" && seg[1] == "v3" && seg[2] == "objects":
		return seg[3:]
	case len(seg) >= 4 && seg[0] == "crm" && seg[1] == "objects" && isDateVersion(seg[2]):
		return seg[3:]
	}
	return nil
}

func hubSpotURLPredicates(dst []Predicate, path string, query url.Values) ([]Predicate, error) {
	if legacy := splitPath(path); len(legacy) >= 3 && legacy[0] == "contacts" && legacy[1] == "v1" {
		return hubSpotLegacyPredicates(dst, legacy[2:], query)
	}
	seg := hubSpotResource(path)
	if len(seg) < 2 || seg[1] == "search" || seg[1] == "batch" || seg[1] == "merge" || seg[1] == "gdpr-delete" {
		return dst, nil
	}
	var err error
	for _, prop := range query["idProperty"] {
		if prop == "" {
			continue
		}
		if dst, err = addPredicate(dst, Predicate{Object: hubSpotObject(seg[0]), Field: prop, Clause: ClauseLookup, Op: PredEq,
			Values: []string{strings.Join(seg[1:], "/")}}); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// hubSpotLegacyPredicates are the predicates of HubSpot's legacy
// contacts API (/contacts/v1/…), which searches and reads contacts by
// e-mail: search/query?q= (a free-text search), contact/email/{email}/…
// and contact/emails/batch?email= (lookups by e-mail).
func hubSpotLegacyPredicates(dst []Predicate, seg []string, query url.Values) ([]Predicate, error) {
	var err error
	switch {
	case len(seg) == 2 && seg[0] == "search" && seg[1] == "query":
		for _, q := range query["q"] {
			if dst, err = addPredicate(dst, Predicate{Object: "contacts", Field: "query", Clause: ClauseSearch, Op: PredSearch, Values: []string{q}}); err != nil {
				return dst, err
			}
		}
	case len(seg) >= 3 && seg[0] == "contact" && seg[1] == "email":
		return addPredicate(dst, Predicate{Object: "contacts", Field: "email", Clause: ClauseLookup, Op: PredEq, Values: []string{seg[2]}})
	case len(seg) >= 3 && seg[0] == "contact" && seg[1] == "emails" && seg[2] == "batch":
		if vs := query["email"]; len(vs) > 0 {
			return addPredicate(dst, Predicate{Object: "contacts", Field: "email", Clause: ClauseLookup, Op: PredEq, Values: slices.Clone(vs)})
		}
	}
	return dst, nil
}

// EmbeddedURLPredicates appends the predicates of a Salesforce REST URL
// met as a string value in a body (a composite subrequest's "url":
// "/services/data/v62.0/query?q=SELECT+…", a composite batch's
// "v62.0/query?q=SELECT+…"), and reports whether v was
// such a URL: one under /services/data/ with a query, or one that reads a
// record by external id. A query or path that does not decode is
// ErrQuerySyntax.
func EmbeddedURLPredicates(dst []Predicate, v string) ([]Predicate, bool, error) {
	if !strings.HasPrefix(v, "/services/data/") {
		// A composite batch's subrequest names its resource from the
		// version on: "v62.0/query?q=…".
		version, _, ok := strings.Cut(v, "/")
		if !ok || !isSalesforceVersion(version) {
			return dst, false, nil
		}
		v = "/services/data/" + v
	}
	rawPath, rawQuery, hasQuery := strings.Cut(v, "?")
	rawQuery, _, _ = strings.Cut(rawQuery, "#")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return dst, true, ErrQuerySyntax
	}
	var query url.Values
	if hasQuery {
		if query, err = url.ParseQuery(rawQuery); err != nil {
			return dst, true, ErrQuerySyntax
		}
	}
	n := len(dst)
	dst, err = salesforceURLPredicates(dst, path, query)
	return dst, hasQuery || len(dst) > n || err != nil, err
}

// BodyPredicates appends the predicates a JSON request body states in a
// call's own structure: a HubSpot search's filters, sorts and query; the
// idProperty and ids of a HubSpot batch read; a Salesforce parameterized
// search's term and its sobjects' where and orderBy; the where,
// orderBy and groupBy arguments of a Salesforce GraphQL query, given
// literally or by variable; the where, sortBy and searchTerm of a UI
// API list view's records (a related list batch's for each list); and
// the saved filter and order a UI API list view is made or changed with
// (list-info, list-preferences, related-list-info and
// related-list-preferences, by POST, PATCH or PUT); and the filters,
// sorts and groupings of a Salesforce report, run or saved (savedReport).
// Other bodies have
// none. A body that is not valid JSON where one of these calls expects
// JSON is ErrQuerySyntax. Numbers and booleans among the values
// are their JSON text.
func BodyPredicates(dst []Predicate, dialect, method, path string, body []byte) ([]Predicate, error) {
	if dialect == config.DialectHubSpot && hubSpotListFilters(method, path) {
		root, err := parseJSON(body)
		if err != nil {
			return dst, err
		}
		return listFilterPredicates(dst, root)
	}
	if dialect == config.DialectSalesforce {
		if object, ok := uiAPISavedList(method, path); ok {
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return savedListBody(dst, root, object)
		}
		if savedReport(method, path) {
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return reportPredicates(dst, root)
		}
	}
	if !strings.EqualFold(method, "POST") {
		return dst, nil
	}
	switch dialect {
	case config.DialectSalesforce:
		seg := salesforceResource(path)
		if object, ok := uiAPIList(seg); ok {
			// The body is optional: a list view read without one.
			if len(bytes.TrimSpace(body)) == 0 {
				return dst, nil
			}
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return uiAPIListBody(dst, root, object)
		}
		switch {
		case len(seg) == 1 && seg[0] == "parameterizedSearch":
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return parameterizedSearchBody(dst, root)
		case len(seg) == 1 && seg[0] == "graphql":
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return graphQLBody(dst, root)
		case len(seg) >= 3 && seg[0] == "analytics" && seg[1] == "reports":
			// A report run (reports/{id}, reports/{id}/instances) or
			// reports/query, with filters, sorts and groupings in its
			// reportMetadata.
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return reportPredicates(dst, root)
		}
	case config.DialectHubSpot:
		seg := hubSpotResource(path)
		switch {
		case len(seg) == 2 && seg[1] == "search":
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return hubSpotSearch(dst, hubSpotObject(seg[0]), root)
		case len(seg) == 3 && seg[1] == "batch" && seg[2] == "read":
			root, err := parseJSON(body)
			if err != nil {
				return dst, err
			}
			return hubSpotBatchRead(dst, hubSpotObject(seg[0]), root)
		}
	}
	return dst, nil
}

// hubSpotListFilters reports whether a request defines a HubSpot list's
// filters: creating a list (POST /crm/v3/lists) or changing its filters
// (PUT /crm/v3/lists/{id}/update-list-filters). A dynamic list's members
// are the records its filters match, so the filters are predicates.
func hubSpotListFilters(method, path string) bool {
	seg := splitPath(path)
	if len(seg) < 3 || seg[0] != "crm" || seg[1] != "v3" || seg[2] != "lists" {
		return false
	}
	switch {
	case len(seg) == 3:
		return strings.EqualFold(method, "POST")
	case len(seg) == 5 && seg[4] == "update-list-filters":
		return strings.EqualFold(method, "PUT") || strings.EqualFold(method, "POST")
	}
	return false
}

// listFilterPredicates are the predicates of a HubSpot list's filter
// branches, at any depth: every {"property": name, "operation":
// {"operator": …, "value"/"values": …}} filter, on the list's objectTypeId.
func listFilterPredicates(dst []Predicate, root *node) (_ []Predicate, err error) {
	object := ""
	for t := range root.members("objectTypeId") {
		if t.kind == nScalar {
			object = hubSpotObject(t.text)
		}
	}
	var walk func(n *node, depth int) error
	walk = func(n *node, depth int) error {
		if depth > maxDepth {
			return ErrQuerySyntax
		}
		if n.kind == nObject {
			for prop := range n.members("property") {
				if prop.kind != nScalar {
					continue
				}
				op, values := PredOther, []string(nil)
				for o := range n.members("operation") {
					for k := range o.members("operator") {
						op = listOp(k.text)
					}
					if op != PredExists {
						for _, name := range [...]string{"value", "values", "lowerBound", "upperBound"} {
							for v := range o.members(name) {
								values = v.scalars(values, 0)
							}
						}
					}
				}
				if dst, err = addPredicate(dst, Predicate{Object: object, Field: prop.text, Clause: ClauseFilter, Op: op, Values: values}); err != nil {
					return err
				}
			}
		}
		for _, v := range n.vals {
			if err := walk(v, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	err = walk(root, 0)
	return dst, err
}

// listOp maps a HubSpot list filter operator to a Pred* operator.
func listOp(o string) string {
	o = strings.ToUpper(o)
	switch {
	case strings.Contains(o, "KNOWN"):
		return PredExists
	case strings.Contains(o, "NOT_EQUAL") || strings.Contains(o, "NONE_OF"):
		return PredNe
	case strings.Contains(o, "EQUAL") || strings.Contains(o, "ANY_OF") || strings.Contains(o, "ALL_OF"):
		return PredEq
	case strings.Contains(o, "CONTAIN") || strings.Contains(o, "STARTS") || strings.Contains(o, "ENDS"):
		return PredLike
	case strings.Contains(o, "GREATER") || strings.Contains(o, "LESS") || strings.Contains(o, "BETWEEN") ||
		strings.Contains(o, "AFTER") || strings.Contains(o, "BEFORE"):
		return PredRange
	}
	return PredOther
}

func hubSpotSearch(dst []Predicate, object string, root *node) (_ []Predicate, err error) {
	filter := func(f *node) error {
		op := PredOther
		for o := range f.members("operator") {
			op = hubSpotOp(o.text)
		}
		var values []string
		if op != PredExists {
			for _, name := range [...]string{"value", "highValue", "values"} {
				for v := range f.members(name) {
					values = v.scalars(values, 0)
				}
			}
		}
		for name := range f.members("propertyName") {
			if name.kind != nScalar {
				continue
			}
			if dst, err = addPredicate(dst, Predicate{Object: object, Field: name.text, Clause: ClauseFilter, Op: op, Values: values}); err != nil {
				return err
			}
		}
		return nil
	}
	for groups := range root.members("filterGroups") {
		for g := range groups.elements() {
			for filters := range g.members("filters") {
				for f := range filters.elements() {
					if err := filter(f); err != nil {
						return dst, err
					}
				}
			}
		}
	}
	for filters := range root.members("filters") {
		for f := range filters.elements() {
			if err := filter(f); err != nil {
				return dst, err
			}
		}
	}
	for sorts := range root.members("sorts") {
		for s := range sorts.elements() {
			var names []*node
			if s.kind == nScalar {
				names = []*node{{kind: nScalar, text: strings.TrimLeft(s.text, "+-")}}
			}
			for name := range s.members("propertyName") {
				names = append(names, name)
			}
			for _, name := range names {
				if name.kind != nScalar {
					continue
				}
				if dst, err = addPredicate(dst, Predicate{Object: object, Field: name.text, Clause: ClauseSort, Op: PredSort}); err != nil {
					return dst, err
				}
			}
		}
	}
	for q := range root.members("query") {
		if q.kind != nScalar {
			continue
		}
		if dst, err = addPredicate(dst, Predicate{Object: object, Field: "query", Clause: ClauseSearch, Op: PredSearch, Values: []string{q.text}}); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// hubSpotOp maps a HubSpot search filter's operator.
func hubSpotOp(o string) string {
	switch strings.ToUpper(o) {
	case "EQ", "IN":
		return PredEq
	case "NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN":
		return PredNe
	case "LT", "LTE", "GT", "GTE", "BETWEEN":
		return PredRange
	case "CONTAINS_TOKEN":
		return PredLike
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
		return PredExists
	}
	return PredOther
}

func hubSpotBatchRead(dst []Predicate, object string, root *node) (_ []Predicate, err error) {
	for prop := range root.members("idProperty") {
		if prop.kind != nScalar || prop.text == "" {
			continue
		}
		var values []string
		for inputs := range root.members("inputs") {
			for in := range inputs.elements() {
				for id := range in.members("id") {
					values = id.scalars(values, 0)
				}
			}
		}
		if dst, err = addPredicate(dst, Predicate{Object: object, Field: prop.text, Clause: ClauseLookup, Op: PredEq, Values: values}); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// parameterizedSearchBody reads a Salesforce parameterized search POST:
// {"q": term, "in": group, "sobjects": [{"name", "where", "orderBy"}]}.
func parameterizedSearchBody(dst []Predicate, root *node) (_ []Predicate, err error) {
	group := "ALL FIELDS"
	for in := range root.members("in") {
		if g := searchGroup(in.text); in.kind == nScalar && g != "" {
			group = g
		}
	}
	for q := range root.members("q") {
		if q.kind != nScalar {
			continue
		}
		if dst, err = addPredicate(dst, Predicate{Field: group, Clause: ClauseSearch, Op: PredSearch, Values: []string{q.text}}); err != nil {
			return dst, err
		}
	}
	for sobjects := range root.members("sobjects") {
		for so := range sobjects.elements() {
			object := ""
			for name := range so.members("name") {
				if name.kind == nScalar {
					object = name.text
				}
			}
			for _, m := range [...]struct {
				name string
				c    clause
			}{{"where", clWhere}, {"orderBy", clOrderBy}} {
				for body := range so.members(m.name) {
					if body.kind != nScalar {
						continue
					}
					if dst, err = clausePredicates(dst, body.text, object, m.c); err != nil {
						return dst, err
					}
				}
			}
		}
	}
	return dst, nil
}

// savedReport reports whether a Salesforce Reports API request saves a
// report's definition: creating one (POST analytics/reports, a clone
// too) or changing one (PATCH or PUT analytics/reports/{id}). A saved
// report's filters apply at every later run, which names none: they are
// the predicates of the request that saves them, as a run's are of the
// run (POST analytics/reports/{id}, read with the other POST bodies).
func savedReport(method, path string) bool {
	seg := salesforceResource(path)
	if len(seg) < 2 || seg[0] != "analytics" || seg[1] != "reports" {
		return false
	}
	switch {
	case len(seg) == 2:
		return strings.EqualFold(method, "POST")
	case len(seg) == 3 && seg[2] != "query":
		return strings.EqualFold(method, "PATCH") || strings.EqualFold(method, "PUT")
	}
	return false
}

// reportPredicates are the predicates of a Salesforce Reports API run:
// reportMetadata's reportFilters ({column, operator, value}), sortBy
// ({sortColumn}) and groupings (groupingsDown, groupingsAcross: {name}).
// A column names a field as the report type does (EMAIL,
// CONTACT.PHONE1, Contact.SSN__c): its last segment is the field.
func reportPredicates(dst []Predicate, root *node) (_ []Predicate, err error) {
	column := func(c string) (object, field string) {
		if i := strings.LastIndexByte(c, '.'); i >= 0 {
			return c[:i], c[i+1:]
		}
		return "", c
	}
	add := func(name *node, clause, op string, values []string) error {
		if name.kind != nScalar {
			return nil
		}
		object, field := column(name.text)
		dst, err = addPredicate(dst, Predicate{Object: object, Field: field, Clause: clause, Op: op, Values: values})
		return err
	}
	for md := range root.members("reportMetadata") {
		for filters := range md.members("reportFilters") {
			for f := range filters.elements() {
				op := PredOther
				for o := range f.members("operator") {
					op = filterOp(o.text)
				}
				var values []string
				for v := range f.members("value") {
					values = v.scalars(values, 0)
				}
				for c := range f.members("column") {
					if err := add(c, ClauseWhere, op, values); err != nil {
						return dst, err
					}
				}
			}
		}
		for sorts := range md.members("sortBy") {
			for srt := range sorts.elements() {
				for c := range srt.members("sortColumn") {
					if err := add(c, ClauseOrderBy, PredSort, nil); err != nil {
						return dst, err
					}
				}
			}
		}
		for _, g := range [...]string{"groupingsDown", "groupingsAcross"} {
			for groups := range md.members(g) {
				for grp := range groups.elements() {
					for c := range grp.members("name") {
						if err := add(c, ClauseGroupBy, PredGroup, nil); err != nil {
							return dst, err
						}
					}
				}
			}
		}
	}
	return dst, nil
}

// filterOp maps the operator of a Reports API filter or of a list view's
// saved filter (the Metadata API's FilterOperation), in any case, to a
// Pred* operator: Between and Within (a geolocation's distance) are
// ranges; an operator it does not know is PredOther, which the policy
// refuses on a protected field all the same.
func filterOp(o string) string {
	switch strings.ToLower(strings.TrimSpace(o)) {
	case "equals", "includes":
		return PredEq
	case "notequal", "excludes":
		return PredNe
	case "lessthan", "greaterthan", "lessorequal", "greaterorequal", "between", "within":
		return PredRange
	case "contains", "notcontain", "startswith":
		return PredLike
	}
	return PredOther
}
