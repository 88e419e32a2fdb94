package forward

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

// CodeEgressRefused is the stable code of a refused host or upgrade.
const CodeEgressRefused = "egress_refused"

// Auditor records refusals (proxy/audit's *Recorder).
type Auditor interface {
	Record(audit.Event) error
	Alert(audit.Alert) error
}

// Options wire a Handler.
type Options struct {
	Config    *config.Config
	Identity  *identity.Resolver
	Inspector ingress.Inspector
	Metrics   *metrics.Metrics
	Connects  *prometheus.CounterVec // veil_forward_connects_total{decision}; may be nil
	Audit     Auditor                // may be nil
	Log       *zap.Logger
	// TLSConfig mints the leaf for an intercepted host: Veil's CA, e.g.
	// goproxy.TLSConfigFromCA(ca.Certificate()). Required.
	TLSConfig func(host string, ctx *goproxy.ProxyCtx) (*tls.Config, error)
	// CertStore caches leaves across connections (ca.Cache).
	CertStore goproxy.CertStorage
	// Transport to the CRMs and allowlisted plain-HTTP hosts; nil →
	// NewTransport with the system roots and forward.upstream_ca.
	Transport *http.Transport
}

// Handler is the forward-mode http.Handler (a goproxy server). It mints
// leaf certificates with Veil's own CA, never goproxy's built-in one, and
// runs each intercepted request through scope, identity, purpose
// (ingress.Admit), Inspector.InspectRequest, the upstream and
// InspectResponse.
type Handler struct {
	opts  Options
	hosts *hosts
	proxy *goproxy.ProxyHttpServer
	mitm  *goproxy.ConnectAction
	// inspectResponse is the Inspector's, its body read bounded by
	// timeouts.upstream_response: a CRM that stalls mid-body is a 504.
	inspectResponse func(*http.Response) error
	// alerted keeps a client retrying a refused host from flooding the
	// alert stream: one alert per client, host and decision per window.
	alerted *recent
	// pace makes Veil's own login refusals as slow as the CRM's logins.
	pace ingress.LoginPace
}

// conn is what a CONNECT decided, carried to the requests inside it.
type conn struct {
	host  string
	route *config.Route
}

// New builds the forward handler.
func New(o Options) (*Handler, error) {
	if o.TLSConfig == nil {
		return nil, errors.New("forward: no CA to mint leaf certificates (forward.ca_cert)")
	}
	if o.Transport == nil {
		roots, err := rootCAs(o.Config.Forward.UpstreamCA)
		if err != nil {
			return nil, err
		}
		o.Transport = NewTransport(o.Config, roots)
	}
	h := &Handler{opts: o, hosts: newHosts(o.Config), alerted: newRecent(alertWindow, 4096)}
	h.inspectResponse = ingress.BoundBody(o.Config.Timeouts.UpstreamResponse, o.Inspector.InspectResponse)
	h.mitm = &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: o.TLSConfig}
	p := goproxy.NewProxyHttpServer()
	p.Logger = quietLogger{log: o.Log}
	p.Verbose = false
	p.Tr = o.Transport
	d := newDialer(o.Config)
	// Never goproxy's dialerFromEnv: the proxy's own HTTP(S)_PROXY is
	// ignored. The CONNECT's context cancels a dial its client gave up on.
	p.ConnectDial = d.Dial
	p.ConnectDialWithReq = func(r *http.Request, network, addr string) (net.Conn, error) {
		return d.DialContext(r.Context(), network, addr)
	}
	p.CertStore = o.CertStore
	p.NonproxyHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		(&crm.Error{Status: http.StatusBadRequest, Code: crm.CodeNoRoute, Message: "this is Veil's forward proxy: use it as HTTPS_PROXY"}).Write(w, config.DialectGeneric)
	})
	p.OnRequest().HandleConnectFunc(h.connect)
	p.OnRequest().DoFunc(h.request)
	h.proxy = p
	if o.Connects != nil {
		for _, d := range Decisions {
			o.Connects.WithLabelValues(d)
		}
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.proxy.ServeHTTP(w, r) }

func (h *Handler) count(decision string) {
	if h.opts.Connects != nil {
		h.opts.Connects.WithLabelValues(decision).Inc()
	}
}

