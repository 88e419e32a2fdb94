package identity

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// InvalidLoginMessage is Salesforce's wording of a failed login, which
// does not say whether the user or the password was wrong.
const InvalidLoginMessage = "Invalid username, password, security token; or user locked out."

// SOAPLogin says which principal a SOAP login() (env, from
// ReadSOAPEnvelope) logs in: the principal whose crm_users holds its
// username, as for OAuth's password grant.
func (r *Resolver) SOAPLogin(env *SOAPEnvelope) (Principal, *crm.Error) {
	a, e := r.SOAPLoginAttempt(env)
	return a.Principal, e
}

// SOAPLoginAttempt is SOAPLogin with the attempt (LoginAttempt). A user
// who does not log in through Veil, or a username that is not printable
// ASCII without spaces, is answered as Salesforce answers bad credentials
// (InvalidLoginFault: a LoginFault INVALID_LOGIN, HTTP 500): a client
// cannot tell from it whether the user exists at the CRM or at Veil.
func (r *Resolver) SOAPLoginAttempt(env *SOAPEnvelope) (Attempt, *crm.Error) {
	var a Attempt
	if env == nil || !env.IsLogin() {
		return a, InvalidLoginFault(CodeUnknownPrincipal)
	}
	a.UsernameHash = r.users.HashUsername(env.Username)
	if !config.ValidCRMUsername(env.Username) {
		return a, InvalidLoginFault(CodeInvalidUsername)
	}
	p, ok := r.crmUser(env.Username)
	if !ok {
		return a, InvalidLoginFault(CodeUnknownPrincipal)
	}
	a.Principal, a.Username = p, env.Username
	return a, nil
}

// BindSOAPLogin reads a successful SOAP login's answer (loginResponse, at
// most 1 MiB, gzip undone), binds its sessionId to p for
// identity.sessions.ttl or the CRM's shorter userInfo.sessionSecondsValid,
// and, when rewrite is set, passes serverUrl and metadataServerUrl through
// it so that the client's next calls come back to Veil. Only those
// elements' text changes: the rest of the body is the CRM's byte for
// byte. The body is replaced (uncompressed, with its Content-Length, no
// ETag). A response that is not a 200 (a fault) passes untouched. An error
// means the login must not reach the client: its session could not be
// bound, so its calls would be refused; ErrIdentityMismatch, that the
// CRM logged in a user other than p's (verifyUser). Neither the session
// nor any other value of the body is in the error.
func (r *Resolver) BindSOAPLogin(ctx context.Context, p Principal, res *http.Response, rewrite func(string) string) error {
	if res.StatusCode != http.StatusOK || r.sessions == nil {
		return nil
	}
	b, err := readLoginResponse(res)
	if err != nil {
		return err
	}
	lr, err := readLoginResult(b)
	if err != nil {
		return err
	}
	// The user the CRM logged in: result/userId against p's declared
	// ids, userInfo/userName against the username logged in.
	if err := r.verifyUser(ctx, p, lr.userID, lr.userName, true); err != nil {
		return err
	}
	ttl := r.sessCfg.TTL
	if lr.secondsValid != "" {
		if secs, err := strconv.ParseInt(strings.TrimSpace(lr.secondsValid), 10, 64); err == nil {
			ttl = r.sessionTTL(secs)
		}
	}
	if err := r.sessions.Bind(ctx, lr.sessionID, p.ID, ttl); err != nil {
		return err
	}
	if rewrite != nil {
		b = rewriteSpans(b, lr.urls, rewrite)
	}
	setLoginResponse(res, b)
	return nil
}

// span is the raw text of an element in a document: [start, end).
type span struct {
	start, end int64
	text       string
}

type loginResult struct {
	sessionID    string
	secondsValid string
	userID       string // result/userId
	userName     string // result/userInfo/userName
	urls         []span // serverUrl, metadataServerUrl
}

var errLoginResponse = errors.New("identity: the SOAP login response has no single sessionId in Envelope/Body/loginResponse/result")

// readLoginResult reads Envelope › Body › loginResponse › result with the
// hardened reader: exactly one sessionId, the URLs' spans, userInfo's
// sessionSecondsValid.
func readLoginResult(doc []byte) (*loginResult, error) {
	s := newSOAPReader(doc)
	lr := &loginResult{}
	sessions := 0
	// path holds the local names of the open elements down the expected
	// way; deeper or elsewhere is passed over.
	want := []struct{ space, local string }{{SOAPEnvelopeNS, "Envelope"}, {SOAPEnvelopeNS, "Body"}, {"", "loginResponse"}, {"", "result"}}
	level := 0 // how many of want are open
	roots := 0
	for {
		tok, _, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if s.depth == 1 {
				if roots++; roots > 1 {
					return nil, ErrSOAPEnvelope
				}
			}
			switch {
			case level < len(want) && s.depth == level+1 && t.Name.Local == want[level].local && (want[level].space == "" || t.Name.Space == want[level].space):
				level++
			case level == len(want) && s.depth == level+1:
				switch t.Name.Local {
				case "sessionId":
					text, _, _, err := s.text()
					if err != nil {
						return nil, err
					}
					lr.sessionID = strings.TrimSpace(text)
					sessions++
				case "userId":
					text, _, _, err := s.text()
					if err != nil {
						return nil, err
					}
					lr.userID = strings.TrimSpace(text)
				case "serverUrl", "metadataServerUrl":
					text, start, end, err := s.text()
					if err != nil {
						return nil, err
					}
					lr.urls = append(lr.urls, span{start, end, text})
				case "userInfo":
					if err := lr.readUserInfo(s); err != nil {
						return nil, err
					}
				default:
					if err := s.skip(); err != nil {
						return nil, err
					}
				}
			default:
				if s.depth == 1 {
					return nil, ErrSOAPEnvelope // the root is not a SOAP Envelope
				}
				if err := s.skip(); err != nil {
					return nil, err
				}
			}
		case xml.EndElement:
			if s.depth < level {
				level = s.depth
			}
		}
	}
	if sessions != 1 || lr.sessionID == "" {
		return nil, errLoginResponse
	}
	return lr, nil
}

func (lr *loginResult) readUserInfo(s *soapReader) error {
	for depth := s.depth; ; {
		tok, _, err := s.next()
		if err != nil {
			return ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if s.depth != depth+1 || (t.Name.Local != "sessionSecondsValid" && t.Name.Local != "userName") {
				if err := s.skip(); err != nil {
					return err
				}
				continue
			}
			text, _, _, err := s.text()
			if err != nil {
				return err
			}
			if t.Name.Local == "userName" {
				lr.userName = strings.TrimSpace(text)
			} else {
				lr.secondsValid = text
			}
		case xml.EndElement:
			if s.depth < depth {
				return nil
			}
		}
	}
}

// rewriteSpans returns doc with each span's text replaced by
// rewrite(text), XML-escaped; the bytes around are doc's.
func rewriteSpans(doc []byte, spans []span, rewrite func(string) string) []byte {
	var out bytes.Buffer
	last := int64(0)
	for _, sp := range spans {
		if sp.start >= sp.end || sp.start < last || sp.end > int64(len(doc)) {
			continue // empty (perhaps <serverUrl/>): nothing to rebase
		}
		to := rewrite(sp.text)
		if to == sp.text {
			continue
		}
		out.Write(doc[last:sp.start])
		_ = xml.EscapeText(&out, []byte(to))
		last = sp.end
	}
	if last == 0 {
		return doc
	}
	out.Write(doc[last:])
	return out.Bytes()
}
