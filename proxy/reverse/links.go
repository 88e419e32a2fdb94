package reverse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/scope"
)

// The CRMs answer with absolute URLs of their own (Salesforce's login
// instance_url, HubSpot's paging links). A client follows them and would
// leave Veil: reverse mode writes Veil's public base in their place.

type baseKey struct{}

// withPublicBase remembers the base URL the client used to reach Veil
// (config public_url, else the request's scheme and Host), for the response.
func (h *Handler) withPublicBase(r *http.Request) *http.Request {
	base := h.opts.Config.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return r.WithContext(context.WithValue(r.Context(), baseKey{}, base))
}

func publicBase(ctx context.Context) string {
	b, _ := ctx.Value(baseKey{}).(string)
	return b
}

// hubSpotLinks are where HubSpot puts absolute links in a response.
var hubSpotLinks = map[string]bool{"/paging/next/link": true, "/paging/prev/link": true}

// rewriteLinks runs after the inspection of a HubSpot response: a JSON body
// is in memory by then (bounded by limits.max_body_bytes), or streams, and
// the paging links in it get Veil's base.
func (h *Handler) rewriteLinks(res *http.Response) error {
	base := publicBase(res.Request.Context())
	if base == "" || res.StatusCode/100 != 2 || !body.IsJSON(res.Header.Get("Content-Type")) || res.Body == nil || res.Body == http.NoBody {
		return nil
	}
	if ee, ok := res.Body.(body.EnvelopeEditor); ok {
		// A body over the limit streams (proxy/inspect/stream.go): its paging
		// links, in the members after the results, are rebased as they
		// pass. Reading it here would cut it at the limit.
		ee.EditEnvelope(func(doc []byte) []byte {
			out, _ := h.rebaseLinks(doc, base)
			return out
		})
		return nil
	}
	enc := res.Header.Get("Content-Encoding")
	raw, err := io.ReadAll(io.LimitReader(res.Body, h.opts.Config.Limits.MaxBodyBytes+1))
	_ = res.Body.Close()
	if err != nil {
		return err
	}
	setBody(res, raw)
	doc, err := body.ReadAll(bytes.NewReader(raw), enc, h.opts.Config.Limits.MaxBodyBytes)
	if err != nil {
		return nil // inspection already refused what cannot be read
	}
	out, changed := h.rebaseLinks(doc, base)
	if !changed {
		return nil
	}
	if out, err = body.Encode(nil, out, enc); err != nil {
		return err
	}
	setBody(res, out)
	res.Header.Del("Etag")
	res.Header.Del("Content-Md5")
	return nil
}

// rebaseLinks returns doc with its paging links on base, and whether any
// changed.
func (h *Handler) rebaseLinks(doc []byte, base string) ([]byte, bool) {
	if !bytes.Contains(doc, []byte(`"paging"`)) {
		return doc, false
	}
	edits := body.Edits{Replace: map[int][]byte{}}
	_ = body.WalkJSON(doc, body.Limits{MaxDepth: h.opts.Config.Limits.MaxJSONDepth}, func(v *body.Value) error {
		if v.Kind == body.KindString && v.Depth == 3 && hubSpotLinks[v.Pointer()] {
			if to := identity.Rebase(string(v.Str), base); to != string(v.Str) {
				edits.Replace[v.Start] = []byte(to)
			}
		}
		return nil
	})
	if len(edits.Replace) == 0 {
		return doc, false
	}
	out, _, err := body.RewriteJSON(nil, doc, &edits)
	if err != nil {
		return doc, false
	}
	return out, true
}

func setBody(res *http.Response, b []byte) {
	res.Body = ingress.MemoryBody(b)
	res.ContentLength = int64(len(b))
	res.TransferEncoding = nil
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
}

