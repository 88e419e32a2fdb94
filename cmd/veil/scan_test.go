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
