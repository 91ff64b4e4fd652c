package taxonomy

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// maxFactors bounds the literals of one prefilter.
const maxFactors = 64

// search is an unanchored pattern made fast for the common case, where
// Go's regular expressions are slow: alternations of many words.
//
//   - A text can only match when its lower-case form contains one of the
//     factors; that is checked first with plain substring search.
//   - Alternatives that are plain literals are then looked for directly,
//     and only the remaining alternatives run as a regular expression.
//
// Text with non-ASCII bytes always takes the full regular expression, so
// Unicode case folding never makes a literal check miss.
type search struct {
	re      *regexp.Regexp
	factors []string // lower case; nil: no prefilter
	lits    []litAlt // literal alternatives (nil: no split)
	rest    *search  // the other alternatives; nil when there are none
}

// litAlt is a literal alternative; fold ones are stored in lower case.
type litAlt struct {
	s    string
	fold bool
}

func newSearch(re *regexp.Regexp, src string) *search {
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return &search{re: re}
	}
	return fromSyntax(re, parsed.Simplify(), true)
}

func fromSyntax(re *regexp.Regexp, parsed *syntax.Regexp, split bool) *search {
	s := &search{re: re}
	if f, ok := factors(parsed); ok {
		s.factors = f
	}
	for parsed.Op == syntax.OpCapture {
		parsed = parsed.Sub[0]
	}
	if !split || parsed.Op != syntax.OpAlternate {
		return s
	}
	var others []*syntax.Regexp
	for _, sub := range parsed.Sub {
		if sub.Op == syntax.OpLiteral && len(sub.Rune) > 0 {
			fold := sub.Flags&syntax.FoldCase != 0
			lit := string(sub.Rune)
			if fold {
				lit = strings.ToLower(lit)
			}
			s.lits = append(s.lits, litAlt{s: lit, fold: fold})
			continue
		}
		others = append(others, sub)
	}
	if s.lits == nil {
		return s
	}
	if len(others) > 0 {
		alt := &syntax.Regexp{Op: syntax.OpAlternate, Sub: others}
		if len(others) == 1 {
			alt = others[0]
		}
		restRe, err := regexp.Compile(alt.String())
		if err != nil {
			s.lits = nil // cannot split: the full expression decides
			return s
		}
		s.rest = fromSyntax(restRe, alt, false)
	}
	return s
}

// match reports whether text matches; lower is strings.ToLower(text).
func (s *search) match(text, lower string) bool {
	if s.factors != nil {
		found := false
		for _, f := range s.factors {
			if strings.Contains(lower, f) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if s.lits == nil || !ascii(text) {
		return s.re.MatchString(text)
	}
	for _, l := range s.lits {
		if l.fold && strings.Contains(lower, l.s) || !l.fold && strings.Contains(text, l.s) {
			return true
		}
	}
	return s.rest != nil && s.rest.match(text, lower)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// factors returns literals one of which every match must contain, lower
// cased, or false when the expression requires none.
func factors(r *syntax.Regexp) ([]string, bool) {
	switch r.Op {
	case syntax.OpLiteral:
		if len(r.Rune) == 0 {
			return nil, false
		}
		return []string{strings.ToLower(string(r.Rune))}, true
	case syntax.OpCapture, syntax.OpPlus:
		return factors(r.Sub[0])
	case syntax.OpRepeat:
		if r.Min >= 1 {
			return factors(r.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range r.Sub {
			if f, ok := factors(sub); ok && better(f, best) {
				best = f
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range r.Sub {
			f, ok := factors(sub)
			if !ok {
				return nil, false
			}
			all = append(all, f...)
		}
		return all, len(all) <= maxFactors
	}
	return nil, false
}

// better prefers the factor set whose shortest literal is longest.
func better(a, b []string) bool {
	if b == nil {
		return true
	}
	shortest := func(fs []string) int {
		n := 1 << 30
		for _, f := range fs {
			n = min(n, len(f))
		}
		return n
	}
	return shortest(a) > shortest(b)
}
