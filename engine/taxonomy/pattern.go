package taxonomy

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// pattern is a regular expression that must match a whole value. Patterns
// that match a small finite set of strings (push, (status|diff|log)) are
// looked up in that set instead: Go's regular expressions are slow on
// alternations, and most patterns in a taxonomy are word lists.
type pattern struct {
	src string
	set map[string]struct{} // nil: use re
	re  *regexp.Regexp
}

func (p *pattern) match(s string) bool {
	if p.set != nil {
		_, ok := p.set[s]
		return ok
	}
	return p.re.MatchString(s)
}

// maxEnumerated bounds the strings of a pattern turned into a set.
const maxEnumerated = 512

// enumerate returns every string a regular expression matches in full,
// when they are few; false otherwise.
func enumerate(r *syntax.Regexp) ([]string, bool) {
	switch r.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		if r.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(r.Rune)}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(r.Rune); i += 2 {
			if r.Rune[i+1]-r.Rune[i] > 64 {
				return nil, false
			}
			for c := r.Rune[i]; c <= r.Rune[i+1]; c++ {
				out = append(out, string(c))
			}
		}
		return out, len(out) <= maxEnumerated
	case syntax.OpCapture:
		return enumerate(r.Sub[0])
	case syntax.OpQuest:
		sub, ok := enumerate(r.Sub[0])
		return append(sub, ""), ok && len(sub) < maxEnumerated
	case syntax.OpAlternate:
		var out []string
		for _, sub := range r.Sub {
			s, ok := enumerate(sub)
			if !ok || len(out)+len(s) > maxEnumerated {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range r.Sub {
			s, ok := enumerate(sub)
			if !ok || len(out)*len(s) > maxEnumerated {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(s))
			for _, a := range out {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

// patterns matches when any of its patterns does.
type patterns []*pattern

func (ps patterns) any(s string) bool {
	for _, p := range ps {
		if p.match(s) {
			return true
		}
	}
	return false
}

// compilePattern compiles a full-match pattern after expanding variables.
func (b *builder) compilePattern(s str) (*pattern, error) {
	src, err := b.expandOne(s.s, s.n, modeRegex)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`^(?:` + src + `)$`)
	if err != nil {
		return nil, b.d.errf(s.n, "invalid pattern %q: %v", s.s, unwrapRegexpErr(err))
	}
	p := &pattern{src: s.s, re: re}
	if parsed, err := syntax.Parse(src, syntax.Perl); err == nil {
		if words, ok := enumerate(parsed.Simplify()); ok {
			p.set = make(map[string]struct{}, len(words))
			for _, w := range words {
				p.set[w] = struct{}{}
			}
		}
	}
	return p, nil
}

// compileSearch compiles a pattern that may match anywhere in a value.
func (b *builder) compileSearch(s str) (*search, error) {
	src, err := b.expandOne(s.s, s.n, modeRegex)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, b.d.errf(s.n, "invalid pattern %q: %v", s.s, unwrapRegexpErr(err))
	}
	return newSearch(re, src), nil
}

// searches matches when any of its patterns is found.
type searches []*search

func (ss searches) any(text, lower string) bool {
	for _, s := range ss {
		if s.match(text, lower) {
			return true
		}
	}
	return false
}

// compileSearches compiles a string-or-list of search patterns.
func (b *builder) compileSearches(n ast.Node, what string) (searches, error) {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return nil, err
	}
	out := make(searches, 0, len(ss))
	for _, s := range ss {
		p, err := b.compileSearch(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// unwrapRegexpErr drops the redundant "error parsing regexp: " prefix.
func unwrapRegexpErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// compilePatterns compiles a string-or-list of patterns.
func (b *builder) compilePatterns(n ast.Node, what string) (patterns, error) {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return nil, err
	}
	out := make(patterns, 0, len(ss))
	for _, s := range ss {
		p, err := b.compilePattern(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// names is a set of program names.
type names map[string]bool

// compileNames reads a string-or-list of program names and @set
// references.
func (b *builder) compileNames(n ast.Node, what string) (names, error) {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return nil, err
	}
	out := names{}
	for _, s := range ss {
		if set, ok := strings.CutPrefix(s.s, "@"); ok {
			members, ok := b.sets[set]
			if !ok {
				return nil, b.d.errf(s.n, "unknown set @%s", set)
			}
			for _, m := range members {
				out[m] = true
			}
			continue
		}
		if err := b.checkName(s); err != nil {
			return nil, err
		}
		out[s.s] = true
	}
	return out, nil
}

// checkName validates a program name: a base name, no path.
func (b *builder) checkName(s str) error {
	if strings.ContainsAny(s.s, "/ \t\n") || s.s == ".." {
		return b.d.errf(s.n, "program name %q must be a plain name without a path or spaces", s.s)
	}
	return nil
}

func (ns names) anyOf(list []string) bool {
	for _, s := range list {
		if ns[s] {
			return true
		}
	}
	return false
}
