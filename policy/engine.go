package policy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"go.uber.org/zap"
)

// ErrEvaluation is wrapped by every Decide error: the policy failed, its
// decision was undefined, or its output was malformed. The caller fails
// closed and reports code "policy_error".
var ErrEvaluation = errors.New("policy evaluation failed")

// Options configure an Engine.
type Options struct {
	FS     fs.FS       // bundle files (rules.FS or os.DirFS(dir)); *_test.rego are skipped for evaluation
	Logger *zap.Logger // may be nil
	// ShadowFS, when set, is a second bundle evaluated alongside (dry run):
	// its decisions are compared with the enforced ones, differences are
	// counted and logged, and nothing it says is enforced.
	ShadowFS fs.FS
	// Recent is how many decisions GET /admin/decisions/{id} can explain;
	// 0 means DefaultRecent, a negative value keeps none.
	Recent int
	// NoCache evaluates every message, whatever the bundle configures
	// (benchmarks, debugging a policy).
	NoCache bool
}

// DefaultRecent is how many recent decisions an engine keeps to explain.
const DefaultRecent = 1024

// Engine evaluates the bundle's data.veil.decision, prepared once. It is
// safe for concurrent use. A bundle comes from an fs.FS (the built-in
// rules.FS or a directory): Rego v1 modules plus data.json, whose
// configuration lives under data.veil_config. It is compiled once with the
// network built-ins removed from the capabilities (http.send,
// net.lookup_ip_addr, opa.runtime do not compile); Reload swaps the
// prepared query through an atomic.Pointer, so a broken bundle never
// replaces a working one.
type Engine struct {
	fsys, shadowFS fs.FS
	noCache        bool
	log            *zap.Logger
	cur            atomic.Pointer[compiled]
	shadow         atomic.Pointer[compiled]
	mu             sync.Mutex // serialises Reload so an older bundle cannot win a race
	recent         *recentDecisions
	loadedFP       atomic.Uint64 // fingerprint of the files as last (re)loaded, for Watch
	shadowJobs     chan shadowJob
	stats          counters
}

// New loads and compiles the bundle in opts.FS (and opts.ShadowFS). A
// broken bundle is an error naming file:line; nothing is served from it.
func New(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{fsys: opts.FS, shadowFS: opts.ShadowFS, noCache: opts.NoCache, log: opts.Logger}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	n := opts.Recent
	if n == 0 {
		n = DefaultRecent
	}
	e.recent = newRecent(n)
	e.loadedFP.Store(e.fingerprint())
	c, err := e.compile(ctx, opts.FS)
	if err != nil {
		return nil, fmt.Errorf("load policy bundle: %w", err)
	}
	e.cur.Store(c)
	e.log.Info("policy bundle loaded", zap.String("revision", c.revision), zap.Int("modules", c.modules))
	if opts.ShadowFS != nil {
		sc, err := e.compile(ctx, opts.ShadowFS)
		if err != nil {
			return nil, fmt.Errorf("load shadow policy bundle: %w", err)
		}
		e.shadow.Store(sc)
		e.shadowJobs = make(chan shadowJob, shadowQueue)
		go e.shadowWorker()
		e.log.Info("shadow policy bundle loaded (dry run, not enforced)", zap.String("revision", sc.revision))
	}
	return e, nil
}

// compile compiles a bundle the way this engine runs it.
func (e *Engine) compile(ctx context.Context, fsys fs.FS) (*compiled, error) {
	c, err := compile(ctx, fsys)
	if err == nil && e.noCache {
		c.cache = nil
	}
	return c, err
}

// Revision is the revision of the bundle currently serving.
func (e *Engine) Revision() string { return e.cur.Load().revision }

// ShadowRevision is the revision of the shadow bundle, "" without one.
func (e *Engine) ShadowRevision() string {
	if c := e.shadow.Load(); c != nil {
		return c.revision
	}
	return ""
}

// Reload recompiles the bundle (and the shadow bundle) from the same file
// systems and swaps in each one that compiles; one that does not leaves
// the current one serving, and the error says why. A swap starts with an
// empty decision cache.
func (e *Engine) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t0 := time.Now()
	var errs []error
	e.loadedFP.Store(e.fingerprint())
	c, err := e.compile(ctx, e.fsys)
	if err != nil {
		e.stats.reloadFailures.Add(1)
		e.log.Error("policy reload failed; previous bundle keeps serving",
			zap.String("revision", e.Revision()), zap.Error(err))
		errs = append(errs, fmt.Errorf("reload policy bundle: %w", err))
	} else {
		old := e.cur.Swap(c)
		e.stats.reloads.Add(1)
		e.log.Info("policy bundle reloaded", zap.String("revision", c.revision),
			zap.String("previous", old.revision), zap.Duration("took", time.Since(t0)))
	}
	if e.shadowFS != nil {
		sc, err := e.compile(ctx, e.shadowFS)
		if err != nil {
			e.stats.reloadFailures.Add(1)
			e.log.Error("shadow policy reload failed; previous shadow bundle keeps running", zap.Error(err))
			errs = append(errs, fmt.Errorf("reload shadow policy bundle: %w", err))
		} else {
			e.shadow.Store(sc)
		}
	}
	return errors.Join(errs...)
}

