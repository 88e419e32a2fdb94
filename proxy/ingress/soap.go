package ingress

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
)

// Salesforce's SOAP API (jsforce's conn.login(user, pass) without an
// OAuth client, Data Loader): a login() is identified by the CRM user
// logging in and its session bound like an OAuth token's; every other
// call by the session in its SOAP SessionHeader.

// IsSOAPCall reports whether r is a call to Salesforce's SOAP API on a
// route of dialect: its envelope says who makes it.
func IsSOAPCall(dialect string, r *http.Request) bool {
	return dialect == config.DialectSalesforce && r.Method == http.MethodPost && crm.SOAPPath(r.URL.Path)
}

// PeekSOAP reads r's body (at most limit bytes, limits.max_body_bytes)
// and its envelope's identity parts (identity.ReadSOAPEnvelope), its
// Content-Encoding undone. The body stays r's, byte for byte, for the
// inspector and the CRM. A body over limit is a 413, one that is no
// envelope Veil reads an invalid_body: both answered as SOAP faults.
func PeekSOAP(r *http.Request, limit int64) (*identity.SOAPEnvelope, *crm.Error) {
	var raw []byte
	if r.Body != nil {
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		_ = r.Body.Close()
		if err != nil {
			if IsTimeout(err) {
				return nil, &crm.Error{Status: http.StatusRequestTimeout, Code: crm.CodeRequestTimeout, Message: "the request body did not arrive in time"}
			}
			return nil, &crm.Error{Status: http.StatusBadRequest, Code: crm.CodeInvalidBody, Message: "the request body could not be read"}
		}
	}
	if int64(len(raw)) > limit {
		return nil, tooLarge(limit)
	}
	SetRequestBody(r, raw)
	doc, err := raw, error(nil)
	if enc := strings.Join(r.Header.Values("Content-Encoding"), ","); strings.Trim(enc, ", ") != "" {
		doc, err = body.ReadAll(bytes.NewReader(raw), enc, limit)
	}
	switch {
	case errors.Is(err, body.ErrTooLarge):
		return nil, tooLarge(limit)
	case errors.Is(err, body.ErrUnsupportedEncoding):
		return nil, &crm.Error{Status: http.StatusUnsupportedMediaType, Code: crm.CodeUnsupportedEncoding, Message: "the body's Content-Encoding is not supported"}
	case err != nil:
		return nil, invalidEnvelope()
	}
	env, err := identity.ReadSOAPEnvelope(doc)
	if err != nil {
		return nil, invalidEnvelope()
	}
	return env, nil
}

func tooLarge(limit int64) *crm.Error {
	return &crm.Error{Status: http.StatusRequestEntityTooLarge, Code: crm.CodeBodyTooLarge,
		Message: "the body is larger than Veil inspects (" + strconv.FormatInt(limit, 10) + " bytes)"}
}

func invalidEnvelope() *crm.Error {
	return &crm.Error{Status: http.StatusBadRequest, Code: crm.CodeInvalidBody,
		Message: "the body is not a SOAP 1.1 envelope Veil reads (no DOCTYPE, one SessionHeader, one username)"}
}

// SetRequestBody makes b r's body: its length, a GetBody for retries, and
// no Expect: the body is in hand (the client had its 100 Continue when
// Veil read it), and waiting for the CRM's would only delay the request.
func SetRequestBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.TransferEncoding = nil
	r.Header.Set("Content-Length", strconv.Itoa(len(b)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Header.Del("Expect")
}
