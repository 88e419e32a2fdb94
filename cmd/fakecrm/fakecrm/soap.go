package fakecrm

// The SOAP API: POST /services/Soap/u/<ver>[/<orgId>] (Partner, namespace
// urn:partner.soap.sforce.com, record fields in
// urn:sobject.partner.soap.sforce.com) and /services/Soap/c/<ver>[/<orgId>]
// (Enterprise, urn:enterprise.soap.sforce.com and
// urn:sobject.enterprise.soap.sforce.com). SOAP 1.1, answered as
// Salesforce does: the API's namespace the default one on the Envelope, sf
// bound to the sObject namespace (to the fault namespace in faults), HTTP
// 500 for faults.
//
// login takes any non-empty username and password (as the OAuth password
// grant does), except the password "invalid", which gets INVALID_LOGIN.
// Its sessionId is a token like the OAuth grant's; the REST, Bulk and SOAP
// endpoints all accept it until logout. The other calls want a
// SessionHeader with a session id (any non-empty one not logged out, as
// the REST API takes any bearer token). Queries, records and writes go
// through the REST API's store and SOQL evaluator; queryMore takes the
// REST API's locators.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

const (
	nsSoapEnv = "http://schemas.xmlsoap.org/soap/envelope/"
	orgID     = "00DDn000000FakeAAA"
	ctSOAP    = "text/xml;charset=UTF-8"
	maxSOAP   = 200 // records per create, update, upsert or delete
)

// soapAPI is the Partner or the Enterprise API.
type soapAPI struct {
	kind           string // "u" or "c", as in the path
	ns, sobj, flt  string // the API's, the records' and the faults' namespaces
	style          recStyle
	defaultBatchSz int
}

var (
	partnerAPI    = soapAPI{"u", "urn:partner.soap.sforce.com", "urn:sobject.partner.soap.sforce.com", "urn:fault.partner.soap.sforce.com", stylePartner, 500}
	enterpriseAPI = soapAPI{"c", "urn:enterprise.soap.sforce.com", "urn:sobject.enterprise.soap.sforce.com", "urn:fault.enterprise.soap.sforce.com", styleEnterprise, 500}
)

// xmlState is what the XML APIs keep between calls, guarded by s.mu.
type xmlState struct {
	users   map[string]string // SOAP login session id → username
	revoked map[string]bool   // sessions ended by logout
	jobs    map[string]*v1Job // Bulk API 1.0 (bulkv1.go)
	order   []string          // job ids, oldest first
}

// loggedOut reports whether tok is a session logout ended.
func (s *Server) loggedOut(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.xs.revoked[tok]
}

// sessionOK reports whether tok may call the API: any non-empty token not
// logged out.
func (s *Server) sessionOK(tok string) bool { return tok != "" && !s.loggedOut(tok) }

var soapPathRe = regexp.MustCompile(`^/services/Soap/([uc])/(\d{1,3}\.\d)(?:/[A-Za-z0-9]{15,18})?/?$`)

// soapCall is one request being answered.
type soapCall struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	api     soapAPI
	ver     string // "62.0"
	env, op *xnode
	session string
}

