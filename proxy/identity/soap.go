package identity

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// Salesforce's SOAP API (Partner /services/Soap/u/, Enterprise
// /services/Soap/c/): a login() call carries a username and a password in
// its Body, every later call its session in the Header's SessionHeader.
// Veil reads only those parts of an envelope, with a reader that refuses
// what a hostile body could use against an XML parser.

// SOAPEnvelopeNS is the SOAP 1.1 envelope namespace, the only one
// Salesforce's SOAP API speaks.
const SOAPEnvelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"

// maxSOAPDepth bounds element nesting: Salesforce's envelopes are a few
// levels deep, a query's sObject a few more.
const maxSOAPDepth = 32

// ErrSOAPEnvelope is a body Veil does not read as a SOAP envelope: not
// XML, not SOAP 1.1, a DOCTYPE or an entity declaration, nesting past 32,
// an ambiguous identity part (two SessionHeaders, two usernames). It never
// holds the body's bytes.
var ErrSOAPEnvelope = errors.New("identity: the body is not a SOAP envelope Veil reads")

// SOAPEnvelope is what identifies a SOAP call. It never holds a password.
type SOAPEnvelope struct {
	Operation string // the Body's first child's local name: login, query, create…
	Namespace string // its namespace: urn:partner.soap.sforce.com, urn:enterprise.soap.sforce.com…
	// SessionHeader reports that the Header holds a SessionHeader;
	// SessionID is its sessionId (surrounding spaces removed).
	SessionHeader bool
	SessionID     string
	// Username is a login's username as sent (the crm_users lookup trims
	// it and ignores case).
	Username string
}

// IsLogin reports whether the call is a login().
func (e *SOAPEnvelope) IsLogin() bool { return e.Operation == "login" }

// ReadSOAPEnvelope reads the identity parts of a SOAP envelope: strict
// XML in UTF-8, no DOCTYPE or other directive, no processing instruction
// but the leading XML declaration, only XML's five predefined entities,
// nesting at most 32 deep. The Header, when there is one, comes before the
// Body; at most one SessionHeader with at most one sessionId.
//
// Reading stops at the Body's first child (the operation) except for a
// login, which is read to the end of the envelope (it is small): a second
// username, or a second operation after it, could make the CRM log in a
// user other than the one Veil binds the session to, and is refused. The
// password's text is passed over, never copied.
func ReadSOAPEnvelope(doc []byte) (*SOAPEnvelope, error) {
	s := newSOAPReader(doc)
	tok, _, err := s.next()
	for err == nil && isSpace(tok) {
		tok, _, err = s.next()
	}
	if err != nil {
		return nil, ErrSOAPEnvelope
	}
	if !s.isStart(tok, SOAPEnvelopeNS, "Envelope") {
		return nil, ErrSOAPEnvelope
	}
	env := &SOAPEnvelope{}
	seenHeader := false
	for {
		tok, _, err := s.next()
		if err != nil {
			return nil, ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return nil, ErrSOAPEnvelope
			}
		case xml.StartElement:
			switch {
			case !seenHeader && s.isStart(t, SOAPEnvelopeNS, "Header"):
				seenHeader = true
				if err := s.readHeader(env); err != nil {
					return nil, err
				}
			case s.isStart(t, SOAPEnvelopeNS, "Body"):
				if err := s.readBody(env); err != nil {
					return nil, err
				}
				return env, nil
			default:
				return nil, ErrSOAPEnvelope
			}
		default: // the Envelope's end: no Body
			return nil, ErrSOAPEnvelope
		}
	}
}

