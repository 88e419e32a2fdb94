package fakecrm

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

type hsRecord struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Archived   bool              `json:"archived"`
}

type hsStore struct {
	records []hsRecord
	next    int
}

// defaultProperties is what HubSpot returns when no properties are asked for.
var defaultProperties = []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}

var dateVersion = regexp.MustCompile(`^\d{4}-\d{2}$`)

func (s *Server) hubspot(w http.ResponseWriter, r *http.Request) {
	for _, h := range [][2]string{
		{"X-HubSpot-RateLimit-Daily", "250000"}, {"X-HubSpot-RateLimit-Daily-Remaining", "249000"},
		{"X-HubSpot-RateLimit-Interval-Milliseconds", "10000"}, {"X-HubSpot-RateLimit-Max", "190"},
		{"X-HubSpot-RateLimit-Remaining", "189"}, {"X-HubSpot-RateLimit-Secondly", "19"}, {"X-HubSpot-RateLimit-Secondly-Remaining", "18"},
	} {
		w.Header().Set(h[0], h[1])
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(seg) >= 4 && seg[1] == "v3" && seg[2] == "objects":
		seg = seg[3:]
	case len(seg) >= 4 && seg[1] == "objects" && dateVersion.MatchString(seg[2]):
		seg = seg[3:]
	default:
		hsError(w, r, 404, "OBJECT_NOT_FOUND", "Unable to route request")
		return
	}
	if seg[0] != "contacts" {
		hsError(w, r, 400, "VALIDATION_ERROR", "Unable to infer object type from: "+seg[0])
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(seg) == 1 && r.Method == http.MethodGet:
		s.hsList(w, r)
	case len(seg) == 1 && r.Method == http.MethodPost:
		s.hsCreate(w, r)
	case len(seg) == 2 && seg[1] == "search" && r.Method == http.MethodPost:
		s.hsSearch(w, r)
	case len(seg) == 3 && seg[1] == "batch" && r.Method == http.MethodPost:
		s.hsBatch(w, r, seg[2])
	case len(seg) == 2 && (r.Method == http.MethodGet || r.Method == http.MethodPatch || r.Method == http.MethodDelete):
		s.hsOne(w, r, seg[1])
	default:
		hsError(w, r, 405, "VALIDATION_ERROR", "Method "+r.Method+" not allowed")
	}
}

func (h *hsStore) find(id, idProperty string) int {
	for i, rec := range h.records {
		if (idProperty == "" || idProperty == "hs_object_id") && rec.ID == id || idProperty != "" && strings.EqualFold(rec.Properties[idProperty], id) {
			return i
		}
	}
	return -1
}

func view(rec hsRecord, props []string) hsRecord {
	if len(props) == 0 {
		props = defaultProperties
	}
	out := rec
	out.Properties = map[string]string{}
	for _, p := range props {
		if v, ok := rec.Properties[p]; ok {
			out.Properties[p] = v
		}
	}
	return out
}

func splitProps(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, recs []hsRecord, props []string, limit int, after string, link string, total bool) {
	if limit <= 0 {
		limit = s.opts.PageSize
		if limit <= 0 {
			limit = 10
		}
	}
	limit = min(limit, 100)
	start := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			hsError(w, r, 400, "VALIDATION_ERROR", "Invalid 'after' cursor")
			return
		}
		start = min(n, len(recs))
	}
	end := min(start+limit, len(recs))
	results := make([]hsRecord, 0, end-start)
	for _, rec := range recs[start:end] {
		results = append(results, view(rec, props))
	}
	body := map[string]any{"results": results}
	if total {
		body["total"] = len(recs)
	}
	if end < len(recs) {
		next := map[string]string{"after": strconv.Itoa(end)}
		if link != "" {
			next["link"] = fmt.Sprintf("%s%s?after=%d", s.hubSpotBase(r), link, end)
		}
		body["paging"] = map[string]any{"next": next}
	}
	writeJSON(w, r, 200, body, false)
}

func (s *Server) hsList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	s.page(w, r, s.hs.records, splitProps(q.Get("properties")), limit, q.Get("after"), "/crm/v3/objects/contacts", false)
}

