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
}

// Engine evaluates the bundle's data.veil.decision, prepared once. It is
// safe for concurrent use; Reload swaps the prepared query atomically.
type Engine struct {
	fsys fs.FS
	log  *zap.Logger
	cur  atomic.Pointer[compiled]
	mu   sync.Mutex // serialises Reload so an older bundle cannot win a race
}

// New loads and compiles the bundle in opts.FS. A broken bundle is an error
// naming file:line; nothing is served from it.
func New(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{fsys: opts.FS, log: opts.Logger}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	c, err := compile(ctx, opts.FS)
	if err != nil {
		return nil, fmt.Errorf("load policy bundle: %w", err)
	}
	e.cur.Store(c)
	e.log.Info("policy bundle loaded", zap.String("revision", c.revision), zap.Int("modules", c.modules))
	return e, nil
}

// Revision is the revision of the bundle currently serving.
func (e *Engine) Revision() string { return e.cur.Load().revision }

// Reload recompiles the bundle from the same file system and swaps it in
// only if it compiles; otherwise the current bundle keeps serving and the
// error says why.
func (e *Engine) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t0 := time.Now()
	c, err := compile(ctx, e.fsys)
	if err != nil {
		e.log.Error("policy reload failed; previous bundle keeps serving",
			zap.String("revision", e.Revision()), zap.Error(err))
		return fmt.Errorf("reload policy bundle: %w", err)
	}
	old := e.cur.Swap(c)
	e.log.Info("policy bundle reloaded", zap.String("revision", c.revision),
		zap.String("previous", old.revision), zap.Duration("took", time.Since(t0)))
	return nil
}

// Decide evaluates the policy for one message. Every decision gets a fresh
// id and the serving bundle's revision. Errors wrap ErrEvaluation.
func (e *Engine) Decide(ctx context.Context, in *Input) (*Decision, error) {
	if in == nil {
		return nil, fmt.Errorf("%w: nil input", ErrEvaluation)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvaluation, err)
	}
	c := e.cur.Load()
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
	d.ID, d.Revision = newID(), c.revision
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
