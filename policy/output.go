package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Severities an alert may carry: a bounded set, because the SOC routes and
// counts alerts by it.
var severities = map[string]bool{"info": true, "low": true, "medium": true, "high": true, "critical": true}

// decodeError is a malformed decision. It names the output field at fault
// and the kind of problem, never a value from the input (a policy could echo
// one into any field).
type decodeError struct{ field, problem string }

func (e *decodeError) Error() string { return "decision " + e.field + ": " + e.problem }

// kind names a value's type with its article: "an array", "a string".
func kind(v ast.Value) string {
	n := ast.ValueName(v)
	if strings.ContainsRune("aeiou", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}

func malformed(field, format string, args ...any) error {
	return &decodeError{field: field, problem: fmt.Sprintf(format, args...)}
}

// decodeDecision reads the policy's output strictly: the keys of Decision
// and nothing else, every action from the vocabulary, lists as arrays or
// sets. "allow" is required; the other keys default to empty. Any deny
// reason forces Allow to false, so a policy that says both cannot let a
// message through.
func decodeDecision(v ast.Value) (*Decision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, malformed("", "is %s, want an object", kind(v))
	}
	d := &Decision{Deny: []Reason{}, Actions: []FindingAction{}, Default: map[string]string{}, Drop: []string{}, Alerts: []Alert{}, Rules: []string{}}
	sawAllow := false
	err := obj.Iter(func(k, val *ast.Term) error {
		key, ok := k.Value.(ast.String)
		if !ok {
			return malformed("", "has a non-string key")
		}
		switch key {
		case "allow":
			b, ok := val.Value.(ast.Boolean)
			if !ok {
				return malformed("allow", "is %s, want a boolean", kind(val.Value))
			}
			d.Allow, sawAllow = bool(b), true
			return nil
		case "deny":
			return eachObject(val.Value, "deny", func(o ast.Object) error { return decodeReason(d, o) })
		case "actions":
			return eachObject(val.Value, "actions", func(o ast.Object) error { return decodeAction(d, o) })
		case "default":
			return decodeDefault(d, val.Value)
		case "drop":
			return decodeDrop(d, val.Value)
		case "rules":
			return decodeRules(d, val.Value)
		case "alerts":
			return eachObject(val.Value, "alerts", func(o ast.Object) error { return decodeAlert(d, o) })
		case "probes":
			n, ok := val.Value.(ast.Number)
			if !ok {
				return malformed("probes", "is %s, want a number", kind(val.Value))
			}
			i, ok := n.Int()
			if !ok || i < 0 {
				return malformed("probes", "is %s, want a count", n)
			}
			d.Probes = i
			return nil
		default:
			// A key name is policy code, not data: safe to report.
			return malformed("", "has unknown key %q", string(key))
		}
	})
	if err != nil {
		return nil, err
	}
	if !sawAllow {
		return nil, malformed("allow", "is missing")
	}
	if len(d.Deny) > 0 {
		d.Allow = false
	}
	d.index()
	return d, nil
}

// index sorts the lists (sets come out of Rego in no useful order, and audit
// trails should be reproducible) and builds the per-finding lookup.
func (d *Decision) index() {
	slices.SortFunc(d.Deny, func(a, b Reason) int {
		return cmp.Or(strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message))
	})
	slices.SortFunc(d.Actions, func(a, b FindingAction) int {
		return cmp.Or(cmp.Compare(a.Finding, b.Finding), strings.Compare(a.Action, b.Action), strings.Compare(a.Rule, b.Rule))
	})
	slices.SortFunc(d.Alerts, func(a, b Alert) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Severity, b.Severity), strings.Compare(a.Message, b.Message))
	})
	slices.Sort(d.Drop)
	d.Drop = slices.Compact(d.Drop)
	// Every deny reason and override names its rule: they fired too.
	for _, r := range d.Deny {
		d.Rules = append(d.Rules, r.Rule)
	}
	for _, a := range d.Actions {
		if a.Rule != "" {
			d.Rules = append(d.Rules, a.Rule)
		}
	}
	slices.Sort(d.Rules)
	d.Rules = slices.Compact(d.Rules)
	if len(d.Actions) == 0 {
		return
	}
	d.byFinding = make(map[int]string, len(d.Actions))
	for _, a := range d.Actions {
		if prev, ok := d.byFinding[a.Finding]; !ok || stricter(a.Action, prev) {
			d.byFinding[a.Finding] = a.Action
		}
	}
}

// eachObject calls f for every element of an array or set, which must all
// be objects.
func eachObject(v ast.Value, field string, f func(ast.Object) error) error {
	var elems []*ast.Term
	switch c := v.(type) {
	case *ast.Array:
		elems = make([]*ast.Term, 0, c.Len())
		c.Foreach(func(t *ast.Term) { elems = append(elems, t) })
	case ast.Set:
		elems = c.Slice()
	default:
		return malformed(field, "is %s, want an array or set", kind(v))
	}
	for i, t := range elems {
		o, ok := t.Value.(ast.Object)
		if !ok {
			return malformed(field, "element %d is %s, want an object", i, kind(t.Value))
		}
		if err := f(o); err != nil {
			return err
		}
	}
	return nil
}

