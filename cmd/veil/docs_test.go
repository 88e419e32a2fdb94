package main

// The documentation's examples cannot drift: every command-and-output
// block in README.md, docs/*.md and rules/README.md is preceded by a marker
//
//	<!-- golden: testdata/docs/NAME.txt -->
//
// and must equal that file byte for byte, and every golden file under
// testdata/docs is produced here by really running the command: the demo
// (`veil demo`, as `make run` starts it) in this process on free loopback
// ports, curl's requests made with net/http, and the CLI's verbs through
// run. `make docs` (go test -run TestDocs -update ./cmd/veil/) rewrites the
// golden files and the blocks from what was produced; `make test` checks
// them. What varies from run to run is normalised (see normalizer), and
// docs/testing.md says how.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
)

var updateDocs = flag.Bool("update", false, "rewrite testdata/docs and the documentation's example blocks from what the demo and the CLI print")

// The addresses and directories the documentation shows: the demo's
// defaults (make run) and the directories the examples name.
const (
	docProxy   = "127.0.0.1:8080"
	docAdmin   = "127.0.0.1:9090"
	docForward = "127.0.0.1:3128"
	docDemoDir = "/tmp/veil-demo"
	docCADir   = "/etc/veil"
)

// docFiles are the pages whose golden markers are checked.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md", "rules/README.md"}, files...)
}

// TestDocs produces every golden file, compares it (or, with -update,
// writes it), then checks every marked block of the documentation against
// its golden file (or rewrites the block).
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	t.Chdir("../..") // the repository root: the paths the docs show
	produced := produceDocExamples(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range produced {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		got := produced[name]
		if *updateDocs {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v (run make docs)", name, err)
			continue
		}
		if string(want) != got {
			t.Errorf("%s is not what the example prints now (run make docs and review the diff):\n%s", name, firstDiff(string(want), got))
		}
	}
	// Golden files nobody produces any more.
	stale, _ := filepath.Glob("testdata/docs/*.txt")
	for _, f := range stale {
		if _, ok := produced[f]; !ok {
			t.Errorf("%s: no example produces it; remove it", f)
		}
	}
	checkDocMarkers(t, produced)
}

var goldenMarker = regexp.MustCompile(`^<!-- golden: (\S+) -->$`)

// checkDocMarkers finds every golden marker in the documentation: the
// fenced block after it must equal the file it names; every produced
// golden file must be shown somewhere.
func checkDocMarkers(t *testing.T, produced map[string]string) {
	t.Helper()
	shown := map[string]bool{}
	for _, file := range docFiles(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(raw), "\n")
		var out strings.Builder
		changed := false
		for i := 0; i < len(lines); i++ {
			out.WriteString(lines[i])
			m := goldenMarker.FindStringSubmatch(strings.TrimRight(lines[i], "\n"))
			if m == nil {
				continue
			}
			name, at := m[1], i+1
			shown[name] = true
			want, ok := produced[name]
			if !ok {
				if strings.HasPrefix(name, "testdata/docs/") && strings.HasSuffix(name, ".txt") {
					t.Errorf("%s:%d: %s is produced by no example in cmd/veil/docs_test.go", file, at, name)
					continue
				}
				b, err := os.ReadFile(name) // a repository file shown as is (a config a test loads)
				if err != nil {
					t.Errorf("%s:%d: %v", file, at, err)
					continue
				}
				want = string(b)
			}
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
				t.Errorf("%s:%d: the golden marker for %s is not followed by a fenced block", file, at, name)
				continue
			}
			i++
			out.WriteString(lines[i])
			end := i + 1
			for end < len(lines) && strings.TrimRight(lines[end], "\n") != "```" {
				end++
			}
			if end >= len(lines) {
				t.Errorf("%s:%d: the block after the golden marker for %s is not closed", file, at, name)
				break
			}
			got := strings.Join(lines[i+1:end], "")
			if got != want {
				if *updateDocs {
					changed = true
				} else {
					t.Errorf("%s:%d: the block differs from %s (run make docs):\n%s", file, at+1+diffLine(want, got), name, firstDiff(want, got))
				}
			}
			out.WriteString(want)
			out.WriteString(lines[end])
			i = end
		}
		if changed {
			if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range produced {
		if !shown[name] {
			t.Errorf("%s is shown on no page: add a marker or remove the example", name)
		}
	}
}

