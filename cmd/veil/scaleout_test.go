package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
	"github.com/veil-proxy/veil/proxy/vault"
	"github.com/veil-proxy/veil/proxy/watch"
)

// asVeil makes the test binary run `veil` itself when a scale-out test
// starts it as a replica: real processes, each with its own memory.
const asVeil = "VEIL_TEST_RUN_AS_VEIL"

func TestMain(m *testing.M) {
	if os.Getenv(asVeil) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// replica is one `veil serve` process.
type replica struct {
	cmd        *exec.Cmd
	url, admin string
	done       chan error
	mu         sync.Mutex
	stderr     bytes.Buffer
}

var servingRe = regexp.MustCompile(`"msg":"veil serving".*"listen":"([^"]+)".*"admin":"([^"]+)"`)

// startReplica runs `veil serve -c cfg` and waits until it serves.
func startReplica(t *testing.T, cfg string) *replica {
	t.Helper()
	r := &replica{done: make(chan error, 1)}
	r.cmd = exec.Command(os.Args[0], "serve", "-c", cfg)
	r.cmd.Env = append(os.Environ(), asVeil+"=1")
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.Write(sc.Bytes())
			r.stderr.WriteByte('\n')
			r.mu.Unlock()
			if m := servingRe.FindSubmatch(sc.Bytes()); m != nil {
				addrs <- [2]string{string(m[1]), string(m[2])}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		r.done <- r.cmd.Wait()
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.done:
			case <-time.After(20 * time.Second):
				_ = r.cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("replica log:\n%s", r.log())
		}
	})
	select {
	case a := <-addrs:
		r.url, r.admin = "http://"+a[0], "http://"+a[1]
	case err := <-r.done:
		t.Fatalf("veil serve exited: %v\n%s", err, r.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("veil serve did not start:\n%s", r.log())
	}
	return r
}

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// scaleOutConfig writes the configuration every replica shares: one Redis
// (vault, watch windows, audit streams), one key file, one CRM, and a copy
// of the default bundle whose bulk-export limit is 30 records.
func scaleOutConfig(t *testing.T, redisAddr, crm string, sync bool) string {
	t.Helper()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.CopyFS(rules, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	dataPath := filepath.Join(rules, "data.json")
	b, err := os.ReadFile(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]map[string]any
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	cfg := data["veil_config"]
	cfg["limits"].(map[string]any)["bulk_export_records"] = 30
	cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["principal_pii_records"] = []int{30}
	if b, err = json.Marshal(data); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dataPath, string(b))
	for _, f := range []string{"fmt_test.go", "rules.go"} {
		_ = os.Remove(filepath.Join(rules, f))
	}
	k, err := vault.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "vault.keys")
	writeFile(t, keys, vault.FormatKey(k)+"\n")
	path := filepath.Join(dir, "veil.yaml")
	// Port 0 for each listener: the replica logs where it listens.
	// (listen and admin.listen must differ as written.)
	writeFile(t, path, fmt.Sprintf(`listen: localhost:0
admin:
  listen: 127.0.0.1:0
log:
  level: info
policy:
  rules: %s
  watch: false
identity:
  principals:
    - {id: demo-admin, token: demo-admin, roles: [admin], mfa: true}
    - {id: demo-sales, token: demo-sales, roles: [sales_rep]}
    - {id: demo-analyst, token: demo-analyst, roles: [analyst]}
routes:
  - {name: salesforce, dialect: salesforce, prefix: /services/, upstream: %q, purpose: support}
redis:
  addrs: [%q]
vault:
  backend: redis
  keys_file: %s
audit:
  spool_dir: %s
  sync: %t
watch:
  bulk_export: {window: 1h, records: 1000000}
`, rules, crm, redisAddr, keys, filepath.Join(dir, "spool"), sync))
	return path
}

type answer struct {
	status int
	code   string
	body   []byte
}

func call(t *testing.T, method, u, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("X-Veil-Error"), b}
}