// connect decides a CONNECT: intercept a CRM host, tunnel an allowed one,
// refuse the rest.
func (h *Handler) connect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	name := hostname(host)
	if rt := h.hosts.route(name); rt != nil {
		h.count(DecisionMITM)
		ctx.UserData = &conn{host: name, route: rt}
		return h.mitm, host
	}
	if h.hosts.tunnel(name) {
		h.count(DecisionTunnel)
		return &goproxy.ConnectAction{Action: goproxy.ConnectAccept}, host
	}
	h.refuse(ctx.Req, name, DecisionRefused)
	ctx.Resp = errorResponse(ctx.Req, config.DialectGeneric, "", &crm.Error{Status: http.StatusForbidden, Code: CodeEgressRefused,
		Message: "Veil does not allow connections to this host (forward.egress)"})
	return &goproxy.ConnectAction{Action: goproxy.ConnectReject}, host
}

// refuse counts, logs (host only) and audits a refused host.
func (h *Handler) refuse(r *http.Request, host, decision string) {
	h.count(decision)
	ip := ingress.ClientIP(r)
	h.opts.Log.Warn("forward refused", zap.String("host", host), zap.String("decision", decision), zap.String("client_ip", ip))
	if h.opts.Audit == nil {
		return
	}
	_ = h.opts.Audit.Record(audit.Event{Kind: audit.KindEgressRefused, Host: host, IP: ip, Outcome: audit.OutcomeBlocked, Code: CodeEgressRefused})
	if !h.alerted.first(ip+" "+host+" "+decision, time.Now()) {
		return // the SOC heard of this client and host a moment ago; the audit trail has every one
	}
	_ = h.opts.Audit.Alert(audit.Alert{Kind: audit.AlertEgressRefused, Severity: audit.SeverityMedium, IP: ip,
		Message: "forward mode refused a connection (" + decision + ")"})
}

// request handles every request the proxy sees: inside an intercepted
// CONNECT (https) or in plain HTTP proxy form.
func (h *Handler) request(r *http.Request, ctx *goproxy.ProxyCtx) (_ *http.Request, res *http.Response) {
	c, _ := ctx.UserData.(*conn)
	name := hostname(r.URL.Host)
	if c == nil || r.URL.Scheme != "https" {
		// Plain HTTP through the proxy: never to a CRM host (it would not
		// be the CRM anyway), otherwise the egress allowlist.
		if h.hosts.route(name) == nil && h.hosts.tunnel(name) {
			h.count(DecisionTunnel)
			return r, nil
		}
		h.refuse(r, name, DecisionRefused)
		return r, errorResponse(r, config.DialectGeneric, "", &crm.Error{Status: http.StatusForbidden, Code: CodeEgressRefused,
			Message: "Veil does not allow this request (forward.egress)"})
	}
	sc := ingress.NewScope(r)
	sc.Route = c.route
	r = r.WithContext(scope.With(r.Context(), sc))
	h.opts.Metrics.Inflight.Inc()
	defer h.opts.Metrics.Inflight.Dec()
	defer func() {
		// goproxy serves intercepted requests on its own goroutines, where
		// net/http's recovery does not reach: a panic would end the process.
		// It ends this exchange instead, in the CRM's format, and is logged
		// without the request.
		if v := recover(); v != nil {
			h.opts.Log.Error("panic serving request", zap.String("mode", "forward"), zap.String("request_id", sc.RequestID), zap.Stack("stack"))
			res = h.fail(r, c.route.Dialect, sc, &crm.Error{Status: http.StatusInternalServerError, Code: crm.CodeInternal, Message: "internal error in Veil"})
			h.accessLog(r, sc, res)
		}
	}()
	res = h.serve(r, c, sc)
	res.Header.Set("X-Request-Id", sc.RequestID)
	h.accessLog(r, sc, res)
	return r, res
}