// loginProxy forwards a Salesforce login (OAuth's token endpoint, SOAP's
// login()) and binds the tokens it gets to the principal logging in
// (bind: identity.Resolver.BindResponse, BindSOAPLogin), rewriting the
// URLs the client follows to Veil's base. When they cannot be bound, the
// answer is replaced by refuse's: the client must not get a session Veil
// would not know.
func (h *Handler) loginProxy(rp *httputil.ReverseProxy, bind loginBinder, refuse func(*http.Response, *scope.Scope), soap bool) *httputil.ReverseProxy {
	lp := *rp
	rewrite := rp.Rewrite
	lp.Rewrite = func(pr *httputil.ProxyRequest) {
		rewrite(pr)
		pr.Out.Header.Set("Accept-Encoding", "identity")
	}
	lp.ModifyResponse = ingress.StreamUnlessInMemory(ingress.BoundBody(h.opts.Config.Timeouts.UpstreamResponse, func(res *http.Response) error {
		ctx := res.Request.Context()
		sc := scope.From(ctx)
		h.pace.Observe(time.Since(sc.Start))
		base := publicBase(ctx)
		attempt, _ := identity.AttemptFrom(ctx)
		failed := func(code string, status int) {
			ingress.AuditAuthFailure(ctx, h.opts.Inspector, sc, ingress.AuthFailure{Code: code, UsernameHash: attempt.UsernameHash, Login: true, Status: status})
		}
		err := bind(ctx, sc.Principal, res, func(u string) string { return identity.Rebase(u, base) })
		switch {
		case errors.Is(err, identity.ErrIdentityMismatch):
			// The CRM logged in someone else than the principal's user:
			// nothing bound, answered as a failed login.
			h.opts.Log.Warn("login: the CRM logged in a user other than the principal's", zap.String("request_id", sc.RequestID), zap.String("principal", sc.Principal.ID))
			failed(identity.CodeIdentityMismatch, replaceLoginRefusal(res, sc, soap, identity.CodeIdentityMismatch))
		case err != nil:
			h.opts.Log.Warn("login: the CRM's tokens could not be bound", zap.String("request_id", sc.RequestID), zap.String("principal", sc.Principal.ID), zap.Error(err))
			refuse(res, sc)
		case res.StatusCode == http.StatusOK:
			sc.Outcome = audit.OutcomePassthrough
		case identity.FailedLogin(res, soap):
			// Bad credentials: the same answer as a user Veil does not know.
			failed(identity.CodeCRMLoginFailed, replaceLoginRefusal(res, sc, soap, identity.CodeCRMLoginFailed))
		default:
			sc.Outcome, sc.Code = audit.OutcomeBlocked, identity.CodeCRMLoginFailed
			failed(identity.CodeCRMLoginFailed, res.StatusCode)
		}
		return nil
	}))
	return &lp
}

// loginBinder binds a login's tokens to p and rewrites its URLs.
type loginBinder func(ctx context.Context, p identity.Principal, res *http.Response, rewrite func(string) string) error

// refuseOAuthLogin answers a login whose tokens could not be bound in
// OAuth's format.
func refuseOAuthLogin(res *http.Response, sc *scope.Scope) {
	replaceLogin(res, &identity.LoginError{Status: http.StatusServiceUnavailable, OAuth: "temporarily_unavailable",
		Description: "Veil could not record this login; try again", Code: crm.CodeIdentityUnavailable}, sc)
}

// refuseSOAPLogin answers a SOAP login whose session could not be bound
// with a fault.
func refuseSOAPLogin(res *http.Response, sc *scope.Scope) {
	replaceResponse(res, &crm.Error{Status: http.StatusServiceUnavailable, Code: crm.CodeIdentityUnavailable,
		Message: "Veil could not record this login; try again"}, config.DialectSalesforce, sc)
}

// login serves a token request on a Salesforce route: the principal is
// the CRM user logging in; the request is not inspected (credentials, not
// records) and never logged.
func (h *Handler) login(w http.ResponseWriter, r *http.Request, rt *route, sc *scope.Scope) {
	sc.Call = crm.Call{Operation: crm.OpLogin}
	a, le := h.opts.Identity.LoginAttempt(r.Context(), r)
	if le != nil {
		if le.OAuth == "invalid_grant" {
			h.writeLoginRefusal(w, r, rt, sc, false, le.Code, a.UsernameHash)
			return
		}
		sc.Outcome, sc.Code = audit.OutcomeBlocked, le.Code
		h.opts.Metrics.Requests.WithLabelValues(rt.cfg.Name, "request", audit.OutcomeBlocked).Inc()
		h.opts.Metrics.Blocks.WithLabelValues(rt.cfg.Name, "request", le.Code).Inc()
		if le.Status != http.StatusServiceUnavailable {
			ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, ingress.AuthFailure{Code: le.Code, UsernameHash: a.UsernameHash, Login: true, Status: le.Status})
		}
		writeLoginError(w, le, sc.RequestID)
		return
	}
	sc.Principal, sc.Purpose = a.Principal, "authentication"
	h.opts.Metrics.Requests.WithLabelValues(rt.cfg.Name, "request", audit.OutcomePassthrough).Inc()
	r = r.WithContext(identity.WithAttempt(r.Context(), a))
	rt.login.ServeHTTP(w, h.withPublicBase(r))
}

