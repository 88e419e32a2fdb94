package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
)

// Query is the one document the engine evaluates per message.
const Query = "data.veil.decision"

// ConfigRoot is where a bundle's configuration data lives. data.json files
// are loaded the way `opa eval -d rules/` loads them, at the data root, so
// the default bundle's data.json is {"veil_config": {...}}. A root named
// "veil" is refused: it would share its prefix with package veil, which OPA
// reports as recursion deep inside the compiler.
const ConfigRoot = "veil_config"

var decisionRef = ast.MustParseRef(Query)

// deniedBuiltins are built-ins a policy may not call: those that reach the
// network or the host. A policy is a pure function of its input and data;
// evaluation must not stall on a socket or read the process environment.
// The net.cidr_* functions stay: they compute, they do not connect, and
// principal.ip rules need them.
var deniedBuiltins = []string{
	"http.send",          // outbound HTTP
	"net.lookup_ip_addr", // DNS
	"opa.runtime",        // environment variables and OPA config
}

// capabilities is the built-in set of this OPA version minus deniedBuiltins.
// A bundle calling a denied built-in fails to compile ("undefined
// function"), so it never starts serving.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool {
		return slices.Contains(deniedBuiltins, b.Name)
	})
	return c
}

// compiled is one loaded bundle, ready to evaluate, with its decision
// cache (nil when the bundle turns it off).
type compiled struct {
	query    rego.PreparedEvalQuery
	revision string
	modules  int
	cache    *decisionCache
	spec     cacheSpec // what the bundle declared, also with the cache off
}

// loadFilter keeps Rego modules and data.json/data.yaml files and skips
// everything else in the directory (README.md, rules.go, schemas): the
// OPA loader would otherwise merge any *.json file into the data root.
// Hidden entries are skipped; tests are kept only when withTests is set.
func loadFilter(withTests bool) loader.Filter {
	return func(p string, info fs.FileInfo, depth int) bool {
		name := info.Name()
		if depth > 0 && strings.HasPrefix(name, ".") {
			return true
		}
		if info.IsDir() {
			return false
		}
		switch {
		case strings.HasSuffix(name, "_test.rego"):
			return !withTests
		case strings.HasSuffix(name, ".rego"), name == "data.json", name == "data.yaml", name == "data.yml":
			return false
		}
		return true
	}
}

// load reads the bundle's modules and data from fsys. Parse errors name
// file:line.
func load(fsys fs.FS, withTests bool) (*loader.Result, error) {
	if fsys == nil {
		return nil, errors.New("no bundle file system")
	}
	res, err := loader.NewFileLoader().
		WithFS(fsys).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotation(true).
		Filtered([]string{"."}, loadFilter(withTests))
	if err != nil {
		return nil, err
	}
	if len(res.Modules) == 0 {
		return nil, errors.New("bundle holds no .rego module")
	}
	if _, ok := res.Documents["veil"]; ok {
		return nil, fmt.Errorf("data at root %q clashes with package veil: put configuration under %q", "veil", ConfigRoot)
	}
	return res, nil
}

// newStore holds the bundle's data, returning AST values on read so that
// evaluation does not convert data.veil_config on every decision.
func newStore(res *loader.Result) storage.Store {
	return inmem.NewFromObjectWithOpts(res.Documents,
		inmem.OptRoundTripOnWrite(false),
		inmem.OptReturnASTValuesOnRead(true),
	)
}

// newCompiler loads fsys (with or without its *_test.rego files) and
// returns its parsed modules and a compiler set up as every Veil
// evaluation is: restricted capabilities, Rego v1, the bundle's input
// schema. The engine and the test runner share it, so tests run under the
// same rules as the policy.
func newCompiler(fsys fs.FS, withTests bool) (*loader.Result, map[string]*ast.Module, *ast.Compiler, error) {
	res, err := load(fsys, withTests)
	if err != nil {
		return nil, nil, nil, err
	}
	modules := make(map[string]*ast.Module, len(res.Modules))
	for name, m := range res.Modules {
		modules[name] = m.Parsed
	}
	schemas, err := inputSchema(fsys)
	if err != nil {
		return nil, nil, nil, err
	}
	c := ast.NewCompiler().
		WithCapabilities(capabilities()).
		WithDefaultRegoVersion(ast.RegoV1).
		WithSchemas(schemas)
	return res, modules, c, nil
}

// compile loads fsys (tests excluded), compiles it with the restricted
// capabilities and the input schema (if the bundle has one), and prepares
// Query once.
func compile(ctx context.Context, fsys fs.FS) (*compiled, error) {
	res, modules, c, err := newCompiler(fsys, false)
	if err != nil {
		return nil, err
	}
	if c.Compile(modules); c.Failed() {
		return nil, c.Errors // each error carries file:line
	}
	if len(c.GetRulesForVirtualDocument(decisionRef)) == 0 {
		return nil, fmt.Errorf("bundle defines no %s rule", Query)
	}
	pq, err := rego.New(
		rego.Compiler(c),
		rego.Store(newStore(res)),
		rego.Query(Query),
		// Output is decoded from the AST: skip the conversion to Go values.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
		// A failing built-in is an error, not an undefined expression that
		// could quietly skip a deny rule.
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	spec, err := cacheSpecOf(res.Documents)
	if err != nil {
		return nil, err
	}
	if nondeterministicCall(c) != "" {
		spec.size = 0 // its answer may change without its input changing
	}
	return &compiled{query: pq, revision: revision(res), modules: len(modules), cache: newDecisionCache(spec), spec: spec}, nil
}

// SchemaFile is the optional JSON Schema of the input at the bundle's root.
// When present, the compiler type-checks every reference to input against
// it, so `input.principal.rolez` fails to load instead of being silently
// undefined (and a rule silently never firing).
const SchemaFile = "input.schema.json"

func inputSchema(fsys fs.FS) (*ast.SchemaSet, error) {
	b, err := fs.ReadFile(fsys, SchemaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var schema any
	if err := util.UnmarshalJSON(b, &schema); err != nil {
		return nil, fmt.Errorf("%s: %w", SchemaFile, err)
	}
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, schema)
	return ss, nil
}

// revision hashes what the engine evaluates (modules and data files, by
// path and content, tests excluded): the same bundle always gets the same
// revision, any change a new one. 64 bits of SHA-256 in hex.
func revision(res *loader.Result) string {
	type file struct {
		name string
		raw  []byte
	}
	var files []file
	for name, m := range res.Modules {
		files = append(files, file{path.Clean(name), m.Raw})
	}
	// Data is hashed as loaded (the loader keeps no raw bytes): the canonical
	// JSON of the merged documents.
	files = append(files, file{"data", []byte(ast.MustInterfaceToValue(res.Documents).String())})
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.raw))
		h.Write(f.raw)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// nondeterministicCall names a built-in the compiled bundle calls whose
// result is not a function of its arguments (time.now_ns, rand.intn …),
// or "". Such a bundle gets no decision cache.
func nondeterministicCall(c *ast.Compiler) string {
	name := ""
	for _, m := range c.Modules {
		ast.WalkExprs(m, func(x *ast.Expr) bool {
			if name == "" && x.IsCall() {
				if b := ast.BuiltinMap[x.Operator().String()]; b != nil && b.Nondeterministic {
					name = b.Name
				}
			}
			return name != ""
		})
	}
	return name
}