func (h *Handler) serve(r *http.Request, c *conn, sc *scope.Scope) *http.Response {
	rt := c.route
	sc.Errors = crm.StyleFor(rt.Dialect, r)
	if name := hostname(r.URL.Host); name != c.host {
		// The Host header must name the intercepted host: no smuggling
		// another destination through a CRM tunnel.
		return h.fail(r, rt.Dialect, sc, &crm.Error{Status: http.StatusMisdirectedRequest, Code: CodeEgressRefused, Message: "the request's host differs from the CONNECT host"})
	}
	if ingress.IsUpgrade(r.Header) && !h.opts.Config.Forward.Websocket {
		h.refuse(r, c.host, DecisionWebsocketRefused)
		return h.fail(r, rt.Dialect, sc, &crm.Error{Status: http.StatusForbidden, Code: CodeEgressRefused, Message: "websocket upgrades to CRM hosts are refused: their frames cannot be inspected"})
	}
	if identity.IsTokenRequest(rt.Dialect, r) {
		return h.login(r, sc)
	}
	var env *identity.SOAPEnvelope
	if ingress.IsSOAPCall(rt.Dialect, r) {
		var e *crm.Error
		if env, e = ingress.PeekSOAP(r, h.opts.Config.Limits.MaxBodyBytes); e != nil {
			return h.fail(r, rt.Dialect, sc, e)
		}
		if env.IsLogin() {
			return h.soapLogin(r, sc, env)
		}
	}
	if e := ingress.Admit(r.Context(), h.opts.Identity, rt, sc, r.Header, env); e != nil {
		if f, ok := ingress.AdmitFailure(e); ok {
			ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, f)
		}
		return h.fail(r, rt.Dialect, sc, e)
	}
	if e := h.opts.Inspector.InspectRequest(r); e != nil {
		return h.fail(r, rt.Dialect, sc, e)
	}
	res, err := h.opts.Transport.RoundTrip(h.outbound(r))
	if err != nil {
		return h.upstreamError(r, sc, err)
	}
	res.Request = r // the scope travels with r's context
	if err := h.inspectResponse(res); err != nil {
		_ = res.Body.Close()
		return h.upstreamError(r, sc, err)
	}
	return res
}

// login serves a token request to an intercepted Salesforce host: the
// principal is the CRM user logging in (crm_users); the CRM's tokens are
// bound to it. URLs stay the CRM's: the client is behind HTTPS_PROXY.
func (h *Handler) login(r *http.Request, sc *scope.Scope) *http.Response {
	sc.Call = crm.Call{Operation: crm.OpLogin}
	a, le := h.opts.Identity.LoginAttempt(r.Context(), r)
	if le != nil {
		if le.OAuth == "invalid_grant" {
			h.pace.Wait(r.Context(), sc.Start)
			return h.loginRefusal(r, sc, false, le.Code, a.UsernameHash)
		}
		if le.Status != http.StatusServiceUnavailable {
			ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, ingress.AuthFailure{Code: le.Code, UsernameHash: a.UsernameHash, Login: true, Status: le.Status})
		}
		return h.loginError(r, sc, le)
	}
	sc.Principal, sc.Purpose = a.Principal, "authentication"
	r = r.WithContext(identity.WithAttempt(r.Context(), a))
	out := h.outbound(r)
	out.Header.Set("Accept-Encoding", "identity")
	res, err := h.opts.Transport.RoundTrip(out)
	if err != nil {
		return h.upstreamError(r, sc, err)
	}
	h.pace.Observe(time.Since(sc.Start))
	res.Request = r
	bind := ingress.BoundBody(h.opts.Config.Timeouts.UpstreamResponse, func(res *http.Response) error {
		return h.opts.Identity.BindResponse(r.Context(), a.Principal, res, nil)
	})
	if err := bind(res); err != nil {
		_ = res.Body.Close()
		if errors.Is(err, identity.ErrIdentityMismatch) {
			h.opts.Log.Warn("login: the CRM logged in a user other than the principal's", zap.String("request_id", sc.RequestID), zap.String("principal", a.Principal.ID))
			return h.loginRefusal(r, sc, false, identity.CodeIdentityMismatch, a.UsernameHash)
		}
		h.opts.Log.Warn("login: the CRM's tokens could not be bound", zap.String("request_id", sc.RequestID), zap.String("principal", a.Principal.ID), zap.Error(err))
		return h.loginError(r, sc, &identity.LoginError{Status: http.StatusServiceUnavailable, OAuth: "temporarily_unavailable",
			Description: "Veil could not record this login; try again", Code: crm.CodeIdentityUnavailable})
	}
	return h.loginAnswer(r, sc, res, false, a)
}