func (s *Server) hsOne(w http.ResponseWriter, r *http.Request, id string) {
	i := s.hs.find(id, r.URL.Query().Get("idProperty"))
	if i < 0 {
		hsError(w, r, 404, "OBJECT_NOT_FOUND", "resource not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, r, 200, view(s.hs.records[i], splitProps(r.URL.Query().Get("properties"))), true)
	case http.MethodPatch:
		var body struct {
			Properties map[string]string `json:"properties"`
		}
		if err := readBody(r, &body); err != nil {
			hsError(w, r, 400, "VALIDATION_ERROR", "Invalid input JSON")
			return
		}
		for k, v := range body.Properties {
			s.hs.records[i].Properties[k] = v
		}
		writeJSON(w, r, 200, view(s.hs.records[i], keys(body.Properties)), false)
	case http.MethodDelete:
		s.hs.records = append(s.hs.records[:i], s.hs.records[i+1:]...)
		w.WriteHeader(http.StatusNoContent)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (s *Server) newRecordLocked(props map[string]string) hsRecord {
	s.hs.next++
	id := strconv.Itoa(9000 + s.hs.next)
	p := map[string]string{"hs_object_id": id, "createdate": "2026-11-25T00:00:00.000Z", "lastmodifieddate": "2026-11-25T00:00:00.000Z"}
	for k, v := range props {
		p[k] = v
	}
	rec := hsRecord{ID: id, Properties: p, CreatedAt: "2026-11-25T00:00:00.000Z", UpdatedAt: "2026-11-25T00:00:00.000Z"}
	s.hs.records = append(s.hs.records, rec)
	return rec
}

func (s *Server) hsCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Properties map[string]string `json:"properties"`
	}
	if err := readBody(r, &body); err != nil || body.Properties == nil {
		hsError(w, r, 400, "VALIDATION_ERROR", "Invalid input JSON: properties are required")
		return
	}
	writeJSON(w, r, 201, view(s.newRecordLocked(body.Properties), keys(body.Properties)), false)
}

type batchInput struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

func (s *Server) hsBatch(w http.ResponseWriter, r *http.Request, op string) {
	var body struct {
		Inputs     []batchInput `json:"inputs"`
		Properties []string     `json:"properties"`
		IDProperty string       `json:"idProperty"`
	}
	if err := readBody(r, &body); err != nil || len(body.Inputs) > 100 {
		hsError(w, r, 400, "VALIDATION_ERROR", "Invalid input JSON")
		return
	}
	var results []hsRecord
	switch op {
	case "read":
		for _, in := range body.Inputs {
			if i := s.hs.find(in.ID, body.IDProperty); i >= 0 {
				results = append(results, view(s.hs.records[i], body.Properties))
			}
		}
	case "create":
		for _, in := range body.Inputs {
			results = append(results, view(s.newRecordLocked(in.Properties), keys(in.Properties)))
		}
	case "update":
		for _, in := range body.Inputs {
			i := s.hs.find(in.ID, body.IDProperty)
			if i < 0 {
				hsError(w, r, 404, "OBJECT_NOT_FOUND", "resource not found: "+in.ID)
				return
			}
			for k, v := range in.Properties {
				s.hs.records[i].Properties[k] = v
			}
			results = append(results, view(s.hs.records[i], keys(in.Properties)))
		}
	default:
		hsError(w, r, 404, "OBJECT_NOT_FOUND", "Unable to route request")
		return
	}
	status := 200
	if op == "create" {
		status = 201
	}
	if results == nil {
		results = []hsRecord{}
	}
	writeJSON(w, r, status, map[string]any{"status": "COMPLETE", "results": results, "startedAt": "2026-11-25T00:00:00.000Z", "completedAt": "2026-11-25T00:00:00.100Z"}, false)
}

func (s *Server) hsSearch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		FilterGroups []struct {
			Filters []struct {
				PropertyName string `json:"propertyName"`
				Operator     string `json:"operator"`
				Value        string `json:"value"`
			} `json:"filters"`
		} `json:"filterGroups"`
		Properties []string `json:"properties"`
		Limit      int      `json:"limit"`
		After      string   `json:"after"`
	}
	if err := readBody(r, &body); err != nil {
		hsError(w, r, 400, "VALIDATION_ERROR", "Invalid input JSON")
		return
	}
	var matched []hsRecord
	for _, rec := range s.hs.records {
		ok := len(body.FilterGroups) == 0
		for _, g := range body.FilterGroups { // groups are ORed, filters ANDed
			all := true
			for _, f := range g.Filters {
				v := rec.Properties[f.PropertyName]
				switch f.Operator {
				case "EQ":
					all = all && strings.EqualFold(v, f.Value)
				case "NEQ":
					all = all && !strings.EqualFold(v, f.Value)
				case "CONTAINS_TOKEN":
					all = all && strings.Contains(strings.ToLower(v), strings.ToLower(strings.Trim(f.Value, "*")))
				case "HAS_PROPERTY":
					all = all && v != ""
				default:
					hsError(w, r, 400, "VALIDATION_ERROR", "Unsupported operator "+f.Operator)
					return
				}
			}
			ok = ok || all
		}
		if ok {
			matched = append(matched, rec)
		}
	}
	s.page(w, r, matched, body.Properties, body.Limit, body.After, "", true)
}
