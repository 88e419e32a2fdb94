package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Path is where the admin listener serves the inventory.
const Path = "/admin/inventory"

// Handler serves the inventory: GET (or HEAD) as JSON, ?format=table as
// an aligned text table; other methods get 405, other formats 400. It
// does no authentication: the admin listener's middleware does.
func (inv *Inventory) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		f := r.URL.Query().Get("format")
		if f != "" && f != "json" && f != "table" {
			http.Error(w, `format must be "json" or "table"`, http.StatusBadRequest)
			return
		}
		rep := inv.report(r.Context())
		if f == "table" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_ = WriteTable(w, rep)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
}

// sharedTimeout bounds the Redis read of a shared report.
const sharedTimeout = 3 * time.Second

// report is the shared report when the inventory has Redis, else (or
// when Redis fails) the local one.
func (inv *Inventory) report(ctx context.Context) Report {
	if inv.rdb == nil {
		return inv.Snapshot()
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	rep, err := inv.SharedSnapshot(ctx)
	if err != nil {
		rep = inv.Snapshot()
		rep.Note = "redis unavailable: this replica's inventory only"
	}
	return rep
}

// WriteTable writes r as an aligned text table, one line per entry,
// followed by a line saying how many observations were refused when the
// inventory was full, then, when Veil has let bodies through, a blank
// line and the coverage table (WriteCoverageTable).
func WriteTable(w io.Writer, r Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tOBJECT\tFIELD\tCATEGORY\tDIRECTIONS\tCOUNT\tFIRST SEEN\tLAST SEEN")
	for _, e := range r.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			dash(e.Route), dash(e.Object), dash(e.Field), dash(e.Category),
			dash(strings.Join(e.Directions, ",")), e.Count,
			e.FirstSeen.UTC().Format(time.RFC3339), e.LastSeen.UTC().Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var err error
	if len(r.Entries) == 0 {
		_, err = fmt.Fprintln(w, "(no personal data seen yet)")
	}
	if r.Note != "" && err == nil {
		_, err = fmt.Fprintf(w, "note: %s\n", r.Note)
	}
	if r.Truncated > 0 && err == nil {
		_, err = fmt.Fprintf(w, "truncated: %d observations of new combinations refused (inventory.max_entries %d reached)\n", r.Truncated, r.MaxEntries)
	}
	if len(r.Coverage) > 0 && err == nil {
		if _, err = fmt.Fprintln(w); err == nil {
			err = WriteCoverageTable(w, r.Coverage)
		}
	}
	return err
}

// WriteCoverageTable writes the coverage rows as an aligned text table,
// one line per route, direction and format: the messages inspected and
// their bytes, the messages passed unread and their bytes, and why they
// were unread. Messages of unknown size are shown as "(+N unsized)"
// next to the bytes they are not part of.
func WriteCoverageTable(w io.Writer, rows []Coverage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tDIRECTION\tFORMAT\tINSPECTED\tINSPECTED BYTES\tUNREAD\tUNREAD BYTES\tUNREAD REASONS")
	for _, c := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n",
			dash(c.Route), dash(c.Direction), dash(c.Format),
			c.Inspected, sized(c.InspectedBytes, c.InspectedUnsized),
			c.Unread, sized(c.UnreadBytes, c.UnreadUnsized), reasons(c.Reasons))
	}
	return tw.Flush()
}

func sized(bytes, unsized int64) string {
	s := strconv.FormatInt(bytes, 10)
	if unsized > 0 {
		s += " (+" + strconv.FormatInt(unsized, 10) + " unsized)"
	}
	return s
}

// reasons is "reason:n" for each reason, by name.
func reasons(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	out := make([]string, 0, len(m))
	for _, r := range slices.Sorted(maps.Keys(m)) {
		out = append(out, r+":"+strconv.FormatInt(m[r], 10))
	}
	return strings.Join(out, " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