// soapLogin serves a SOAP login() to an intercepted Salesforce host: the
// principal is the CRM user logging in (crm_users); the session the CRM
// answers with is bound to it. serverUrl stays the CRM's: the client is
// behind HTTPS_PROXY. The call is not inspected (credentials).
func (h *Handler) soapLogin(r *http.Request, sc *scope.Scope, env *identity.SOAPEnvelope) *http.Response {
	sc.Call = crm.Call{Operation: crm.OpLogin}
	a, e := h.opts.Identity.SOAPLoginAttempt(env)
	if e != nil {
		h.pace.Wait(r.Context(), sc.Start)
		return h.loginRefusal(r, sc, true, e.Code, a.UsernameHash)
	}
	sc.Principal, sc.Purpose = a.Principal, "authentication"
	r = r.WithContext(identity.WithAttempt(r.Context(), a))
	out := h.outbound(r)
	out.Header.Set("Accept-Encoding", "identity")
	res, err := h.opts.Transport.RoundTrip(out)
	if err != nil {
		return h.upstreamError(r, sc, err)
	}
	h.pace.Observe(time.Since(sc.Start))
	res.Request = r
	bind := ingress.BoundBody(h.opts.Config.Timeouts.UpstreamResponse, func(res *http.Response) error {
		return h.opts.Identity.BindSOAPLogin(r.Context(), a.Principal, res, nil)
	})
	if err := bind(res); err != nil {
		_ = res.Body.Close()
		if errors.Is(err, identity.ErrIdentityMismatch) {
			h.opts.Log.Warn("login: the CRM logged in a user other than the principal's", zap.String("request_id", sc.RequestID), zap.String("principal", a.Principal.ID))
			return h.loginRefusal(r, sc, true, identity.CodeIdentityMismatch, a.UsernameHash)
		}
		h.opts.Log.Warn("login: the CRM's session could not be bound", zap.String("request_id", sc.RequestID), zap.String("principal", a.Principal.ID), zap.Error(err))
		return h.fail(r, sc.Route.Dialect, sc, &crm.Error{Status: http.StatusServiceUnavailable, Code: crm.CodeIdentityUnavailable,
			Message: "Veil could not record this login; try again"})
	}
	return h.loginAnswer(r, sc, res, true, a)
}

// loginAnswer is the CRM's answer to a login: a success as it is, bad
// credentials as Veil's login refusal (the answer to a user it does not
// know), another failure as it is; every failure is audited.
func (h *Handler) loginAnswer(r *http.Request, sc *scope.Scope, res *http.Response, soap bool, a identity.Attempt) *http.Response {
	if res.StatusCode == http.StatusOK {
		sc.Outcome = audit.OutcomePassthrough
		return res
	}
	if identity.FailedLogin(res, soap) {
		_ = res.Body.Close()
		return h.loginRefusal(r, sc, soap, identity.CodeCRMLoginFailed, a.UsernameHash)
	}
	sc.Outcome, sc.Code = audit.OutcomeBlocked, identity.CodeCRMLoginFailed
	ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, ingress.AuthFailure{Code: identity.CodeCRMLoginFailed, UsernameHash: a.UsernameHash, Login: true, Status: res.StatusCode})
	return res
}

// loginRefusal is the answer to a refused or failed login
// (ingress.LoginRefusal: the same whoever refused it), audited.
func (h *Handler) loginRefusal(r *http.Request, sc *scope.Scope, soap bool, code, usernameHash string) *http.Response {
	status, ct, b := ingress.LoginRefusal(soap, code)
	if sc.Outcome != audit.OutcomeBlocked {
		h.opts.Metrics.Requests.WithLabelValues(sc.Route.Name, "request", audit.OutcomeBlocked).Inc()
		h.opts.Metrics.Blocks.WithLabelValues(sc.Route.Name, "request", code).Inc()
	}
	sc.Outcome, sc.Code = audit.OutcomeBlocked, code
	ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, ingress.AuthFailure{Code: code, UsernameHash: usernameHash, Login: true, Status: status})
	res := &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Request: r, ContentLength: int64(len(b)),
		Body: readCloser{strings.NewReader(string(b))},
	}
	ingress.SetLoginRefusalHeaders(res.Header, ct, len(b))
	return res
}

