// Package reverse is Veil's reverse-mode listener: clients use Veil as the
// CRM's base URL. Requests are matched to a route by path prefix, the caller
// is identified, the request is inspected, and httputil.ReverseProxy (Rewrite,
// never Director) forwards it; ModifyResponse inspects the answer. Bodies the
// inspector leaves alone stream through with pooled buffers.
package reverse

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Inspector is the pipeline as the listener sees it.
type Inspector interface {
	InspectRequest(r *http.Request) *crm.Error
	InspectResponse(res *http.Response) error
}

// Options wire a Handler.
type Options struct {
	Config    *config.Config
	Identity  *identity.Resolver
	Inspector Inspector
	Metrics   *metrics.Metrics
	Log       *zap.Logger
	Transport http.RoundTripper // nil → NewTransport(cfg.Timeouts)
}

// PurposeHeader carries the caller's declared purpose.
const PurposeHeader = config.DefaultPurposeHeader

type route struct {
	cfg       *config.Route
	proxy     *httputil.ReverseProxy
	login     *httputil.ReverseProxy // Salesforce routes: the token endpoint
	soapLogin *httputil.ReverseProxy // Salesforce routes: SOAP's login()
}

// Handler is the reverse-mode http.Handler.
type Handler struct {
	routes []route // longest prefix first
	opts   Options
	chain  http.Handler
}

// New builds the handler for every configured route.
func New(o Options) (*Handler, error) {
	if o.Transport == nil {
		o.Transport = NewTransport(o.Config.Timeouts)
	}
	h := &Handler{opts: o}
	pool := newBufferPool()
	for i := range o.Config.Routes {
		rc := &o.Config.Routes[i]
		up, err := url.Parse(rc.Upstream)
		if err != nil {
			return nil, err
		}
		rp := &httputil.ReverseProxy{
			Rewrite:        h.rewrite(up),
			Transport:      o.Transport,
			ModifyResponse: o.Inspector.InspectResponse,
			ErrorHandler:   h.upstreamError,
			BufferPool:     pool,
			FlushInterval:  -1, // stream what is not inspected as it arrives
		}
		if rc.Dialect == config.DialectHubSpot {
			rp.ModifyResponse = func(res *http.Response) error {
				if err := o.Inspector.InspectResponse(res); err != nil {
					return err
				}
				return h.rewriteLinks(res)
			}
		}
		rp.ModifyResponse = BoundBody(o.Config.Timeouts.UpstreamResponse, rp.ModifyResponse)
		rt := route{cfg: rc, proxy: rp}
		if isSalesforce(rc) {
			rt.login = h.loginProxy(rp, o.Identity.BindResponse, refuseOAuthLogin, false)
			rt.soapLogin = h.loginProxy(rp, o.Identity.BindSOAPLogin, refuseSOAPLogin, true)
		}
		h.routes = append(h.routes, rt)
	}
	sort.SliceStable(h.routes, func(i, j int) bool { return len(h.routes[i].cfg.Prefix) > len(h.routes[j].cfg.Prefix) })
	h.chain = h.withScope(h.withAccessLog(h.withRecover(http.HandlerFunc(h.serve))))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.chain.ServeHTTP(w, r) }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	sc := scope.From(r.Context())
	rt := h.match(r.URL.Path)
	if rt == nil {
		h.fail(w, config.DialectGeneric, sc, &crm.Error{Status: http.StatusNotFound, Code: crm.CodeNoRoute, Message: "no Veil route for this path"})
		return
	}
	sc.Route = rt.cfg
	sc.Errors = crm.StyleFor(rt.cfg.Dialect, r)
	if IsUpgrade(r.Header) && !rt.cfg.AllowUpgrade {
		h.fail(w, rt.cfg.Dialect, sc, upgradeRefused())
		return
	}
	if identity.IsTokenRequest(rt.cfg.Dialect, r) {
		h.login(w, r, rt, sc)
		return
	}
	var env *identity.SOAPEnvelope
	if IsSOAPCall(rt.cfg.Dialect, r) {
		var e *crm.Error
		if env, e = PeekSOAP(r, h.opts.Config.Limits.MaxBodyBytes); e != nil {
			h.fail(w, rt.cfg.Dialect, sc, e)
			return
		}
		if env.IsLogin() {
			h.soapLogin(w, r, rt, sc, env)
			return
		}
	}
	if e := Admit(r.Context(), h.opts.Identity, rt.cfg, sc, r.Header, env); e != nil {
		if f, ok := AdmitFailure(e); ok {
			AuditAuthFailure(r.Context(), h.opts.Inspector, sc, f)
		}
		h.fail(w, rt.cfg.Dialect, sc, e)
		return
	}
	if e := h.opts.Inspector.InspectRequest(r); e != nil {
		h.fail(w, rt.cfg.Dialect, sc, e)
		return
	}
	rt.proxy.ServeHTTP(w, h.withPublicBase(r))
}

