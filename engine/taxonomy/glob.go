package taxonomy

import (
	"errors"
	"path"
	"strings"
)

// star is the token for "any run of characters" in segment tokens.
const star = -1

// seg is one path segment, of a glob or of a path being classified.
type seg struct {
	pat  string  // path.Match pattern (globs, escaped)
	text string  // the literal text when lit
	lit  bool    // no metacharacters
	deep bool    // "**": any number of whole segments
	toks []int16 // bytes, or star for * ? and [...] (non-literal segments)
}

// glob is a compiled path glob: absolute, with ** for any depth.
type glob struct {
	segs []seg
	need []string // literal segments every matching path contains
	// rooted globs name a place (~/.ssh/**), unlike globs that match at
	// any depth (**/.env); only rooted globs match beneath a tree walk.
	rooted bool
	// The last segment, when it is not **, must match a literal path's
	// last element: checked first through its literal prefix and suffix.
	tail     *seg
	pre, suf string
}

// compileGlob compiles an expanded glob that starts with / or **/.
func compileGlob(src string) (*glob, error) {
	if !strings.HasPrefix(src, "/") {
		return nil, errors.New("must be absolute (start with / or a variable holding an absolute path) or start with **/")
	}
	g := &glob{}
	for _, part := range strings.Split(src[1:], "/") {
		if part == "" {
			continue
		}
		if part == "**" {
			g.segs = append(g.segs, seg{deep: true})
			continue
		}
		if _, err := path.Match(part, ""); err != nil {
			return nil, errors.New("malformed segment " + part)
		}
		s := seg{pat: part}
		if !hasMeta(part, true) {
			s.lit, s.text = true, unescapeGlob(part)
			g.need = append(g.need, s.text)
		} else {
			s.toks = tokens(part, true)
		}
		g.segs = append(g.segs, s)
	}
	g.rooted = len(g.segs) > 0 && !g.segs[0].deep
	if n := len(g.segs); n > 0 && !g.segs[n-1].deep {
		g.tail = &g.segs[n-1]
		if !g.tail.lit {
			g.pre, g.suf = literalEnds(g.tail.toks)
		}
	}
	return g, nil
}

// literalEnds returns the literal text before the first and after the last
// wildcard token.
func literalEnds(toks []int16) (string, string) {
	i := 0
	for i < len(toks) && toks[i] != star {
		i++
	}
	j := len(toks)
	for j > i && toks[j-1] != star {
		j--
	}
	bytes := func(ts []int16) string {
		b := make([]byte, len(ts))
		for k, t := range ts {
			b[k] = byte(t)
		}
		return string(b)
	}
	return bytes(toks[:i]), bytes(toks[j:])
}

// hasMeta reports glob metacharacters; with escapes, \x is literal.
func hasMeta(s string, escapes bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if escapes {
				i++
			}
		case '*', '?', '[':
			return true
		}
	}
	return false
}

func unescapeGlob(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tokens turns a segment pattern into tokens. ? and [...] become stars: an
// over-approximation, so an intersection is never missed.
func tokens(s string, escapes bool) []int16 {
	out := make([]int16, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && escapes && i+1 < len(s):
			i++
			out = append(out, int16(s[i]))
		case c == '*' || c == '?':
			out = append(out, star)
		case c == '[':
			j := i + 1
			if j < len(s) && (s[j] == '!' || s[j] == '^') {
				j++
			}
			if j < len(s) && s[j] == ']' {
				j++
			}
			for j < len(s) && s[j] != ']' {
				j++
			}
			if j == len(s) { // no closing bracket: a literal [
				out = append(out, '[')
				continue
			}
			out = append(out, star)
			i = j
		default:
			out = append(out, int16(c))
		}
	}
	return out
}

// cpath is a path being classified: cleaned and absolute. A pattern path
// (an argument with glob characters or unknown parts, where * stands for
// anything) matches a glob when some path matches both.
type cpath struct {
	s        string
	pattern  bool
	computed bool // a pattern from a run-time value: * may hold / and ..
	segs     []seg
}

func newCPath(s string, pattern bool) *cpath {
	p := &cpath{s: s, pattern: pattern, segs: make([]seg, 0, strings.Count(s, "/")+1)}
	for rest := s; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		if part == "" {
			continue
		}
		switch {
		case !pattern || !hasMeta(part, false):
			p.segs = append(p.segs, seg{text: part, lit: true})
		case part == "**":
			p.segs = append(p.segs, seg{deep: true})
		default:
			p.segs = append(p.segs, seg{toks: tokens(part, false)})
		}
	}
	return p
}