var tokenRe = regexp.MustCompile(`vt\.[0-9a-z]{8,41}`)

// Three `veil serve` processes sharing one real redis-server: identical
// tokens for a value whichever replica writes it, one bulk-export window
// for all of them, and one audit stream whose per-instance hash chains
// verify; a replica stopped mid-load loses no event of what it answered.
func TestScaleOutReplicasShareRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three veil processes")
	}
	rs := redistest.Start(t)
	crm, err := fakecrm.New(os.DirFS("../../testdata/crm"), fakecrm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	cfg := scaleOutConfig(t, rs.Addr(), crmSrv.URL, false)
	reps := []*replica{startReplica(t, cfg), startReplica(t, cfg), startReplica(t, cfg)}

	// 1. The vault: the same SSN written through each replica is the same
	// token in the CRM, and each replica reads the others' back.
	var page struct{ Records []map[string]any }
	q := crmSrv.URL + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact ORDER BY Id")
	if err := json.Unmarshal(call(t, "GET", q, "crm-token", "").body, &page); err != nil || len(page.Records) < 3 {
		t.Fatalf("fixtures: %v %d", err, len(page.Records))
	}
	tokens := map[string]bool{}
	for i, r := range reps {
		path := "/services/data/v62.0/sobjects/Contact/" + page.Records[i]["Id"].(string)
		if a := call(t, "PATCH", r.url+path, "demo-sales", `{"SSN__c":"219-09-9999"}`); a.status != 204 {
			t.Fatalf("replica %d write: %d %s", i, a.status, a.body)
		}
		for _, tok := range tokenRe.FindAllString(string(call(t, "GET", crmSrv.URL+path, "crm-token", "").body), -1) {
			tokens[tok] = true
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("tokens stored through three replicas: %v, want one", tokens)
	}
	for i, r := range reps {
		other := "/services/data/v62.0/sobjects/Contact/" + page.Records[(i+1)%3]["Id"].(string)
		if a := call(t, "GET", r.url+other, "demo-admin", ""); a.status != 200 || !bytes.Contains(a.body, []byte("219-09-9999")) {
			t.Errorf("replica %d does not detokenize another replica's write for the admin: %d %.200s", i, a.status, a.body)
		}
	}

	// 2. One bulk-export window: the analyst reads 12 records a query, in
	// turn through each replica; none of them alone sees 30, yet past 30
	// in all every replica refuses (the watch's counts live in Redis and
	// reach the policy as stats.principal_pii_records).
	all := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Name, Email, Phone FROM Contact")
	perReplica := make([]int, 3)
	refusedAt := -1
	for n := 0; n < 30 && refusedAt < 0; n++ {
		i := n % 3
		a := call(t, "GET", reps[i].url+all, "demo-analyst", "")
		switch {
		case a.status == 200:
			perReplica[i]++
			// The watch writes its counts asynchronously, and a replica
			// reads the others' at most watch.DefaultStatsFresh late.
			time.Sleep(watch.DefaultStatsFresh + 100*time.Millisecond)
		case a.status == 403 && a.code == "policy_denied" && bytes.Contains(a.body, []byte("bulk_export_limit")):
			refusedAt = n
		default:
			t.Fatalf("query %d through replica %d: %d %q %.200s", n, i, a.status, a.code, a.body)
		}
	}
	if refusedAt < 0 {
		t.Fatal("the bulk-export limit never applied across replicas")
	}
	for i, n := range perReplica {
		if n*12 >= 30 {
			t.Errorf("replica %d alone served %d records: the limit may be its own", i, n*12)
		}
	}
	if refusedAt != 3 {
		t.Errorf("refused at query %d, want 4: 36 records read in all, 30 allowed", refusedAt+1)
	}
	time.Sleep(watch.DefaultStatsFresh + 100*time.Millisecond)
	for i, r := range reps {
		if a := call(t, "GET", r.url+all, "demo-analyst", ""); a.status != 403 {
			t.Errorf("replica %d serves the analyst past the shared limit: %d", i, a.status)
		}
	}

	// 3. Stopping one replica mid-load (SIGTERM, as Kubernetes does):
	// every exchange it answered has its events in the stream.
	rc := rs.Client(t)
	termed, termStatuses := loadThenStop(t, reps[2], syscall.SIGTERM)
	if err := <-reps[2].done; err != nil {
		t.Errorf("replica 2 exited: %v", err)
	}
	if lost := unrecorded(t, rc, termed); lost > 0 {
		t.Errorf("%d of %d exchanges answered by the replica stopped with SIGTERM lack their two events", lost, len(termed))
	}

	// 4. Killing one mid-load (SIGKILL: an OOM kill, a node lost): with
	// audit.sync a message goes on only once its event is durable, so
	// every exchange answered has its events even then.
	syncCfg := scaleOutConfig(t, rs.Addr(), crmSrv.URL, true)
	killed := startReplica(t, syncCfg)
	answered, killStatuses := loadThenStop(t, killed, syscall.SIGKILL)
	<-killed.done
	if lost := unrecorded(t, rc, answered); lost > 0 {
		t.Errorf("%d of %d exchanges answered by the audit.sync replica killed with SIGKILL lack their two events", lost, len(answered))
	}

	ctx := context.Background()
	entries, err := rc.XRange(ctx, "veil:audit", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	instances := map[string]bool{}
	for _, e := range entries {
		instances[eventOf(t, e).Instance] = true
	}
	if len(instances) != 4 {
		t.Errorf("instances in the stream: %d, want 4", len(instances))
	}
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"audit", "verify", "-c", cfg}, &out, &errb); err != nil {
		t.Errorf("veil audit verify: %v\n%s%s", err, out.String(), errb.String())
	}
	t.Logf("%d events from 4 replicas; exchanges answered by the one stopped with SIGTERM %d (statuses %v), by the audit.sync one killed %d (%v); bulk export refused at query %d (%v per replica)",
		len(entries), len(termed), termStatuses, len(answered), killStatuses, refusedAt+1, perReplica)
}