// Decide converts the Input to an ast.Value directly (no JSON round trip),
// evaluates, and decodes the output strictly: unknown keys, unknown
// actions or a missing "allow" are errors, as are evaluation failures and
// an undefined decision, and the caller fails closed. Errors carry error
// codes and policy locations, never an input value.
//
// Decide evaluates the policy for one message, at most once: a message of
// a shape decided before (same input but for what the bundle declares it
// ignores) is answered from the decision cache. Every decision gets a
// fresh id and the serving bundle's revision, and is kept to be explained
// (Explain). Errors wrap ErrEvaluation. Decide first rounds in.Stats down
// to the levels the serving bundle declares (decision_cache.stats_levels),
// so the policy, the cache and the explanation all see the rounded
// counts. in must not change after Decide returns: the shadow bundle
// reads it later.
func (e *Engine) Decide(ctx context.Context, in *Input) (*Decision, error) {
	if in == nil {
		return nil, fmt.Errorf("%w: nil input", ErrEvaluation)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvaluation, err)
	}
	c := e.cur.Load()
	var rounded bool // in.Stats is then a map of the engine's own
	in.Stats, rounded = c.spec.quantize(in.Stats)
	d, cached, err := c.decide(ctx, in)
	if err != nil {
		e.stats.errors.Add(1)
		return nil, err
	}
	if cached {
		e.stats.cacheHits.Add(1)
	} else if c.cache != nil {
		e.stats.cacheMisses.Add(1)
	}
	out := *d // the cached decision is shared: copy before stamping
	out.ID, out.Revision = newID(), c.revision
	if e.recent != nil {
		k := &kept{x: Explanation{DecisionID: out.ID, Time: time.Now().UTC(), Revision: out.Revision, Cached: cached, Rules: out.Rules}}
		k.summarize(in, rounded)
		k.result(&out, in)
		e.recent.add(k)
	}
	if e.shadowJobs != nil {
		select {
		case e.shadowJobs <- shadowJob{in: in, enforced: &out}:
		default:
			e.stats.shadowSkipped.Add(1)
		}
	}
	return &out, nil
}

// KeepsInput reports whether the engine may read an input after Decide
// has returned: a shadow bundle evaluates it later, on its own goroutine.
// A caller may reuse an input's slices for the next one only when it
// does not.
func (e *Engine) KeepsInput() bool { return e.shadowJobs != nil }

// Explain returns what is kept of a recent decision.
func (e *Engine) Explain(id string) (Explanation, bool) {
	if e.recent == nil {
		return Explanation{}, false
	}
	return e.recent.get(id)
}

// decide answers from the cache or evaluates once and caches the answer.
func (c *compiled) decide(ctx context.Context, in *Input) (d *Decision, cached bool, err error) {
	var k cacheKey
	if c.cache != nil {
		k = c.cache.key(in)
		if d := c.cache.get(k); d != nil {
			return d, true, nil
		}
	}
	if d, err = c.eval(ctx, in); err != nil {
		return nil, false, err
	}
	if c.cache != nil {
		c.cache.put(k, d)
	}
	return d, false, nil
}

// eval runs the prepared query and decodes its answer.
func (c *compiled) eval(ctx context.Context, in *Input) (*Decision, error) {
	rs, err := c.query.Eval(ctx, rego.EvalParsedInput(in.astValue()))
	if err != nil {
		return nil, evalError(ctx, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("%w: %s is undefined", ErrEvaluation, Query)
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return nil, fmt.Errorf("%w: unexpected result type %T", ErrEvaluation, rs[0].Expressions[0].Value)
	}
	d, err := decodeDecision(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvaluation, err)
	}
	return d, nil
}

// evalError wraps an evaluation failure without its message: a built-in's
// message may quote its operand, and operands come from the input. The
// code and the policy location are enough to find the fault.
func evalError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrEvaluation, ctx.Err())
	}
	var te *topdown.Error
	if errors.As(err, &te) {
		if te.Location != nil {
			return fmt.Errorf("%w: %s at %s", ErrEvaluation, te.Code, te.Location)
		}
		return fmt.Errorf("%w: %s", ErrEvaluation, te.Code)
	}
	return fmt.Errorf("%w: %T", ErrEvaluation, err)
}

// newID is a random 128-bit decision id in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