// CodeAmbiguousCredentials is the stable code of a request that carries
// more than one CRM credential (identity.ErrAmbiguousCredentials).
const CodeAmbiguousCredentials = "ambiguous_credentials"

// Admit identifies the caller and its purpose for route rc and records both
// in sc, or returns the CRM-shaped refusal. Forward mode shares it. soap
// is a SOAP call's envelope (PeekSOAP), nil for any other request: its
// SessionHeader is a CRM session; so is X-SFDC-Session on a Salesforce
// route (Bulk API 1.0).
func Admit(ctx context.Context, id *identity.Resolver, rc *config.Route, sc *scope.Scope, hdr http.Header, soap *identity.SOAPEnvelope) *crm.Error {
	p, err := id.ResolveRequest(ctx, hdr, identity.Credentials{SOAP: soap, SFDCSession: rc.Dialect == config.DialectSalesforce})
	if err != nil {
		if errors.Is(err, identity.ErrSessionsUnavailable) {
			return &crm.Error{Status: http.StatusServiceUnavailable, Code: crm.CodeIdentityUnavailable, Message: "Veil cannot identify the caller right now (its session store is unreachable)"}
		}
		if errors.Is(err, identity.ErrAmbiguousCredentials) {
			return &crm.Error{Status: http.StatusBadRequest, Code: CodeAmbiguousCredentials,
				Message: "the request carries more than one CRM credential (Authorization, X-SFDC-Session, a SOAP SessionHeader): send one"}
		}
		code := crm.CodeUnknownPrincipal
		if errors.Is(err, identity.ErrNoCredentials) {
			code = crm.CodeUnauthenticated
		}
		// 403, never 401: a 401 makes jsforce refresh its token in a loop.
		return &crm.Error{Status: http.StatusForbidden, Code: code, Message: "the caller is not a known Veil principal"}
	}
	sc.Principal = p
	purpose := strings.TrimSpace(hdr.Get(PurposeHeader))
	switch {
	case purpose == "":
		purpose = rc.Purpose
	case !config.ValidIdent(purpose):
		return &crm.Error{Status: http.StatusBadRequest, Code: crm.CodeInvalidPurpose, Message: "X-Veil-Purpose must be lower-case letters, digits, '_' or '-'"}
	}
	if purpose == "" && rc.RequirePurpose {
		return &crm.Error{Status: http.StatusForbidden, Code: crm.CodePurposeRequired, Message: "this route requires an X-Veil-Purpose header"}
	}
	sc.Purpose = purpose
	return nil
}

func (h *Handler) match(path string) *route {
	for i := range h.routes {
		if strings.HasPrefix(path, h.routes[i].cfg.Prefix) {
			return &h.routes[i]
		}
	}
	return nil
}

// rewrite sends the request to the upstream, keeps the CRM's own headers
// (Authorization included) and removes Veil's.
func (h *Handler) rewrite(up *url.URL) func(*httputil.ProxyRequest) {
	strip := h.opts.Identity.StripHeader()
	idHeader := h.opts.Identity.Header()
	return func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.SetXForwarded()
		for k := range pr.Out.Header {
			if strings.HasPrefix(k, "X-Veil-") {
				delete(pr.Out.Header, k)
			}
		}
		if strip {
			pr.Out.Header.Del(idHeader)
		}
		LimitAcceptEncoding(pr.Out.Header)
	}
}

