package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanJSONL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), `{"records":[{"attributes":{"type":"Contact"},"Email":"jane@example.com","Note":"none"}]}`)
	writeFile(t, filepath.Join(dir, "a.expect.json"), `{"findings":[{"pointer":"/x","category":"email","text":"never@scanned.example"}]}`)
	writeFile(t, filepath.Join(dir, "b.csv"), "Id,Phone\n003A,+1 415 555 0199\n")
	writeFile(t, filepath.Join(dir, "c.txt"), "jane@example.com")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"scan", "--format", "jsonl", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 findings (a.json email, b.csv phone), got:\n%s", out.String())
	}
	var f map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &f); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"file", "pointer", "category", "detector", "confidence", "text", "start", "end"} {
		if _, ok := f[k]; !ok {
			t.Errorf("jsonl object lacks %q: %s", k, lines[0])
		}
	}
	if f["file"] != filepath.Join(dir, "a.json") || f["pointer"] != "/records/0/Email" || f["text"] != "jane@example.com" {
		t.Errorf("first finding = %v", f)
	}
	if !strings.Contains(lines[1], `"pointer":"/0/Phone"`) {
		t.Errorf("csv finding = %s", lines[1])
	}
}

func TestScanExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.json")
	writeFile(t, clean, `{"ok":true}`)
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, `{"a":`)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"scan", clean}, &out, &errb); err != nil {
		t.Fatalf("no PII is exit 0: %v", err)
	}
	if !strings.HasPrefix(out.String(), "FILE") {
		t.Errorf("table header missing: %q", out.String())
	}
	for _, args := range [][]string{{"scan", bad}, {"scan", filepath.Join(dir, "absent")}} {
		err := run(context.Background(), args, &out, &errb)
		if !errors.As(err, new(inputError)) {
			t.Errorf("%v: err = %v, want an input error (exit 2)", args, err)
		}
	}
	for _, args := range [][]string{{"scan"}, {"scan", "--format", "xml", clean}} {
		if err := run(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want usage (exit 2)", args, err)
		}
	}
	_ = os.Remove(bad)
}

// TestScanUnsupported: a file veil scan does not read (another extension,
// none, or binary content under .json/.csv) is refused by name with the
// formats it reads, exit 2, before anything is scanned; not reported as
// invalid JSON.
func TestScanUnsupported(t *testing.T) {
	dir := t.TempDir()
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
	good := filepath.Join(dir, "good.json")
	writeFile(t, good, `{"Email":"jane@example.com"}`)
	for _, c := range []struct {
		name, content, want string
	}{
		{"photo.png", png, `photo.png: unsupported file type ".png"`},
		{"notes.txt", "jane@example.com", `notes.txt: unsupported file type ".txt"`},
		{"CONTACTS.XLSX", "PK\x03\x04", `CONTACTS.XLSX: unsupported file type ".XLSX"`},
		{"export", `{"Email":"jane@example.com"}`, "export: unsupported file type (no extension)"},
		{"image.json", png, "image.json: unsupported file type: binary content (image/png), not JSON"},
		{"blob.csv", "Id,Phone\n\x00\x01\x02", "blob.csv: unsupported file type: binary content (application/octet-stream), not CSV"},
	} {
		f := filepath.Join(dir, c.name)
		writeFile(t, f, c.content)
		var out, errb bytes.Buffer
		// The good file first: nothing is printed for it either.
		err := run(context.Background(), []string{"scan", "--format", "jsonl", good, f}, &out, &errb)
		if !errors.As(err, new(inputError)) {
			t.Errorf("%s: err = %v, want an input error (exit 2)", c.name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, f) || !strings.Contains(msg, c.want) ||
			!strings.HasSuffix(msg, "veil scan reads JSON (.json) and CSV (.csv) files") || strings.Contains(msg, "invalid_json") {
			t.Errorf("%s: %q", c.name, msg)
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed findings before refusing it: %s", c.name, out.String())
		}
	}
	// In a directory, only .json and .csv files are read: others are no error.
	var out, errb bytes.Buffer
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "photo.png"), png)
	writeFile(t, filepath.Join(sub, "a.JSON"), `{"Email":"jane@example.com"}`)
	if err := run(context.Background(), []string{"scan", "--format", "jsonl", sub}, &out, &errb); err != nil || !strings.Contains(out.String(), "jane@example.com") {
		t.Errorf("directory: %v %q", err, out.String())
	}
}