// diffLine is the 1-based number of the first line where want and got part.
func diffLine(want, got string) int {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		if i >= len(w) || i >= len(g) || w[i] != g[i] {
			return i + 1
		}
	}
	return 1
}

// firstDiff names the first line where want and got part.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("  line %d\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return "  (same lines)"
}

// normalizer makes one example's output the same on every run and as the
// documentation shows it: the test's random ports become the demo's
// documented addresses, its temporary directories the documented ones,
// times within an hour of the run one fixed time, and random values (ids
// and hashes in lower-case hex, UUIDs, the demo's vault tokens, the audit
// chain's instance name) a stable stand-in of the same length and
// alphabet, the same value always the same stand-in within one example.
type normalizer struct {
	seed  string // the example's name: its stand-ins are its own
	paths *strings.Replacer
	host  string
	now   time.Time
	seen  map[string]string
	count int
}

func newNormalizer(seed string, pairs ...string) *normalizer {
	host, _ := os.Hostname()
	if host == "" {
		host = "veil"
	}
	return &normalizer{seed: seed, paths: strings.NewReplacer(pairs...), host: host, now: time.Now(), seen: map[string]string{}}
}

var (
	reHexID     = regexp.MustCompile(`\b[0-9a-f]{16,64}\b`)
	reUUID      = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	reVaultTok  = regexp.MustCompile(`\bvt\.[0-9a-z]{8,41}\b`)
	reTimestamp = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	reDate      = regexp.MustCompile(`(?m)^Date: .* GMT$`)
)

const docTime = "2026-11-28T16:13:39"

// stand returns value's stand-in: len(value) characters of alphabet drawn
// from a hash of the order in which values were first seen.
func (n *normalizer) stand(value, alphabet string) string {
	if s, ok := n.seen[value]; ok {
		return s
	}
	n.count++
	var b strings.Builder
	for i := 0; b.Len() < len(value); i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s %d %d", n.seed, n.count, i)))
		for _, c := range sum {
			if b.Len() == len(value) {
				break
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
	}
	n.seen[value] = b.String()
	return b.String()
}

func (n *normalizer) text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = n.paths.Replace(s)
	s = reDate.ReplaceAllString(s, "Date: Sat, 28 Nov 2026 16:13:39 GMT")
	s = reTimestamp.ReplaceAllStringFunc(s, func(m string) string {
		ts, err := time.Parse(time.RFC3339Nano, m)
		if err != nil || ts.Sub(n.now).Abs() > time.Hour {
			return m // a fixture's date, not the run's
		}
		if strings.Contains(m, ".") {
			return docTime + ".659207387Z" // fractions: nanoseconds, trailing zeros trimmed
		}
		return docTime + "Z"
	})
	// The audit chain's instance: the host name and 6 random hex digits.
	s = regexp.MustCompile(`\b`+regexp.QuoteMeta(n.host)+`-([0-9a-f]{6})\b`).ReplaceAllStringFunc(s, func(m string) string {
		return "vm-" + n.stand(m, "0123456789abcdef")[:6]
	})
	s = reUUID.ReplaceAllStringFunc(s, func(m string) string {
		h := n.stand(m, "0123456789abcdef")
		return h[:8] + "-" + h[9:13] + "-" + h[14:18] + "-" + h[19:23] + "-" + h[24:]
	})
	s = reHexID.ReplaceAllStringFunc(s, func(m string) string {
		switch len(m) {
		case 16, 24, 32, 64:
		default:
			return m
		}
		if !strings.ContainsAny(m, "abcdef") || !strings.ContainsAny(m, "0123456789") {
			return m
		}
		return n.stand(m, "0123456789abcdef")
	})
	s = reVaultTok.ReplaceAllStringFunc(s, func(m string) string {
		return "vt." + n.stand(m[3:], "0123456789abcdefghjkmnpqrstvwxyz")
	})
	return s
}