func (s *Server) soap(w http.ResponseWriter, r *http.Request) {
	m := soapPathRe.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	c := &soapCall{s: s, w: w, r: r, api: partnerAPI, ver: m[2]}
	if m[1] == "c" {
		c.api = enterpriseAPI
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	rd, err := openBody(r)
	if err == nil {
		c.env, err = parseXML(rd)
	}
	var body *xnode
	if err == nil {
		if c.env.XMLName.Space != nsSoapEnv || c.env.XMLName.Local != "Envelope" {
			err = errNotEnvelope
		} else if body = c.env.child("Body"); body == nil || len(body.Kids) == 0 {
			err = errNotEnvelope
		}
	}
	if err != nil {
		c.fault("soapenv:Client", "UNKNOWN_EXCEPTION", "UnexpectedErrorFault", "The request is not a SOAP 1.1 message: "+err.Error())
		return
	}
	c.op = &body.Kids[0]
	opName := c.op.XMLName
	if opName.Space != c.api.ns {
		// Salesforce's dispatcher knows only its own namespace.
		c.noOperation()
		return
	}
	if opName.Local == "login" {
		c.login()
		return
	}
	if h := c.env.child("Header"); h != nil {
		if sh := h.child("SessionHeader"); sh != nil {
			c.session = sh.childText("sessionId")
		}
	}
	if !s.sessionOK(c.session) {
		c.fault("", "INVALID_SESSION_ID", "UnexpectedErrorFault", "Invalid Session ID found in SessionHeader: Illegal Session")
		return
	}
	switch opName.Local {
	case "query", "queryAll":
		c.query(c.op.childText("queryString"))
	case "queryMore":
		c.queryMore(c.op.childText("queryLocator"))
	case "retrieve":
		c.retrieve()
	case "search":
		c.search(c.op.childText("searchString"))
	case "create", "update", "upsert":
		c.save(opName.Local)
	case "delete":
		c.delete()
	case "getUserInfo":
		c.respond(func(x *xw) {
			x.start("result")
			c.userInfo(x, c.s.userOf(c.session))
			x.end("result")
		})
	case "logout":
		s.mu.Lock()
		if s.xs.revoked == nil || len(s.xs.revoked) > 10000 {
			s.xs.revoked = map[string]bool{}
		}
		s.xs.revoked[c.session] = true
		delete(s.xs.users, c.session)
		s.mu.Unlock()
		c.respond(nil)
	default:
		c.noOperation()
	}
}

type soapError string

func (e soapError) Error() string { return string(e) }

const errNotEnvelope = soapError("no soapenv:Envelope with a Body holding the call")

// ---- answers ----

// envelope writes a SOAP envelope with status; sf is bound to sfNS.
func (c *soapCall) envelope(status int, sfNS string, limitInfo bool, fill func(x *xw)) {
	writeDoc(c.w, c.r, status, ctSOAP, false, func(x *xw) {
		x.start("soapenv:Envelope", "xmlns:soapenv", nsSoapEnv, "xmlns", c.api.ns, "xmlns:sf", sfNS, "xmlns:xsi", nsXSI)
		if limitInfo {
			x.raw("<soapenv:Header><LimitInfoHeader><limitInfo><current>25</current><limit>15000</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader></soapenv:Header>")
		}
		x.start("soapenv:Body")
		fill(x)
		x.end("soapenv:Body")
		x.end("soapenv:Envelope")
	})
}

// respond answers <op>Response holding what fill writes.
func (c *soapCall) respond(fill func(x *xw)) {
	name := c.op.XMLName.Local + "Response"
	c.envelope(200, c.api.sobj, true, func(x *xw) {
		x.start(name)
		if fill != nil {
			fill(x)
		}
		x.end(name)
	})
}

// fault answers a soapenv:Fault (HTTP 500): faultcode sf:<code>,
// faultstring "<code>: <msg>" and a detail holding an sf:<faultType> with
// the code and message. A faultcode given (soapenv:Client, for a message
// the dispatcher cannot take) gets msg as faultstring and no detail.
func (c *soapCall) fault(faultcode, code, faultType, msg string) {
	c.envelope(500, c.api.flt, false, func(x *xw) {
		x.start("soapenv:Fault")
		if faultcode != "" {
			x.leaf("faultcode", faultcode)
			x.leaf("faultstring", msg)
			x.end("soapenv:Fault")
			return
		}
		x.leaf("faultcode", "sf:"+code)
		x.leaf("faultstring", code+": "+msg)
		x.start("detail")
		x.start("sf:"+faultType, "xsi:type", "sf:"+faultType)
		x.leaf("sf:exceptionCode", code)
		x.leaf("sf:exceptionMessage", msg)
		if strings.HasSuffix(faultType, "QueryFault") || faultType == "InvalidFieldFault" || faultType == "InvalidSObjectFault" {
			x.leaf("sf:row", "-1")
			x.leaf("sf:column", "-1")
		}
		x.end("sf:" + faultType)
		x.end("detail")
		x.end("soapenv:Fault")
	})
}

// faultTypes are the WSDL's fault elements by exception code.
var faultTypes = map[string]string{
	"MALFORMED_QUERY": "MalformedQueryFault", "INVALID_FIELD": "InvalidFieldFault", "INVALID_TYPE": "InvalidSObjectFault",
	"INVALID_QUERY_LOCATOR": "InvalidQueryLocatorFault", "MALFORMED_SEARCH": "MalformedSearchFault", "INVALID_LOGIN": "LoginFault",
	"INVALID_ID_FIELD": "InvalidIdFault",
}

// failWith answers e (a REST API error) as the SOAP API's fault.
func (c *soapCall) failWith(e *sfErr) {
	ft := faultTypes[e.code]
	if ft == "" {
		ft = "UnexpectedErrorFault"
	}
	c.fault("", e.code, ft, e.msg)
}

// noOperation is the dispatcher's fault for a call it does not know.
func (c *soapCall) noOperation() {
	n := c.op.XMLName
	c.fault("soapenv:Client", "INVALID_OPERATION", "UnexpectedErrorFault",
		"No operation available for request {"+n.Space+"}"+n.Local+", please check the WSDL for the service.")
}

// ---- login and users ----

func (c *soapCall) login() {
	user, pass := c.op.childText("username"), c.op.childText("password")
	if user == "" || pass == "" || pass == "invalid" {
		c.fault("", "INVALID_LOGIN", "LoginFault", "Invalid username, password, security token; or user locked out.")
		return
	}
	tok := newAccessToken()
	s := c.s
	s.mu.Lock()
	if s.xs.users == nil || len(s.xs.users) > 10000 {
		s.xs.users = map[string]string{}
	}
	s.xs.users[tok] = user
	s.mu.Unlock()
	base := s.instanceURL(c.r)
	c.envelope(200, c.api.sobj, false, func(x *xw) {
		x.start("loginResponse")
		x.start("result")
		x.leaf("metadataServerUrl", base+"/services/Soap/m/"+c.ver+"/"+orgID)
		x.leaf("passwordExpired", "false")
		x.leaf("sandbox", "false")
		x.leaf("serverUrl", base+"/services/Soap/"+c.api.kind+"/"+c.ver+"/"+orgID)
		x.leaf("sessionId", tok)
		x.leaf("userId", userID(user))
		x.start("userInfo")
		c.userInfo(x, user)
		x.end("userInfo")
		x.end("result")
		x.end("loginResponse")
	})
}

// userOf is the username a session logged in as (a default one for
// OAuth tokens).
func (s *Server) userOf(session string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.xs.users[session]; u != "" {
		return u
	}
	return "integration.user@example.com"
}

// userID is a stable user id for a username.
func userID(user string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(user)))
	return "005Dn" + strings.ToUpper(hex.EncodeToString(sum[:5])) + "AAA"
}

