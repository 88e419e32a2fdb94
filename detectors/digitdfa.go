package detectors

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// digitMatcher answers whether a whole string of ASCII digits matches a
// pattern, as regexp.MustCompile("^(?:"+pattern+")$").Match would, or,
// made by compileDigitPrefix, whether a prefix of it does ("^(?:"+pattern+")"). The
// phone metadata's national number patterns are such patterns, matched
// against candidates of at most 17 digits, several per candidate: Go's
// regexp engines cost a few hundred nanoseconds each there. A DFA over
// the ten digits, built once from the pattern's program, answers in one
// table step per digit. A pattern whose DFA would pass maxDigitStates, or
// that uses what the construction does not model (empty-width
// assertions), keeps the regexp, as does any input that is not all
// digits.
type digitMatcher struct {
	pattern string         // as compiled, unanchored
	re      *regexp.Regexp // always set: the fallback and the reference
	prefix  bool           // a match may end before the input does
	next    [][10]int32    // state × digit → state; -1 is no match possible
	accept  []bool         // per state: the input may end here
}

// maxDigitStates bounds one pattern's DFA (40 bytes a state): the largest
// region's patterns need a few hundred.
const maxDigitStates = 4096

func compileDigitMatcher(pattern string) (*digitMatcher, error) {
	return compileDigits(pattern, false)
}

func compileDigitPrefix(pattern string) (*digitMatcher, error) {
	return compileDigits(pattern, true)
}

func compileDigits(pattern string, prefix bool) (*digitMatcher, error) {
	anchor := "$"
	if prefix {
		anchor = ""
	}
	re, err := regexp.Compile("^(?:" + pattern + ")" + anchor)
	if err != nil {
		return nil, err
	}
	m := &digitMatcher{pattern: pattern, re: re, prefix: prefix}
	re2, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return m, nil
	}
	prog, err := syntax.Compile(re2.Simplify())
	if err != nil {
		return m, nil
	}
	m.next, m.accept = buildDigitDFA(prog)
	return m, nil
}

// Match reports whether all of b matches.
func (m *digitMatcher) Match(b []byte) bool {
	if m.next == nil {
		return m.re.Match(b)
	}
	s := int32(0)
	for _, c := range b {
		if m.prefix && m.accept[s] {
			return true
		}
		if c < '0' || c > '9' {
			return m.re.Match(b)
		}
		if s = m.next[s][c-'0']; s < 0 {
			return false
		}
	}
	return m.accept[s]
}

// buildDigitDFA runs the subset construction over prog restricted to the
// digits; nil when prog has empty-width instructions or the DFA passes
// maxDigitStates. A state is the set of rune instructions the NFA may be
// at (after following every Alt, Capture and Nop), plus whether Match is
// among them.
func buildDigitDFA(prog *syntax.Prog) ([][10]int32, []bool) {
	for i := range prog.Inst {
		if prog.Inst[i].Op == syntax.InstEmptyWidth {
			return nil, nil
		}
	}
	closure := func(starts []uint32) ([]uint32, bool) {
		var (
			set    []uint32
			accept bool
			seen   = make(map[uint32]bool)
			stack  = slices.Clone(starts)
		)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[pc] {
				continue
			}
			seen[pc] = true
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, in.Out, in.Arg)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, in.Out)
			case syntax.InstMatch:
				accept = true
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				set = append(set, pc)
			}
		}
		slices.Sort(set)
		return set, accept
	}
	key := func(set []uint32, acc bool) string {
		var sb strings.Builder
		if acc {
			sb.WriteByte('$')
		}
		for _, pc := range set {
			sb.WriteString(strconv.FormatUint(uint64(pc), 36))
			sb.WriteByte(',')
		}
		return sb.String()
	}
	var (
		next   [][10]int32
		accept []bool
		sets   [][]uint32
		index  = map[string]int32{}
	)
	add := func(set []uint32, acc bool) int32 {
		k := key(set, acc)
		if i, ok := index[k]; ok {
			return i
		}
		i := int32(len(sets))
		index[k] = i
		sets = append(sets, set)
		next = append(next, [10]int32{})
		accept = append(accept, acc)
		return i
	}
	add(closure([]uint32{uint32(prog.Start)}))
	for s := 0; s < len(sets); s++ {
		if len(sets) > maxDigitStates {
			return nil, nil
		}
		for d := range 10 {
			var outs []uint32
			for _, pc := range sets[s] {
				if prog.Inst[pc].MatchRune('0' + rune(d)) {
					outs = append(outs, prog.Inst[pc].Out)
				}
			}
			set, acc := closure(outs)
			if len(set) == 0 && !acc {
				next[s][d] = -1
				continue
			}
			next[s][d] = add(set, acc)
		}
	}
	return next, accept
}