// docDemo is `veil demo` running in this process, as make run starts it.
type docDemo struct {
	proxy, admin, forward, dir string
	client, fwdClient          *http.Client
	stop                       func()
}

func startDocDemo(t *testing.T) *docDemo {
	t.Helper()
	d := &docDemo{proxy: freeAddr(t), admin: freeAddr(t), forward: freeAddr(t), dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", d.proxy, "--admin", d.admin, "--forward", d.forward, "--audit-dir", d.dir}, &out, &logs)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops the demo") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the demo did not start; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pem, err := os.ReadFile(filepath.Join(d.dir, "ca", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	pu, _ := url.Parse("http://" + d.forward)
	d.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	d.fwdClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}}}
	d.stop = func() {
		d.client.CloseIdleConnections()
		d.fwdClient.CloseIdleConnections()
		cancel()
		demoEnded(t, done)
	}
	return d
}

func (d *docDemo) normalizer(name string) *normalizer {
	return newNormalizer(name, d.proxy, docProxy, d.admin, docAdmin, d.forward, docForward, d.dir, docDemoDir)
}

// curl is one documented curl call: the command line shown and the
// request made are built from it.
type curl struct {
	token   string      // demo principal: -H 'Authorization: Bearer …'
	method  string      // -X, when not implied
	url     string      // proxy path ("/services/…"), "admin:/path", or a full https URL through forward mode
	json    string      // -d with Content-Type: application/json
	form    [][2]string // -d k=v (a POST form, as curl sends it)
	include bool        // -i: the status line and headers too
	body    string      // -d without a Content-Type (admin API)
}

func (c curl) target(d *docDemo, shown bool) string {
	proxy, admin := d.proxy, d.admin
	if shown {
		proxy, admin = docProxy, docAdmin
	}
	switch {
	case strings.HasPrefix(c.url, "admin:"):
		return "http://" + admin + strings.TrimPrefix(c.url, "admin:")
	case strings.HasPrefix(c.url, "https://"):
		return c.url
	}
	return "http://" + proxy + c.url
}

// command is the curl command line, wrapped as the docs show it.
func (c curl) command(d *docDemo) string {
	parts := []string{"curl -s -w '\\n'"}
	if c.include {
		parts[0] = "curl -s -i -w '\\n'"
	}
	if strings.HasPrefix(c.url, "https://") {
		parts = append(parts, "--proxy http://"+docForward+" --cacert "+docDemoDir+"/ca/ca.crt")
	}
	if c.method != "" {
		parts = append(parts, "-X "+c.method)
	}
	if c.token != "" {
		parts = append(parts, "-H 'Authorization: Bearer "+c.token+"'")
	}
	if c.json != "" {
		parts = append(parts, "-H 'Content-Type: application/json' -d '"+c.json+"'")
	}
	if c.body != "" {
		parts = append(parts, "-d '"+c.body+"'")
	}
	for _, kv := range c.form {
		parts = append(parts, "-d "+kv[0]+"="+kv[1])
	}
	parts = append(parts, "'"+c.target(d, true)+"'")
	// Wrap at about 100 columns, as a shell continues a line.
	var b strings.Builder
	line := "$ "
	for i, p := range parts {
		if i > 0 && len(line)+1+len(p) > 100 {
			b.WriteString(line + " \\\n")
			line = "    " + p
			continue
		}
		if i > 0 {
			line += " "
		}
		line += p
	}
	b.WriteString(line + "\n")
	return b.String()
}

