package body

import (
	"bytes"
	"strconv"
	"strings"
)

// CSV is the Bulk API 2.0 CSV shape: an RFC 4180 document whose first
// record is the header; every data cell is addressed as /<row>/<column>
// (row 0-based among data rows, column the header name, RFC 6901-escaped),
// as the detectors corpus labels it.

// Cell is one data cell met during WalkCSV. Slices are valid only during
// the callback.
type Cell struct {
	Row        int    // 0-based data row
	Col        int    // 0-based column
	Column     []byte // header name of the column
	Value      []byte // unquoted contents
	Start, End int    // raw span of the field in the document (quotes included)
}

// Pointer is the cell's /<row>/<column> pointer.
func (c *Cell) Pointer() string {
	return "/" + strconv.Itoa(c.Row) + "/" + escapePointer(string(c.Column))
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// CSVOptions describe the dialect. Bulk API 2.0 allows COMMA (default),
// TAB, PIPE, SEMICOLON, CARET and BACKQUOTE delimiters, LF or CRLF.
type CSVOptions struct {
	Delimiter byte // 0 → ','
}

const CodeInvalidCSV = "invalid_csv"

// WalkCSV validates doc as CSV with a header and calls fn for every data
// cell in order. Rows must have as many fields as the header; quotes must
// be balanced and only open a field. Errors are *Error with code
// invalid_csv and the offending offset (never document bytes).
func WalkCSV(doc []byte, o CSVOptions, fn func(c *Cell) error) error {
	delim := o.Delimiter
	if delim == 0 {
		delim = ','
	}
	if delim == '"' || delim == '\r' || delim == '\n' {
		return &Error{Code: CodeInvalidCSV, Offset: 0}
	}
	var (
		header  [][]byte
		scratch []byte
		cell    Cell
		row     = -1 // the header is row -1
		col     = 0
	)
	pos := 0
	for pos < len(doc) {
		if col == 0 { // blank lines are skipped, as encoding/csv does
			if doc[pos] == '\n' {
				pos++
				continue
			}
			if doc[pos] == '\r' && pos+1 < len(doc) && doc[pos+1] == '\n' {
				pos += 2
				continue
			}
		}
		start := pos
		var val []byte
		if doc[pos] == '"' {
			// Quoted field: "" is a quote; the field ends at a lone quote.
			pos++
			s := pos
			quoted := false
			for {
				i := bytes.IndexByte(doc[pos:], '"')
				if i < 0 {
					return &Error{Code: CodeInvalidCSV, Offset: start}
				}
				pos += i + 1
				if pos < len(doc) && doc[pos] == '"' {
					quoted = true
					pos++
					continue
				}
				break
			}
			val = doc[s : pos-1]
			if quoted {
				scratch = append(scratch[:0], val...)
				scratch = bytes.ReplaceAll(scratch, []byte(`""`), []byte(`"`))
				val = scratch
			}
			if pos < len(doc) && doc[pos] != delim && doc[pos] != '\n' && doc[pos] != '\r' {
				return &Error{Code: CodeInvalidCSV, Offset: pos}
			}
		} else {
			for pos < len(doc) && doc[pos] != delim && doc[pos] != '\n' && doc[pos] != '\r' {
				if doc[pos] == '"' {
					return &Error{Code: CodeInvalidCSV, Offset: pos}
				}
				pos++
			}
			val = doc[start:pos]
		}
		end := pos

		if row < 0 {
			header = append(header, append([]byte(nil), val...))
		} else {
			if col >= len(header) {
				return &Error{Code: CodeInvalidCSV, Offset: start}
			}
			cell = Cell{Row: row, Col: col, Column: header[col], Value: val, Start: start, End: end}
			if err := fn(&cell); err != nil {
				return err
			}
		}
		col++

		// Field separator or record end.
		if pos < len(doc) && doc[pos] == delim {
			pos++
			if pos == len(doc) { // a trailing delimiter opens an empty last field
				if err := emitEmpty(&cell, header, row, col, pos, fn); err != nil {
					return err
				}
				col++
			}
			continue
		}
		if pos < len(doc) && doc[pos] == '\r' {
			pos++
			if pos >= len(doc) || doc[pos] != '\n' {
				return &Error{Code: CodeInvalidCSV, Offset: pos}
			}
		}
		if pos < len(doc) && doc[pos] == '\n' {
			pos++
		}
		if row >= 0 && col != len(header) {
			return &Error{Code: CodeInvalidCSV, Offset: start}
		}
		row++
		col = 0
	}
	if col != 0 && row >= 0 && col != len(header) {
		return &Error{Code: CodeInvalidCSV, Offset: len(doc)}
	}
	return nil
}

func emitEmpty(cell *Cell, header [][]byte, row, col, pos int, fn func(*Cell) error) error {
	if row < 0 {
		return nil
	}
	if col >= len(header) {
		return &Error{Code: CodeInvalidCSV, Offset: pos}
	}
	*cell = Cell{Row: row, Col: col, Column: header[col], Value: nil, Start: pos, End: pos}
	return fn(cell)
}

// RewriteCSV appends doc to dst with the cells whose Start is a key of
// replace given new contents (quoted when they need it, or when the
// original was quoted). Everything else is copied byte for byte.
func RewriteCSV(dst, doc []byte, o CSVOptions, replace map[int][]byte) ([]byte, error) {
	if len(replace) == 0 {
		return append(dst, doc...), nil
	}
	delim := o.Delimiter
	if delim == 0 {
		delim = ','
	}
	last := 0
	seen := 0
	err := WalkCSV(doc, o, func(c *Cell) error {
		v, ok := replace[c.Start]
		if !ok {
			return nil
		}
		seen++
		dst = append(dst, doc[last:c.Start]...)
		wasQuoted := c.End > c.Start && doc[c.Start] == '"'
		// An empty cell alone on its line (a one-column document) is
		// written "": a blank line is no row at all, and the rows after
		// it would move up.
		alone := len(v) == 0 && doc[c.Start-1] == '\n' && (c.End == len(doc) || doc[c.End] == '\n' || doc[c.End] == '\r')
		dst = appendCSVField(dst, v, delim, wasQuoted || alone)
		last = c.End
		return nil
	})
	if err != nil {
		return nil, err
	}
	if seen != len(replace) {
		return nil, &Error{Code: CodeInvalidEdit, Offset: 0}
	}
	return append(dst, doc[last:]...), nil
}

func appendCSVField(dst, v []byte, delim byte, quote bool) []byte {
	if !quote && bytes.IndexByte(v, delim) < 0 && !bytes.ContainsAny(v, "\"\r\n") {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, b := range v {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// csvDelimiters are the column delimiters Bulk API 2.0 allows, in the
// order SniffCSV tries them.
var csvDelimiters = []byte{',', '\t', '|', ';', '^', '`'}

// SniffCSV returns the options of doc's dialect, read off its header: the
// first allowed delimiter found in the header line outside quotes (field
// names never hold one), a comma when there is none. A Bulk API 2.0 job
// sets its delimiter when it is created; its result pages do not say it.
func SniffCSV(doc []byte) CSVOptions {
	quoted := false
	seen := [256]bool{}
	for _, c := range doc {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		seen[c] = true
	}
	for _, d := range csvDelimiters {
		if seen[d] {
			return CSVOptions{Delimiter: d}
		}
	}
	return CSVOptions{}
}
