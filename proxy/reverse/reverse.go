// Package reverse is Veil's reverse-mode listener, for clients that use Veil
// as the CRM's base URL: route by path prefix, identify, inspect, and forward
// with httputil.ReverseProxy (Rewrite, never Director; ModifyResponse inspects).
package reverse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Options wire a Handler.
type Options struct {
	Config    *config.Config
	Identity  *identity.Resolver
	Inspector ingress.Inspector
	Metrics   *metrics.Metrics
	Log       *zap.Logger
	Transport http.RoundTripper // nil → ingress.NewTransport(cfg.Timeouts)
}

type route struct {
	cfg       *config.Route
	proxy     *httputil.ReverseProxy
	login     *httputil.ReverseProxy // Salesforce routes: the token endpoint
	soapLogin *httputil.ReverseProxy // Salesforce routes: SOAP's login()
}

// Handler is the reverse-mode http.Handler. Bodies the inspector leaves
// alone stream through the reverse proxy's copy with pooled buffers.
type Handler struct {
	routes []route // longest prefix first
	opts   Options
	chain  http.Handler
	// pace makes Veil's own login refusals as slow as the CRM's logins.
	pace ingress.LoginPace
}

// New builds the handler for every configured route.
func New(o Options) (*Handler, error) {
	if o.Transport == nil {
		o.Transport = ingress.NewTransport(o.Config.Timeouts)
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
			// Bodies not held in memory stream as they arrive, flushed
			// after every write (ingress.StreamUnlessInMemory); an
			// inspected body is written whole.
			FlushInterval: 0,
		}
		if rc.Dialect == config.DialectHubSpot {
			rp.ModifyResponse = func(res *http.Response) error {
				if err := o.Inspector.InspectResponse(res); err != nil {
					return err
				}
				return h.rewriteLinks(res)
			}
		}
		rp.ModifyResponse = ingress.StreamUnlessInMemory(ingress.BoundBody(o.Config.Timeouts.UpstreamResponse, rp.ModifyResponse))
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
	if ingress.IsUpgrade(r.Header) && !rt.cfg.AllowUpgrade {
		h.fail(w, rt.cfg.Dialect, sc, upgradeRefused())
		return
	}
	if identity.IsTokenRequest(rt.cfg.Dialect, r) {
		h.login(w, r, rt, sc)
		return
	}
	var env *identity.SOAPEnvelope
	if ingress.IsSOAPCall(rt.cfg.Dialect, r) {
		var e *crm.Error
		if env, e = ingress.PeekSOAP(r, h.opts.Config.Limits.MaxBodyBytes); e != nil {
			h.fail(w, rt.cfg.Dialect, sc, e)
			return
		}
		if env.IsLogin() {
			h.soapLogin(w, r, rt, sc, env)
			return
		}
	}
	if e := ingress.Admit(r.Context(), h.opts.Identity, rt.cfg, sc, r.Header, env); e != nil {
		if f, ok := ingress.AdmitFailure(e); ok {
			ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, f)
		}
		h.fail(w, rt.cfg.Dialect, sc, e)
		return
	}
	if e := h.opts.Inspector.InspectRequest(r); e != nil {
		h.fail(w, rt.cfg.Dialect, sc, e)
		return
	}
	if rt.cfg.Dialect == config.DialectHubSpot {
		r = h.withPublicBase(r) // rewriteLinks rebases the paging links on it
	}
	rt.proxy.ServeHTTP(w, r)
}

// upgradeRefused is the refusal of an upgrade on a route without
// allow_upgrade: what an upgraded connection carries (websocket frames, any
// other protocol) is never inspected, so it is no silent channel around
// the inspection.
func upgradeRefused() *crm.Error {
	return &crm.Error{Status: http.StatusForbidden, Code: ingress.CodeUpgradeRefused,
		Message: "connection upgrades (websocket) are refused: what they carry cannot be inspected (routes[].allow_upgrade)"}
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
		ingress.LimitAcceptEncoding(pr.Out.Header)
	}
}

// upstreamError answers a failed round trip in the CRM's format.
func (h *Handler) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	sc := scope.From(r.Context())
	kind := "transport"
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) || ingress.IsTimeout(err) {
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
	if sc.Outcome != audit.OutcomeBlocked {
		sc.Outcome, sc.Code = audit.OutcomeBlocked, e.Code
		route := "none"
		if sc.Route != nil {
			route = sc.Route.Name
		}
		h.opts.Metrics.Requests.WithLabelValues(route, "request", audit.OutcomeBlocked).Inc()
		h.opts.Metrics.Blocks.WithLabelValues(route, "request", e.Code).Inc()
	}
	e.Write(w, dialect)
}

type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(v []byte) { b.p.Put(&v) }