// do makes the request and returns what curl prints: the body and a
// newline (-w '\n'), or with -i the response as received.
func (c curl) do(t *testing.T, d *docDemo) (string, http.Header) {
	t.Helper()
	method := c.method
	var body io.Reader
	ctype := ""
	switch {
	case c.json != "":
		body, ctype = strings.NewReader(c.json), "application/json"
	case c.body != "":
		body, ctype = strings.NewReader(c.body), "application/x-www-form-urlencoded"
	case len(c.form) > 0:
		var kv []string
		for _, f := range c.form {
			kv = append(kv, f[0]+"="+f[1])
		}
		body, ctype = strings.NewReader(strings.Join(kv, "&")), "application/x-www-form-urlencoded"
	}
	if method == "" {
		method = "GET"
		if body != nil {
			method = "POST"
		}
	}
	if c.include {
		return c.raw(t, d, method, body, ctype)
	}
	req, err := http.NewRequest(method, c.target(d, false), body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	cl := d.client
	if strings.HasPrefix(c.url, "https://") {
		cl = d.fwdClient
	}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n", res.Header
}

// raw sends the request on a connection of its own and returns the
// response's bytes as they came (what curl -i prints).
func (c curl) raw(t *testing.T, d *docDemo, method string, body io.Reader, ctype string) (string, http.Header) {
	t.Helper()
	u, err := url.Parse(c.target(d, false))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var payload []byte
	if body != nil {
		payload, _ = io.ReadAll(body)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl\r\nAccept: */*\r\n", method, u.RequestURI(), u.Host)
	if c.token != "" {
		fmt.Fprintf(&req, "Authorization: Bearer %s\r\n", c.token)
	}
	if ctype != "" {
		fmt.Fprintf(&req, "Content-Type: %s\r\nContent-Length: %d\r\n", ctype, len(payload))
	}
	req.WriteString("\r\n")
	req.Write(payload)
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var head strings.Builder
	h := http.Header{}
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v after %q", c.url, err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ": "); ok {
			h.Add(k, v)
			if strings.EqualFold(k, "Content-Length") {
				length, _ = strconv.Atoi(v)
			}
		}
	}
	if length < 0 {
		t.Fatalf("%s: no Content-Length in %q", c.url, head.String())
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(br, b); err != nil {
		t.Fatal(err)
	}
	return head.String() + string(b) + "\n", h
}

// cli runs veil's verbs as a shell shows them: stdout and stderr on one
// terminal, and main's "veil: " line for an error it prints.
func cli(args ...string) string {
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	switch {
	case err == nil, errors.Is(err, errHelp), errors.Is(err, errUsage), errors.Is(err, errFailed):
	default:
		fmt.Fprintln(&out, "veil:", err)
	}
	return out.String()
}

// produceDocExamples runs every example, in the order of one session
// with the demo, and returns each golden file's content by name.
func produceDocExamples(t *testing.T) map[string]string {
	t.Helper()
	got := map[string]string{}
	put := func(name, text string) {
		name = "testdata/docs/" + name + ".txt"
		if _, dup := got[name]; dup {
			t.Fatalf("%s produced twice", name)
		}
		got[name] = text
	}

	d := startDocDemo(t)
	stopped := false
	defer func() {
		if !stopped {
			d.stop()
		}
	}()
	// curls runs calls as one example: each command, then what it printed.
	curls := func(name string, calls ...curl) []http.Header {
		n := d.normalizer(name)
		var b strings.Builder
		var hs []http.Header
		for _, c := range calls {
			out, h := c.do(t, d)
			b.WriteString(c.command(d))
			b.WriteString(out)
			hs = append(hs, h)
		}
		put(name, n.text(b.String()))
		return hs
	}
	const query = "/services/data/v62.0/query?q=SELECT+Name,Email,Phone,Birthdate,SSN__c,Card_Number__c,HasOptedOutOfEmail+FROM+Contact+LIMIT+2"
	const contact = "/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA"

	// README: the three calls.
	curls("demo-analyst-query", curl{token: "demo-analyst", url: query})
	curls("demo-blocked-write", curl{include: true, method: "PATCH", token: "demo-sales", url: contact,
		json: `{"Description":"card 4111 1111 1111 1111 exp 12/29"}`})
	curls("demo-forward", curl{token: "demo-analyst", url: "https://api.hubapi.com/crm/v3/objects/contacts?limit=2&properties=firstname,email,phone"})

	// docs/getting-started.md: the rest of the tour.
	curls("demo-sales-query", curl{token: "demo-sales", url: query})
	curls("demo-marketing-query", curl{token: "demo-marketing", url: query})
	curls("demo-hubspot-marketing", curl{token: "demo-marketing",
		url: "/crm/v3/objects/contacts?limit=3&properties=firstname,lastname,email,phone,date_of_birth,hs_email_optout"})
	curls("demo-unknown-caller", curl{token: "nobody", url: "/crm/v3/objects/contacts"})
	{
		n := d.normalizer("demo-login")
		login := curl{url: "/services/oauth2/token", form: [][2]string{{"grant_type", "password"},
			{"username", "analyst@demo.example"}, {"password", "any"}, {"client_id", "demo"}, {"client_secret", "demo"}}}
		out, _ := login.do(t, d)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.AccessToken == "" {
			t.Fatalf("login: %v %s", err, out)
		}
		next := curl{token: tok.AccessToken, url: "/services/data/v62.0/query?q=SELECT+Name,Email+FROM+Contact+LIMIT+2"}
		out2, _ := next.do(t, d)
		put("demo-login", n.text(login.command(d)+out+next.command(d)+out2))
	}

	// docs/policy.md: a refusal explained by its decision id.
	{
		n := d.normalizer("demo-explain")
		write := curl{include: true, method: "PATCH", token: "demo-sales", url: contact,
			json: `{"Description":"card 4111 1111 1111 1111 exp 12/29"}`}
		out, h := write.do(t, d)
		id := h.Get("X-Veil-Decision-Id")
		if id == "" {
			t.Fatalf("no decision id in %q", out)
		}
		explain := curl{url: "admin:/admin/decisions/" + id}
		out2, _ := explain.do(t, d)
		put("demo-explain", n.text(write.command(d)+out+explain.command(d)+out2))
	}

	// docs/vault.md: tokenize, detokenize, erase.
	const ssn = contact + "?fields=Name,SSN__c"
	curls("demo-vault",
		curl{method: "PATCH", token: "demo-sales", url: contact, json: `{"SSN__c":"219-09-9999"}`},
		curl{token: "demo-sales", url: ssn},
		curl{token: "demo-admin", url: ssn},
		curl{url: "admin:/admin/vault/forget", body: `{"category":"us_ssn","value":"219-09-9999"}`},
		curl{token: "demo-admin", url: ssn})

	// docs/soc.md: what the traffic taught the inventory.
	curls("demo-inventory", curl{url: "admin:/admin/inventory?format=table"})

	// The audit trail, once the demo has stopped (everything flushed).
	d.stop()
	stopped = true
	{
		n := d.normalizer("demo-audit")
		file := filepath.Join(d.dir, "audit.jsonl")
		put("demo-audit-verify", n.text("$ ./bin/veil audit verify --file "+file+"\n"+cli("audit", "verify", "--file", file)))
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(raw), "\n")
		put("demo-audit-event", n.text("$ head -1 "+file+"\n"+first+"\n"))
	}

	// The CLI on the repository's files.
	cmd := func(name string, args ...string) {
		put(name, newNormalizer(name).text("$ veil "+strings.Join(args, " ")+"\n"+cli(args...)))
	}
	{
		out := cli("scan", "--format", "jsonl", "testdata/corpus/000_sf_query.json")
		lines := strings.SplitAfter(out, "\n")
		if len(lines) < 2 {
			t.Fatalf("scan: %q", out)
		}
		put("scan-jsonl", "$ veil scan --format jsonl testdata/corpus/000_sf_query.json | head -2\n"+lines[0]+lines[1])
	}
	{
		// The detection corpus's scores, as its test prints them.
		out, err := exec.Command("go", "test", "-run", "TestCorpusAccuracy", "-v", "./proxy/scan/").CombinedOutput()
		if err != nil {
			t.Fatalf("go test ./proxy/scan/: %v\n%s", err, out)
		}
		var b strings.Builder
		in := false
		for _, line := range strings.SplitAfter(string(out), "\n") { // sed -n '/category/,/overall/p'
			if !in && strings.Contains(line, "category") {
				in = true
			}
			if in {
				b.WriteString(line)
				if strings.Contains(line, "overall") {
					break
				}
			}
		}
		put("corpus-accuracy", "$ go test -run TestCorpusAccuracy -v ./proxy/scan/ | sed -n '/category/,/overall/p'\n"+b.String())
	}
	cmd("policy-test", "policy", "test", "rules/")
	cmd("policy-eval", "policy", "eval", "--input", "testdata/policy/sales_rep_query.json")
	cmd("serve-check-invalid", "serve", "-c", "testdata/config/invalid.yaml", "--check")
	{
		// Only stdout: the log lines on stderr name source lines.
		var out bytes.Buffer
		if err := run(context.Background(), []string{"serve", "-c", "testdata/config/example.yaml", "--check"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		put("serve-check-example", newNormalizer("serve-check-example").text("$ veil serve -c testdata/config/example.yaml --check 2>/dev/null\n"+out.String()))
	}
	{
		// The configuration getting-started.md builds, checked with the
		// files it names made in a directory of the test's (/etc/veil).
		dir := t.TempDir()
		raw, err := os.ReadFile("testdata/docs/veil.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"tls", "admin"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		ca, err := forwardtest.NewCA("Veil docs listener")
		if err != nil {
			t.Fatal(err)
		}
		crt, key, err := ca.Write(filepath.Join(dir, "tls"))
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(os.Rename(crt, filepath.Join(dir, "tls", "tls.crt")), os.Rename(key, filepath.Join(dir, "tls", "tls.key")),
			os.WriteFile(filepath.Join(dir, "admin", "token"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600),
			os.WriteFile(filepath.Join(dir, "veil.yaml"), []byte(strings.ReplaceAll(string(raw), docCADir+"/", dir+"/")), 0o600)); err != nil {
			t.Fatal(err)
		}
		cli("audit", "keygen", "--out", filepath.Join(dir, "audit"))
		if err := os.WriteFile(filepath.Join(dir, "audit", "username-hash.key"), []byte(cli("audit", "keygen", "--chain-key")), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("VEIL_VAULT_KEYS", strings.TrimSpace(cli("vault", "keygen")))
		t.Setenv("VEIL_REDIS_PASSWORD", "docs")
		var out bytes.Buffer
		if err := run(context.Background(), []string{"serve", "-c", filepath.Join(dir, "veil.yaml"), "--check"}, &out, io.Discard); err != nil {
			t.Fatalf("testdata/docs/veil.yaml: %v", err)
		}
		put("serve-check-getting-started", newNormalizer("serve-check-getting-started", dir, docCADir).text(
			"$ veil serve -c "+docCADir+"/veil.yaml --check 2>/dev/null\n"+out.String()))
	}
	{
		dir := t.TempDir()
		put("ca-init", newNormalizer("ca-init", dir, docCADir).text("$ veil ca init --out "+docCADir+"\n"+cli("ca", "init", "--out", dir)))
	}
	return got
}

// TestDocsNormalizer pins the normalisation the documentation relies on.
func TestDocsNormalizer(t *testing.T) {
	n := newNormalizer("t", "127.0.0.1:41234", docProxy)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	in := "http://127.0.0.1:41234/x 0123456789abcdef0123456789abcdef 0123456789abcdef0123456789abcdef " +
		now + " 2024-01-01T12:00:00.000Z 4111111111111111 vt.9hhktg0c\r\n"
	out := n.text(in)
	f := strings.Fields(out)
	if f[0] != "http://127.0.0.1:8080/x" || f[1] != f[2] || f[1] == "0123456789abcdef0123456789abcdef" || len(f[1]) != 32 {
		t.Errorf("addresses and ids: %q", out)
	}
	if !strings.HasPrefix(f[3], docTime+".") || f[4] != "2024-01-01T12:00:00.000Z" || f[5] != "4111111111111111" {
		t.Errorf("times and digits: %q", out)
	}
	if len(f[6]) != len("vt.9hhktg0c") || f[6] == "vt.9hhktg0c" || strings.Contains(out, "\r") {
		t.Errorf("tokens and line ends: %q", out)
	}
	if again := newNormalizer("t", "127.0.0.1:41234", docProxy).text(in); again != out {
		t.Errorf("not stable: %q then %q", out, again)
	}
}