// fields reads the string-keyed members of o into dst by name, rejecting
// unknown keys; want lists the keys that must be present.
func fields(o ast.Object, field string, dst map[string]func(ast.Value) error, want ...string) error {
	err := o.Iter(func(k, v *ast.Term) error {
		key, ok := k.Value.(ast.String)
		if !ok {
			return malformed(field, "has a non-string key")
		}
		set, ok := dst[string(key)]
		if !ok {
			return malformed(field, "has unknown key %q", string(key))
		}
		return set(v.Value)
	})
	if err != nil {
		return err
	}
	for _, k := range want {
		if o.Get(ast.InternedTerm(k)) == nil {
			return malformed(field, "lacks %q", k)
		}
	}
	return nil
}

func stringInto(field, key string, dst *string) func(ast.Value) error {
	return func(v ast.Value) error {
		s, ok := v.(ast.String)
		if !ok {
			return malformed(field, "%s is %s, want a string", key, kind(v))
		}
		*dst = string(s)
		return nil
	}
}

func decodeReason(d *Decision, o ast.Object) error {
	var r Reason
	err := fields(o, "deny", map[string]func(ast.Value) error{
		"rule":    stringInto("deny", "rule", &r.Rule),
		"message": stringInto("deny", "message", &r.Message),
	}, "rule")
	if err != nil {
		return err
	}
	if r.Rule == "" {
		return malformed("deny", "has an empty rule")
	}
	d.Deny = append(d.Deny, r)
	return nil
}

func decodeAction(d *Decision, o ast.Object) error {
	var a FindingAction
	err := fields(o, "actions", map[string]func(ast.Value) error{
		"finding": func(v ast.Value) error {
			n, ok := v.(ast.Number)
			if !ok {
				return malformed("actions", "finding is %s, want an integer", kind(v))
			}
			i, ok := n.Int()
			if !ok {
				return malformed("actions", "finding is not an integer")
			}
			a.Finding = i
			return nil
		},
		"action": stringInto("actions", "action", &a.Action),
		"rule":   stringInto("actions", "rule", &a.Rule),
	}, "finding", "action")
	if err != nil {
		return err
	}
	if !KnownAction(a.Action) {
		return malformed("actions", "unknown action %q for finding %d", a.Action, a.Finding)
	}
	d.Actions = append(d.Actions, a)
	return nil
}

func decodeDefault(d *Decision, v ast.Value) error {
	o, ok := v.(ast.Object)
	if !ok {
		return malformed("default", "is %s, want an object", kind(v))
	}
	return o.Iter(func(k, val *ast.Term) error {
		cat, ok := k.Value.(ast.String)
		if !ok {
			return malformed("default", "has a non-string key")
		}
		a, ok := val.Value.(ast.String)
		if !ok {
			return malformed("default", "action for %q is %s, want a string", string(cat), kind(val.Value))
		}
		if !KnownAction(string(a)) {
			return malformed("default", "unknown action %q for category %q", string(a), string(cat))
		}
		d.Default[string(cat)] = string(a)
		return nil
	})
}

func decodeDrop(d *Decision, v ast.Value) error {
	return eachString(v, "drop", func(i int, p string) error {
		// RFC 6901: "" is the whole document, anything else starts with "/".
		// Dropping the whole document is what block is for.
		if !strings.HasPrefix(p, "/") {
			return malformed("drop", "element %d is not a JSON pointer below the root", i)
		}
		d.Drop = append(d.Drop, p)
		return nil
	})
}

func decodeRules(d *Decision, v ast.Value) error {
	return eachString(v, "rules", func(i int, r string) error {
		if r == "" {
			return malformed("rules", "element %d is empty", i)
		}
		d.Rules = append(d.Rules, r)
		return nil
	})
}

// eachString calls f for every element of an array or set, which must all
// be strings.
func eachString(v ast.Value, field string, f func(i int, s string) error) error {
	var elems []*ast.Term
	switch c := v.(type) {
	case *ast.Array:
		c.Foreach(func(t *ast.Term) { elems = append(elems, t) })
	case ast.Set:
		elems = c.Slice()
	default:
		return malformed(field, "is %s, want an array or set", kind(v))
	}
	for i, t := range elems {
		s, ok := t.Value.(ast.String)
		if !ok {
			return malformed(field, "element %d is %s, want a string", i, kind(t.Value))
		}
		if err := f(i, string(s)); err != nil {
			return err
		}
	}
	return nil
}

func decodeAlert(d *Decision, o ast.Object) error {
	var a Alert
	err := fields(o, "alerts", map[string]func(ast.Value) error{
		"kind":     stringInto("alerts", "kind", &a.Kind),
		"severity": stringInto("alerts", "severity", &a.Severity),
		"message":  stringInto("alerts", "message", &a.Message),
	}, "kind", "severity")
	if err != nil {
		return err
	}
	if a.Kind == "" {
		return malformed("alerts", "has an empty kind")
	}
	if !severities[a.Severity] {
		return malformed("alerts", "unknown severity %q for kind %q", a.Severity, a.Kind)
	}
	d.Alerts = append(d.Alerts, a)
	return nil
}