// match reports whether some path matches both g and p.
func (g *glob) match(p *cpath) bool {
	// Leading literal segments must agree (cheap, and most globs are
	// rooted somewhere a path is not).
	for i := 0; i < len(g.segs) && i < len(p.segs); i++ {
		a, b := &g.segs[i], &p.segs[i]
		if !a.lit || !b.lit {
			break
		}
		if a.text != b.text {
			return false
		}
	}
	if p.pattern && g.tail != nil && len(p.segs) > 0 {
		if last := &p.segs[len(p.segs)-1]; !last.deep && !segMatch(g.tail, last) {
			return false
		}
	}
	if !p.pattern {
		if g.tail != nil {
			if len(p.segs) == 0 {
				return false
			}
			last := p.segs[len(p.segs)-1].text
			if g.tail.lit && last != g.tail.text ||
				!g.tail.lit && (len(last) < len(g.pre)+len(g.suf) || !strings.HasPrefix(last, g.pre) || !strings.HasSuffix(last, g.suf)) {
				return false
			}
		}
		for _, n := range g.need {
			if !strings.Contains(p.s, n) {
				return false
			}
		}
	}
	return align(g.segs, p.segs)
}

// align reports whether the segment lists a and b can describe the same
// path: a dynamic programme over (a[:i], b[:j]), linear in their product.
func align(a, b []seg) bool {
	n, m := len(a), len(b)
	w := m + 1
	var small [256]bool
	var reach []bool
	if (n+1)*w <= len(small) {
		reach = small[:(n+1)*w]
	} else {
		reach = make([]bool, (n+1)*w)
	}
	reach[0] = true
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			if !reach[i*w+j] {
				continue
			}
			if i == n && j == m {
				return true
			}
			ad, bd := i < n && a[i].deep, j < m && b[j].deep
			if ad {
				reach[(i+1)*w+j] = true // ** matches nothing more
				if j < m {
					reach[i*w+j+1] = true // ** takes b[j]
				}
			}
			if bd {
				reach[i*w+j+1] = true
				if i < n {
					reach[(i+1)*w+j] = true
				}
			}
			if !ad && !bd && i < n && j < m && segMatch(&a[i], &b[j]) {
				reach[(i+1)*w+j+1] = true
			}
		}
	}
	return false
}

// segMatch reports whether some segment text matches both x (a glob) and
// y (a path segment, literal or a pattern). As in the shell, a pattern
// segment that starts with * or ? never names a dot file.
func segMatch(x, y *seg) bool {
	if !y.lit && !y.deep && len(y.toks) > 0 && y.toks[0] == star &&
		(x.lit && strings.HasPrefix(x.text, ".") || !x.lit && len(x.toks) > 0 && x.toks[0] == '.') {
		return false
	}
	switch {
	case x.lit && y.lit:
		return x.text == y.text
	case y.lit:
		ok, err := path.Match(x.pat, y.text)
		return ok && err == nil
	case x.lit:
		return tokIntersect(y.toks, tokens(x.text, false))
	}
	return tokIntersect(x.toks, y.toks)
}

// tokIntersect reports whether two token patterns share a matching string.
func tokIntersect(x, y []int16) bool {
	n, m := len(x), len(y)
	w := m + 1
	var small [512]bool
	var reach []bool
	if (n+1)*w <= len(small) {
		reach = small[:(n+1)*w]
	} else {
		reach = make([]bool, (n+1)*w)
	}
	reach[0] = true
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			if !reach[i*w+j] {
				continue
			}
			if i == n && j == m {
				return true
			}
			xs, ys := i < n && x[i] == star, j < m && y[j] == star
			if xs {
				reach[(i+1)*w+j] = true
				if j < m && !ys {
					reach[i*w+j+1] = true
				}
			}
			if ys {
				reach[i*w+j+1] = true
				if i < n && !xs {
					reach[(i+1)*w+j] = true
				}
			}
			if !xs && !ys && i < n && j < m && x[i] == y[j] {
				reach[(i+1)*w+j+1] = true
			}
		}
	}
	return false
}

// expandBraces expands {a,b} alternations in a glob, up to max results.
func expandBraces(s string, max int) ([]string, error) {
	open := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '{' {
			open = i
			break
		}
	}
	if open < 0 {
		return []string{s}, nil
	}
	depth, commas := 0, []int{}
	end := -1
	for i := open; i < len(s) && end < 0; i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				end = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if end < 0 {
		return nil, errors.New("unclosed {")
	}
	var out []string
	start := open + 1
	for _, c := range append(commas, end) {
		rest, err := expandBraces(s[:open]+s[start:c]+s[end+1:], max)
		if err != nil {
			return nil, err
		}
		out = append(out, rest...)
		if len(out) > max {
			return nil, errors.New("brace expansion gives too many globs")
		}
		start = c + 1
	}
	return out, nil
}

// contains reports whether every path the pattern p may name matches g.
// It recognises the common case (a glob of plain segments ending in **,
// such as /tmp/**) and answers false when unsure.
func (g *glob) contains(p *cpath) bool {
	n := len(g.segs)
	if n == 0 || !g.segs[n-1].deep || len(p.segs) < n-1 {
		return false
	}
	for i, gs := range g.segs[:n-1] {
		ps := &p.segs[i]
		switch {
		case gs.deep || ps.deep:
			return false
		case gs.lit:
			if !ps.lit || ps.text != gs.text {
				return false
			}
		case ps.lit:
			if ok, err := path.Match(gs.pat, ps.text); !ok || err != nil {
				return false
			}
		case gs.pat != "*":
			return false
		}
	}
	return true
}