// userInfo writes GetUserInfoResult's fields, in the WSDL's order.
func (c *soapCall) userInfo(x *xw, user string) {
	email := user
	if !strings.Contains(email, "@") {
		email += "@example.com"
	}
	local, _, _ := strings.Cut(email, "@")
	var name []string
	for _, p := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' }) {
		name = append(name, strings.ToUpper(p[:1])+p[1:])
	}
	for _, kv := range [][2]string{
		{"accessibilityMode", "false"}, {"chatterExternal", "false"}, {"currencySymbol", "$"},
		{"orgAttachmentFileSizeLimit", "5242880"}, {"orgDefaultCurrencyIsoCode", "USD"}, {"orgDefaultCurrencyLocale", "en_US"},
		{"orgDisallowHtmlAttachments", "false"}, {"orgHasPersonAccounts", "false"}, {"organizationId", orgID},
		{"organizationMultiCurrency", "false"}, {"organizationName", "Acme (fake CRM)"}, {"profileId", "00eDn000000FakeAAA"},
	} {
		x.leaf(kv[0], kv[1])
	}
	x.nilLeaf("roleId")
	x.leaf("sessionSecondsValid", "7200")
	x.nilLeaf("userDefaultCurrencyIsoCode")
	for _, kv := range [][2]string{
		{"userEmail", email}, {"userFullName", strings.Join(name, " ")}, {"userId", userID(user)}, {"userLanguage", "en_US"},
		{"userLocale", "en_US"}, {"userName", user}, {"userTimeZone", "America/Los_Angeles"}, {"userType", "Standard"},
		{"userUiSkin", "Theme3"},
	} {
		x.leaf(kv[0], kv[1])
	}
}