// loadThenStop sends a load of GETs through r from four clients, signals
// r half a second in, and returns the request ids of the exchanges
// answered 200 and the count of each status. The versions list it reads
// holds no personal data: the lowered bulk-export limit stays out of the
// way.
func loadThenStop(t *testing.T, r *replica, sig syscall.Signal) (answered []string, statuses map[int]int) {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	statuses = map[int]int{}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", r.url+"/services/data/", nil)
				req.Header.Set("Authorization", "Bearer demo-sales")
				res, err := c.Do(req)
				if err != nil {
					continue // refused once it stopped listening
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				if id := res.Header.Get("X-Request-Id"); id != "" && res.StatusCode == 200 && err == nil {
					answered = append(answered, id)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		r.done <- err // for the caller
	case <-time.After(30 * time.Second):
		t.Fatalf("the replica did not stop on %v", sig)
	}
	close(stop)
	wg.Wait()
	if len(answered) == 0 {
		t.Fatalf("no exchange answered before %v: %v", sig, statuses)
	}
	return answered, statuses
}

// unrecorded counts the request ids that lack their request and response
// events in the audit stream.
func unrecorded(t *testing.T, rc *redis.Client, ids []string) int {
	t.Helper()
	entries, err := rc.XRange(context.Background(), "veil:audit", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	byRequest := map[string]int{}
	for _, e := range entries {
		byRequest[eventOf(t, e).RequestID]++
	}
	lost := 0
	for _, id := range ids {
		if byRequest[id] != 2 {
			lost++
		}
	}
	return lost
}

func eventOf(t *testing.T, e redis.XMessage) audit.Event {
	t.Helper()
	var ev audit.Event
	if err := json.Unmarshal([]byte(fmt.Sprint(e.Values[audit.FieldEvent])), &ev); err != nil {
		t.Fatalf("stream entry %s: %v", e.ID, err)
	}
	return ev
}