func (h *Handler) loginError(r *http.Request, sc *scope.Scope, le *identity.LoginError) *http.Response {
	sc.Outcome, sc.Code = audit.OutcomeBlocked, le.Code
	h.opts.Metrics.Requests.WithLabelValues(sc.Route.Name, "request", audit.OutcomeBlocked).Inc()
	h.opts.Metrics.Blocks.WithLabelValues(sc.Route.Name, "request", le.Code).Inc()
	b := le.Body()
	res := &http.Response{
		StatusCode: le.Status, Status: strconv.Itoa(le.Status) + " " + http.StatusText(le.Status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Request: r, ContentLength: int64(len(b)),
		Body: readCloser{strings.NewReader(string(b))},
	}
	res.Header.Set("Content-Type", "application/json;charset=UTF-8")
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	res.Header.Set("X-Veil-Error", le.Code)
	res.Header.Set("Cache-Control", "no-store")
	return res
}

// outbound is r as it goes to the CRM: Veil's and the proxy's headers
// removed, hop-by-hop headers too unless an allowed upgrade, the codings
// narrowed to what Veil decodes.
func (h *Handler) outbound(r *http.Request) *http.Request {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Body = r.Body // Clone shares it; InspectRequest may have replaced it (ContentLength set there)
	out.URL.RawQuery = cleanQuery(out.URL.RawQuery)
	for k := range out.Header {
		if strings.HasPrefix(k, "X-Veil-") || strings.HasPrefix(k, "Proxy-") {
			delete(out.Header, k)
		}
	}
	if !ingress.IsUpgrade(r.Header) {
		removeHopByHop(out.Header) // an allowed upgrade keeps Connection and Upgrade
	}
	if h.opts.Identity.StripHeader() {
		out.Header.Del(h.opts.Identity.Header())
	}
	ingress.LimitAcceptEncoding(out.Header)
	return out
}

// cleanQuery re-encodes a query that url.ParseQuery cannot read whole (a
// raw ';', a bad %-escape) from the pairs it can, as httputil.ReverseProxy
// does in reverse mode: the pairs it drops were never inspected (the
// inspector reads r.URL.Query()), so they never reach the CRM either.
func cleanQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err == nil {
		return raw
	}
	return q.Encode()
}

func (h *Handler) upstreamError(r *http.Request, sc *scope.Scope, err error) *http.Response {
	kind, status := "transport", http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) || ingress.IsTimeout(err) {
		kind, status = "timeout", http.StatusGatewayTimeout
	}
	if errors.Is(err, context.Canceled) {
		kind = "canceled"
	}
	h.opts.Metrics.UpstreamErrors.WithLabelValues(sc.Route.Name, kind).Inc()
	h.opts.Log.Warn("upstream request failed", zap.String("request_id", sc.RequestID), zap.String("route", sc.Route.Name), zap.String("kind", kind))
	return h.fail(r, sc.Route.Dialect, sc, &crm.Error{Status: status, Code: crm.CodeUpstreamUnavailable, Message: "the CRM could not be reached"})
}

// fail counts a refusal like reverse mode and renders it in the dialect.
func (h *Handler) fail(r *http.Request, dialect string, sc *scope.Scope, e *crm.Error) *http.Response {
	if sc.Outcome != audit.OutcomeBlocked {
		sc.Outcome, sc.Code = audit.OutcomeBlocked, e.Code
		h.opts.Metrics.Requests.WithLabelValues(sc.Route.Name, "request", audit.OutcomeBlocked).Inc()
		h.opts.Metrics.Blocks.WithLabelValues(sc.Route.Name, "request", e.Code).Inc()
	}
	e.Style = sc.Errors
	return errorResponse(r, dialect, sc.RequestID, e)
}

// accessLog writes one line per exchange (ingress.LogRequest), after the
// audit event of what no stage audited (ingress.AuditRest): a response
// the inspector took is audited when it ends, streamed or not.
func (h *Handler) accessLog(r *http.Request, sc *scope.Scope, res *http.Response) {
	ingress.AuditRest(r.Context(), h.opts.Inspector, sc, r.Method, res.StatusCode)
	ingress.LogRequest(h.opts.Log, "forward", r, sc, res.StatusCode, -1)
}

// errorResponse renders e as a response to r.
func errorResponse(r *http.Request, dialect, requestID string, e *crm.Error) *http.Response {
	e.RequestID = requestID
	b := e.Body(dialect)
	status := e.HTTPStatus()
	res := &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Request: r, ContentLength: int64(len(b)),
		Body: readCloser{strings.NewReader(string(b))},
	}
	res.Header.Set("Content-Type", e.ContentType())
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	res.Header.Set("X-Veil-Error", e.Code)
	if e.DecisionID != "" {
		res.Header.Set("X-Veil-Decision-Id", e.DecisionID)
	}
	if requestID != "" {
		res.Header.Set("X-Request-Id", requestID)
	}
	return res
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// hopByHop are the RFC 9110 7.6.1 connection-specific fields (the Proxy-*
// ones are removed with Veil's own headers).
var hopByHop = []string{"Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// removeHopByHop drops the connection-specific fields and every field the
// Connection header names, as httputil.ReverseProxy does in reverse mode.
func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
}

// quietLogger keeps goproxy's messages out of the logs' values: only the
// format string is logged (its arguments hold URLs), at debug level.
type quietLogger struct{ log *zap.Logger }

func (q quietLogger) Printf(format string, _ ...any) {
	if q.log != nil {
		q.log.Debug("goproxy", zap.String("event", format))
	}
}
