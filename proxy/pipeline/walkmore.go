package pipeline

import (
	"bytes"
	"strconv"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
)

// maxMultipartDepth bounds multipart nested in multipart.
const maxMultipartDepth = 4

// walkText scans a free-text body as one value: text/plain, HTML, or CSV
// and JSON that did not say what they are but are not read as such.
func (p *Pipeline) walkText(m *Message, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding) {
	scratch := p.scanner.Scan(nil, m.Body, detectors.Field{})
	if len(scratch) == 0 {
		return leaves, finds
	}
	leaves = append(leaves, leaf{start: 0, end: len(m.Body), value: m.Body, pointer: "", record: -1,
		from: len(finds), to: len(finds) + len(scratch)})
	return leaves, append(finds, scratch...)
}

// multipartState is what the walk of a multipart body keeps for its
// rewrite: the parts as split, and how each was read.
type multipartState struct {
	parts []body.Part
	read  []partRead // by part index
}

// partRead is how one part was read: its format, the wrapping taken off
// (charset, JSONP), its text, and for a multipart or XML part what its own
// walk kept.
type partRead struct {
	sub    *Message // nil: not read (binary, or a charset Veil does not read)
	wrap   Wrapping
	prefix string // the part's pointer prefix: /parts/<index>
}

// walkMultipart scans a multipart body part by part, each by its own
// Content-Type (and its bytes, as for a whole body), with every value's
// pointer under /parts/<index>. A part Veil cannot read (a file whose
// bytes are binary, a charset it does not decode) leaves the body not
// inspected, which the policy decides about. The preamble and epilogue,
// which no CRM reads, and the parts' names and file names are scanned
// too: personal data there cannot be rewritten, so unless the policy
// allows it the message is refused (refusal).
func (p *Pipeline) walkMultipart(m *Message, records *recordTable, leaves []leaf, finds []detectors.Finding, depth int) ([]leaf, []detectors.Finding, error) {
	if depth >= maxMultipartDepth {
		return leaves, finds, &body.Error{Code: body.CodeTooDeep}
	}
	boundary := MediaParam(m.ContentType, "boundary")
	pre, epi, parts, err := body.SplitMultipart(m.Body, boundary, body.MultipartLimits{})
	if err != nil {
		return leaves, finds, err
	}
	st := &multipartState{parts: parts, read: make([]partRead, len(parts))}
	m.multipart = st
	var scratch []detectors.Finding
	named := func(value []byte, pointer string) {
		if len(value) == 0 {
			return
		}
		scratch = p.scanner.Scan(scratch[:0], value, detectors.Field{})
		if len(scratch) > 0 {
			leaves = append(leaves, leaf{value: bytes.Clone(value), pointer: pointer, record: -1, name: true,
				from: len(finds), to: len(finds) + len(scratch)})
			finds = append(finds, scratch...)
		}
	}
	named(m.Body[pre[0]:pre[1]], "/preamble")
	named(m.Body[epi[0]:epi[1]], "/epilogue")
	for i := range parts {
		pt := &parts[i]
		prefix := "/parts/" + strconv.Itoa(i)
		st.read[i].prefix = prefix
		named([]byte(pt.Name), prefix+"/name")
		named([]byte(pt.Filename), prefix+"/filename")
		ct := pt.MediaType
		if b := pt.Params["boundary"]; b != "" {
			ct += "; boundary=\"" + b + "\""
		}
		format := BodyFormat(ct, pt.Body)
		if format == FormatBinary {
			m.notInspected(ReasonBinary)
			continue
		}
		text, w, err := Unwrap(format, pt.Params["charset"], pt.Body)
		if err != nil {
			if body.ErrorCode(err) == body.CodeUnsupportedCharset {
				m.notInspected(ReasonUnsupportedCharset)
				continue
			}
			return leaves, finds, err
		}
		sub := &Message{Direction: m.Direction, Route: m.Route, Call: m.Call, Method: m.Method, Path: m.Path,
			Scope: m.Scope, Format: format, ContentType: ct, Body: text, Info: m.Info}
		from := len(leaves)
		if format == FormatMultipart {
			leaves, finds, err = p.walkMultipart(sub, records, leaves, finds, depth+1)
		} else {
			leaves, finds, err = p.walkFormat(sub, records, leaves, finds)
		}
		if err != nil {
			return leaves, finds, err
		}
		if !sub.Info.Inspected {
			m.notInspected(sub.Info.Reason)
		}
		m.partPredicates(sub, text)
		for j := from; j < len(leaves); j++ {
			l := &leaves[j]
			l.pointer = prefix + l.pointer
			if l.part == nil {
				l.part = []int{i}
			} else {
				l.part = append([]int{i}, l.part...)
			}
		}
		st.read[i] = partRead{sub: sub, wrap: w, prefix: prefix}
	}
	return leaves, finds, nil
}

// rewriteMultipart rewrites the parts that have edits (values replaced
// or dropped, or pointers to drop under /parts/<index>), each in its own
// format, and puts the body back together.
func (p *Pipeline) rewriteMultipart(m *Message, doc []byte, e *docEdits) ([]byte, error) {
	st := m.multipart
	bodies := map[int][]byte{}
	for i, rd := range st.read {
		sub := e.parts[i]
		for _, ptr := range e.dropPointers {
			if rest, ok := cutPointerPrefix(ptr, rd.prefix); ok {
				if sub == nil {
					sub = &docEdits{}
				}
				sub.dropPointers = append(sub.dropPointers, rest)
			}
		}
		if sub == nil || rd.sub == nil {
			continue
		}
		text, err := p.rewriteDoc(rd.sub, rd.sub.Body, sub)
		if err != nil {
			return nil, err
		}
		if bodies[i], err = rd.wrap.Wrap(nil, text); err != nil {
			return nil, err
		}
	}
	var drop map[int]bool
	for _, ptr := range e.dropPointers {
		for i, rd := range st.read {
			if ptr == rd.prefix {
				if drop == nil {
					drop = map[int]bool{}
				}
				drop[i] = true
			}
		}
	}
	return body.RewriteMultipart(nil, doc, st.parts, bodies, drop)
}

// cutPointerPrefix returns the rest of pointer p under prefix ("/a/b"
// under "/a" is "/b").
func cutPointerPrefix(p, prefix string) (string, bool) {
	rest, ok := bytes.CutPrefix([]byte(p), []byte(prefix))
	if !ok || len(rest) == 0 || rest[0] != '/' {
		return "", false
	}
	return string(rest), true
}

// spliceText applies splices to a text body: the replacements are text,
// written as they are.
func spliceText(dst, doc []byte, splices []body.Splice) []byte {
	last := 0
	for _, s := range splices {
		dst = append(append(dst, doc[last:s.Start]...), s.Contents...)
		last = s.End
	}
	return append(dst, doc[last:]...)
}