// readHeader reads the Header's children up to its end: a SessionHeader
// (in any namespace: the CRM must not read one Veil passed over) gives
// the session.
func (s *soapReader) readHeader(env *SOAPEnvelope) error {
	for {
		tok, _, err := s.next()
		if err != nil {
			return ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "SessionHeader" {
				if err := s.skip(); err != nil {
					return err
				}
				continue
			}
			if env.SessionHeader {
				return ErrSOAPEnvelope
			}
			env.SessionHeader = true
			if err := s.readSessionHeader(env); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func (s *soapReader) readSessionHeader(env *SOAPEnvelope) error {
	id, _, err := s.onlyChild("sessionId")
	env.SessionID = strings.TrimSpace(id)
	return err
}

// onlyChild reads the current element's children to its end: the text of
// its one child named name (found false when it has none; a second is
// refused), every other child passed over, its text never kept.
func (s *soapReader) onlyChild(name string) (text string, found bool, err error) {
	for {
		tok, _, err := s.next()
		if err != nil {
			return "", false, ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != name {
				if err := s.skip(); err != nil {
					return "", false, err
				}
				continue
			}
			if found {
				return "", false, ErrSOAPEnvelope
			}
			found = true
			if text, _, _, err = s.text(); err != nil {
				return "", false, err
			}
		case xml.EndElement:
			return text, found, nil
		}
	}
}

// readBody reads the operation; a login to the end of the envelope.
func (s *soapReader) readBody(env *SOAPEnvelope) error {
	for {
		tok, _, err := s.next()
		if err != nil {
			return ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return ErrSOAPEnvelope
			}
		case xml.StartElement:
			env.Operation, env.Namespace = t.Name.Local, t.Name.Space
			if !env.IsLogin() {
				return nil // the rest is the inspector's to read
			}
			if err := s.readLogin(env); err != nil {
				return err
			}
			return s.rest()
		default: // the Body's end: no operation
			return ErrSOAPEnvelope
		}
	}
}

// readLogin reads login's children: exactly one username; the password
// and anything else are passed over (their text is not kept).
func (s *soapReader) readLogin(env *SOAPEnvelope) error {
	name, found, err := s.onlyChild("username")
	if err != nil {
		return err
	}
	if !found {
		return ErrSOAPEnvelope
	}
	env.Username = name
	return nil
}

// rest reads what follows a login: no other element in the Body, then the
// ends of Body and Envelope, then nothing but spaces and comments.
func (s *soapReader) rest() error {
	ends := 0
	for {
		tok, _, err := s.next()
		if err == io.EOF && ends == 2 {
			return nil
		}
		if err != nil {
			return ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return ErrSOAPEnvelope
			}
		case xml.EndElement:
			ends++
		default:
			return ErrSOAPEnvelope
		}
	}
}

// soapReader is a hardened token reader over a document in memory.
type soapReader struct {
	d     *xml.Decoder
	depth int
	n     int // tokens read
}

func newSOAPReader(doc []byte) *soapReader {
	d := xml.NewDecoder(bytes.NewReader(doc))
	// Strict, with no Entity map, no AutoClose and no CharsetReader: well
	// formed XML in UTF-8 with only the five predefined entities.
	d.Strict = true
	return &soapReader{d: d}
}

// next returns the next element boundary or text, and the input offset
// where it begins. Comments are passed over; a directive (DOCTYPE,
// ENTITY…), a processing instruction other than a leading XML declaration,
// nesting past maxSOAPDepth or an attribute given twice is an error. At
// the end of the input it returns io.EOF.
func (s *soapReader) next() (xml.Token, int64, error) {
	for {
		at := s.d.InputOffset()
		tok, err := s.d.Token()
		if err == io.EOF {
			if s.depth != 0 {
				return nil, at, ErrSOAPEnvelope
			}
			return nil, at, io.EOF
		}
		if err != nil {
			return nil, at, ErrSOAPEnvelope // never the decoder's message: it may quote the body
		}
		first := s.n == 0
		s.n++
		switch t := tok.(type) {
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return nil, at, ErrSOAPEnvelope
			}
			continue
		case xml.Directive:
			return nil, at, ErrSOAPEnvelope
		case xml.Comment:
			continue
		case xml.StartElement:
			if s.depth++; s.depth > maxSOAPDepth || dupAttr(t.Attr) {
				return nil, at, ErrSOAPEnvelope
			}
		case xml.EndElement:
			s.depth--
		}
		return tok, at, nil
	}
}

// dupAttr reports an attribute given twice (after namespace translation:
// two prefixes of one namespace count as one name).
func dupAttr(attrs []xml.Attr) bool {
	if len(attrs) <= 8 {
		for i := range attrs {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[xml.Name]bool, len(attrs))
	for _, a := range attrs {
		if seen[a.Name] {
			return true
		}
		seen[a.Name] = true
	}
	return false
}

// skip passes over the rest of the element just started.
func (s *soapReader) skip() error {
	for depth := s.depth; s.depth >= depth; {
		if _, _, err := s.next(); err != nil {
			return ErrSOAPEnvelope
		}
	}
	return nil
}

// text reads the rest of the element just started, which must hold text
// only, and returns the text and where its raw bytes begin and end in the
// document (start == end for an empty or self-closing element).
func (s *soapReader) text() (string, int64, int64, error) {
	start := s.d.InputOffset()
	var b strings.Builder
	for {
		tok, at, err := s.next()
		if err != nil {
			return "", 0, 0, ErrSOAPEnvelope
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), start, at, nil
		default:
			return "", 0, 0, ErrSOAPEnvelope
		}
	}
}

func (s *soapReader) isStart(tok xml.Token, space, local string) bool {
	t, ok := tok.(xml.StartElement)
	return ok && t.Name.Space == space && t.Name.Local == local
}

func isSpace(tok xml.Token) bool {
	t, ok := tok.(xml.CharData)
	return ok && len(bytes.TrimSpace(t)) == 0
}