func writeLoginError(w http.ResponseWriter, le *identity.LoginError, requestID string) {
	b := le.Body()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Veil-Error", le.Code)
	w.Header().Set("Cache-Control", "no-store")
	if requestID != "" {
		w.Header().Set("X-Request-Id", requestID)
	}
	w.WriteHeader(le.Status)
	_, _ = w.Write(b)
}

func replaceLogin(res *http.Response, le *identity.LoginError, sc *scope.Scope) {
	sc.Outcome, sc.Code = audit.OutcomeBlocked, le.Code
	b, _ := json.Marshal(map[string]string{"error": le.OAuth, "error_description": le.Description})
	res.StatusCode, res.Status = le.Status, strconv.Itoa(le.Status)+" "+http.StatusText(le.Status)
	res.Header = http.Header{}
	res.Header.Set("Content-Type", "application/json;charset=UTF-8")
	res.Header.Set("X-Veil-Error", le.Code)
	res.Header.Set("Cache-Control", "no-store")
	setBody(res, b)
}

// isSalesforce reports whether logins on rc are Salesforce's.
func isSalesforce(rc *config.Route) bool { return rc.Dialect == config.DialectSalesforce }

// writeLoginRefusal answers a login Veil refuses and records it, once a
// login to the CRM would have been answered (ingress.LoginPace).
func (h *Handler) writeLoginRefusal(w http.ResponseWriter, r *http.Request, rt *route, sc *scope.Scope, soap bool, code, usernameHash string) {
	status, ct, b := ingress.LoginRefusal(soap, code)
	h.pace.Wait(r.Context(), sc.Start)
	sc.Outcome, sc.Code = audit.OutcomeBlocked, code
	h.opts.Metrics.Requests.WithLabelValues(rt.cfg.Name, "request", audit.OutcomeBlocked).Inc()
	h.opts.Metrics.Blocks.WithLabelValues(rt.cfg.Name, "request", code).Inc()
	ingress.AuditAuthFailure(r.Context(), h.opts.Inspector, sc, ingress.AuthFailure{Code: code, UsernameHash: usernameHash, Login: true, Status: status})
	ingress.SetLoginRefusalHeaders(w.Header(), ct, len(b))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// replaceLoginRefusal makes res the login refusal (LoginRefusal).
func replaceLoginRefusal(res *http.Response, sc *scope.Scope, soap bool, code string) int {
	status, ct, b := ingress.LoginRefusal(soap, code)
	sc.Outcome, sc.Code = audit.OutcomeBlocked, code
	res.StatusCode, res.Status = status, strconv.Itoa(status)+" "+http.StatusText(status)
	res.Header = http.Header{}
	ingress.SetLoginRefusalHeaders(res.Header, ct, len(b))
	setBody(res, b)
	return status
}

// soapLogin serves a SOAP login() on a Salesforce route: the principal is
// the CRM user logging in; the call is not inspected (credentials, not
// records) and never logged. The CRM's answer comes back with serverUrl
// on Veil (loginProxy).
func (h *Handler) soapLogin(w http.ResponseWriter, r *http.Request, rt *route, sc *scope.Scope, env *identity.SOAPEnvelope) {
	sc.Call = crm.Call{Operation: crm.OpLogin}
	a, e := h.opts.Identity.SOAPLoginAttempt(env)
	if e != nil {
		h.writeLoginRefusal(w, r, rt, sc, true, e.Code, a.UsernameHash)
		return
	}
	sc.Principal, sc.Purpose = a.Principal, "authentication"
	h.opts.Metrics.Requests.WithLabelValues(rt.cfg.Name, "request", audit.OutcomePassthrough).Inc()
	r = r.WithContext(identity.WithAttempt(r.Context(), a))
	rt.soapLogin.ServeHTTP(w, h.withPublicBase(r))
}

// replaceResponse makes res Veil's refusal e, in the exchange's style.
func replaceResponse(res *http.Response, e *crm.Error, dialect string, sc *scope.Scope) {
	sc.Outcome, sc.Code = audit.OutcomeBlocked, e.Code
	e.RequestID, e.Style = sc.RequestID, sc.Errors
	status := e.HTTPStatus()
	res.StatusCode, res.Status = status, strconv.Itoa(status)+" "+http.StatusText(status)
	res.Header = http.Header{}
	res.Header.Set("Content-Type", e.ContentType())
	res.Header.Set("X-Veil-Error", e.Code)
	res.Header.Set("Cache-Control", "no-store")
	setBody(res, e.Body(dialect))
}