// ---- queries ----

// batchSize is the page size: QueryOptions/batchSize, else the server's
// page size, else the API's default.
func (c *soapCall) batchSize() int {
	if h := c.env.child("Header"); h != nil {
		if qo := h.child("QueryOptions"); qo != nil {
			if n, err := strconv.Atoi(qo.childText("batchSize")); err == nil && n > 0 {
				return n
			}
		}
	}
	if c.s.opts.PageSize > 0 {
		return c.s.opts.PageSize
	}
	return c.api.defaultBatchSz
}

func (c *soapCall) query(soql string) {
	s := c.s
	s.mu.Lock()
	_, _, recs, e := s.selectLocked(soql, "v"+c.ver)
	if e != nil {
		s.mu.Unlock()
		c.failWith(e)
		return
	}
	cur := &cursor{records: recs, version: "v" + c.ver}
	page, loc := s.pageOfLocked(cur, 0, c.batchSize())
	s.mu.Unlock()
	c.queryResult(len(recs), page, loc)
}

func (c *soapCall) queryMore(locator string) {
	s := c.s
	s.mu.Lock()
	cur, offset, ok := s.lookupLocator(locator)
	if !ok {
		s.mu.Unlock()
		c.fault("", "INVALID_QUERY_LOCATOR", "InvalidQueryLocatorFault", "invalid query locator")
		return
	}
	page, loc := s.pageOfLocked(cur, offset, c.batchSize())
	s.mu.Unlock()
	c.queryResult(len(cur.records), page, loc)
}

// queryResult answers a QueryResult: size is the query's total, as
// Salesforce counts it.
func (c *soapCall) queryResult(total int, page []orderedRecord, loc string) {
	c.respond(func(x *xw) {
		x.start("result", "xsi:type", "QueryResult")
		x.leaf("done", strconv.FormatBool(loc == ""))
		if loc == "" {
			x.nilLeaf("queryLocator")
		} else {
			x.leaf("queryLocator", loc)
		}
		for _, rec := range page {
			x.record("records", rec, c.api.style, "")
		}
		x.leaf("size", strconv.Itoa(total))
		x.end("result")
	})
}

func (c *soapCall) retrieve() {
	s := c.s
	var fields []string
	for _, f := range strings.Split(c.op.childText("fieldList"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			fields = append(fields, f)
		}
	}
	var ids []string
	for _, n := range c.op.children("ids") {
		ids = append(ids, strings.TrimSpace(n.Text))
	}
	if len(ids) > 2000 {
		c.fault("", "EXCEEDED_ID_LIMIT", "UnexpectedErrorFault", "record limit reached. cannot submit more than 2000 records into this call")
		return
	}
	s.mu.Lock()
	typ := c.op.childText("sObjectType")
	obj := s.objectLocked(typ)
	if obj == nil {
		s.mu.Unlock()
		c.fault("", "INVALID_TYPE", "InvalidSObjectFault", "sObject type '"+typ+"' is not supported.")
		return
	}
	if len(fields) == 0 {
		s.mu.Unlock()
		c.fault("", "MALFORMED_QUERY", "MalformedQueryFault", "fieldList is empty")
		return
	}
	cols, e := s.columnsLocked(obj, fields)
	if e != nil {
		s.mu.Unlock()
		c.failWith(e)
		return
	}
	recs := make([]*orderedRecord, len(ids))
	for i, id := range ids {
		if _, rec := obj.find(id); rec != nil {
			p := s.projectLocked(obj, rec, cols, "v"+c.ver)
			recs[i] = &p
		}
	}
	s.mu.Unlock()
	c.respond(func(x *xw) {
		for _, rec := range recs {
			if rec == nil {
				x.nilLeaf("result")
				continue
			}
			x.record("result", *rec, c.api.style, "")
		}
	})
}