// decodable are the content codings Veil can inspect (proxy/body).
var decodable = map[string]bool{"gzip": true, "x-gzip": true, "deflate": true, "identity": true}

// LimitAcceptEncoding keeps only the codings Veil can decode, so the CRM
// never answers in one (br, zstd) that would have to be refused.
func LimitAcceptEncoding(h http.Header) {
	v := h.Get("Accept-Encoding")
	if v == "" {
		return
	}
	var keep []string
	for _, part := range strings.Split(v, ",") {
		coding, _, _ := strings.Cut(part, ";")
		if decodable[strings.ToLower(strings.TrimSpace(coding))] {
			keep = append(keep, strings.TrimSpace(part))
		}
	}
	if len(keep) == 0 {
		h.Del("Accept-Encoding")
		return
	}
	h.Set("Accept-Encoding", strings.Join(keep, ", "))
}

// upstreamError answers a failed round trip in the CRM's format.
func (h *Handler) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	sc := scope.From(r.Context())
	kind := "transport"
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		kind, status = "timeout", http.StatusGatewayTimeout
	}
	if errors.Is(err, context.Canceled) {
		kind = "canceled" // the client went away; nobody reads the answer
	}
	h.opts.Metrics.UpstreamErrors.WithLabelValues(sc.Route.Name, kind).Inc()
	h.opts.Log.Warn("upstream request failed", zap.String("request_id", sc.RequestID), zap.String("route", sc.Route.Name), zap.String("kind", kind))
	h.fail(w, sc.Route.Dialect, sc, &crm.Error{Status: status, Code: crm.CodeUpstreamUnavailable, Message: "the CRM could not be reached"})
}

func (h *Handler) fail(w http.ResponseWriter, dialect string, sc *scope.Scope, e *crm.Error) {
	e.RequestID, e.Style = sc.RequestID, sc.Errors
	if sc.Outcome != "blocked" {
		sc.Outcome, sc.Code = "blocked", e.Code
		route := "none"
		if sc.Route != nil {
			route = sc.Route.Name
		}
		h.opts.Metrics.Requests.WithLabelValues(route, "request", "blocked").Inc()
		h.opts.Metrics.Blocks.WithLabelValues(route, "request", e.Code).Inc()
	}
	e.Write(w, dialect)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// NewTransport is the upstream transport: explicit timeouts, HTTP/2, no
// proxy from the environment, no transparent decompression (Veil forwards
// the client's Accept-Encoding and decodes what it inspects itself).
func NewTransport(t config.Timeouts) *http.Transport {
	d := &net.Dialer{Timeout: t.UpstreamDial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   t.UpstreamTLS,
		ResponseHeaderTimeout: t.UpstreamResponse,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// BoundBody bounds the reading of a response's body inside modify by d
// (reverse and forward mode, timeouts.upstream_response):
// the inspector reads a whole body before it answers, and a CRM that sends
// its headers and then stalls must not hold the request (and a goroutine)
// for ever. Past d reads fail as a timeout. A body modify leaves to stream
// is not bounded once modify returns.
func BoundBody(d time.Duration, modify func(*http.Response) error) func(*http.Response) error {
	return func(res *http.Response) error {
		if d <= 0 || res.Body == nil || res.Body == http.NoBody || res.StatusCode == http.StatusSwitchingProtocols {
			return modify(res)
		}
		tb := &timedBody{ReadCloser: res.Body}
		t := time.AfterFunc(d, func() {
			tb.expired.Store(true)
			_ = tb.ReadCloser.Close()
		})
		defer t.Stop()
		res.Body = tb
		return modify(res)
	}
}

type timedBody struct {
	io.ReadCloser
	expired atomic.Bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.expired.Load() {
		err = errBodyTimeout{}
	}
	return n, err
}

// errBodyTimeout is a net.Error that timed out.
type errBodyTimeout struct{}

func (errBodyTimeout) Error() string {
	return "reverse: the upstream body did not arrive within timeouts.upstream_response"
}
func (errBodyTimeout) Timeout() bool   { return true }
func (errBodyTimeout) Temporary() bool { return true }

type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(v []byte) { b.p.Put(&v) }
