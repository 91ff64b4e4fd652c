package shell

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// maxBraceWords bounds brace expansion of one argument; a larger expansion
// leaves the braces as an unknown part.
const maxBraceWords = 32

// maxDirs bounds the candidate working directories tracked at once.
const maxDirs = 8

// scope is what the analyser knows while walking: the working directory and
// the variables the command itself assigned. After a branch that may or may
// not have changed directory, every candidate directory is kept.
type scope struct {
	dirs []string // candidate directories; nil when unknown
	vars []binding
}

// dir returns the working directory when it is certain, else "".
func (s *scope) dir() string {
	if len(s.dirs) == 1 {
		return s.dirs[0]
	}
	return ""
}

// chdir applies cd to every candidate; "" target means unknown.
func (s *scope) chdir(target string) {
	switch {
	case target == "":
		s.dirs = nil
	case filepath.IsAbs(target):
		s.dirs = []string{filepath.Clean(target)}
	default:
		next := make([]string, len(s.dirs))
		for i, d := range s.dirs {
			next[i] = filepath.Join(d, target)
		}
		s.dirs = nil
		if len(next) > 0 {
			s.dirs = next
		}
	}
}

type binding struct {
	name string
	w    Word // w.Static false: assigned something unknown
}

func (s *scope) clone() *scope {
	return &scope{dirs: s.dirs, vars: append([]binding(nil), s.vars...)}
}

func (s *scope) set(name string, w Word) {
	// The programs that computed a value still feed whatever reads it
	// (X=$(curl ...); sh -c "$X"; for f in $(find ...); do cat "$f").
	w.Text, w.Vars = "", nil
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].w = w
			return
		}
	}
	s.vars = append(s.vars, binding{name: name, w: w})
}

func (s *scope) forget(name string) { s.set(name, Word{Value: "*"}) }

func (s *scope) get(name string) (Word, bool) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].w, true
		}
	}
	return Word{}, false
}

// merge folds a branch that may or may not have run into s: whatever differs
// becomes unknown.
func (s *scope) merge(b *scope) {
	if s.dirs == nil || b.dirs == nil {
		s.dirs = nil
	} else {
		for _, d := range b.dirs {
			if !slices.Contains(s.dirs, d) {
				s.dirs = append(s.dirs[:len(s.dirs):len(s.dirs)], d)
			}
		}
		if len(s.dirs) > maxDirs {
			s.dirs = nil
		}
	}
	for _, v := range b.vars {
		if cur, ok := s.get(v.name); !ok || cur.Value != v.w.Value || cur.Static != v.w.Static {
			s.forget(v.name)
		}
	}
}

// lookup returns what is known of a variable: an exact value, or a pattern
// covering its possible values (a loop variable). It reports false when
// nothing is known.
func (a *analyzer) lookup(sc *scope, name string) (Word, bool) {
	if w, ok := sc.get(name); ok {
		return w, w.Static || w.Glob
	}
	switch name {
	case "HOME":
		if a.opts.Home != "" {
			return Word{Value: a.opts.Home, Static: true, Anchored: true}, true
		}
		return Word{}, false
	case "PWD":
		if d := sc.dir(); d != "" {
			return Word{Value: d, Static: true, Anchored: true}, true
		}
		return Word{}, false
	case "IFS":
		return Word{}, false
	}
	if v, ok := a.opts.Vars[name]; ok {
		return Word{Value: v, Static: true, Anchored: true}, true
	}
	return Word{}, false
}

// words resolves a command's argument words, expanding braces.
func (a *analyzer) words(ws []*syntax.Word, sc *scope, c wctx) []Word {
	out := make([]Word, 0, len(ws))
	for _, w := range ws {
		out = append(out, a.braceWords(w, sc, c)...)
	}
	return out
}

// braceWords resolves one word, expanding a small brace expansion into
// several words. Words with substitutions are not expanded, so that each
// substitution is walked once.
func (a *analyzer) braceWords(w *syntax.Word, sc *scope, c wctx) []Word {
	if !hasBrace(w) || hasSubst(w) {
		return []Word{a.word(w, sc, c)}
	}
	// Positions of split words are unreliable (an empty alternative has
	// none), so the source text is taken first.
	src := text(c.src, w)
	if !syntax.SplitBraces(w) {
		return []Word{a.wordText(w, src, sc, c)}
	}
	var ws []*syntax.Word
	for ew, err := range expand.BracesSeq(nil, w) {
		if err != nil || len(ws) == maxBraceWords {
			return []Word{a.wordText(w, src, sc, c)}
		}
		ws = append(ws, ew)
	}
	out := make([]Word, 0, len(ws))
	for _, ew := range ws {
		out = append(out, a.wordText(ew, src, sc, c))
	}
	return out
}

// hasBrace reports an unquoted literal { that may start a brace expansion.
func hasBrace(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.IndexByte(l.Value, '{') >= 0 {
			return true
		}
	}
	return false
}

// hasSubst reports expansions in a word, which brace expansion would copy.
func hasSubst(w *syntax.Word) bool {
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst, *syntax.ArithmExp, *syntax.ParamExp, *syntax.ExtGlob:
			return true
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if _, lit := q.(*syntax.Lit); !lit {
					return true
				}
			}
		}
	}
	return false
}

// word resolves one word. Substitutions inside it are walked as commands.
func (a *analyzer) word(w *syntax.Word, sc *scope, c wctx) Word {
	return a.wordText(w, text(c.src, w), sc, c)
}

// wordText resolves one word whose source text is known.
func (a *analyzer) wordText(w *syntax.Word, src string, sc *scope, c wctx) Word {
	out := Word{Text: src, Static: true, Anchored: true}
	var b strings.Builder
	a.parts(w.Parts, false, &b, &out, sc, c)
	out.Value = b.String()
	return out
}

// dynamic appends an unknown part.
func dynamic(b *strings.Builder, out *Word) {
	if b.Len() == 0 {
		out.Anchored = false
	}
	b.WriteByte('*')
	out.Static = false
}

func (a *analyzer) parts(parts []syntax.WordPart, quoted bool, b *strings.Builder, out *Word, sc *scope, c wctx) {
	for i, part := range parts {
		if !a.tick() {
			dynamic(b, out)
			return
		}
		switch p := part.(type) {
		case *syntax.Lit:
			v := p.Value
			if quoted {
				b.WriteString(unescapeDouble(v))
				continue
			}
			if hasGlobMeta(v) {
				out.Glob = true
			}
			v = unescape(v)
			if i == 0 && b.Len() == 0 && strings.HasPrefix(p.Value, "~") {
				a.tilde(v, b, out)
				continue
			}
			b.WriteString(v)
		case *syntax.SglQuoted:
			if p.Dollar {
				b.WriteString(ansiC(p.Value))
			} else {
				b.WriteString(p.Value)
			}
		case *syntax.DblQuoted:
			a.parts(p.Parts, true, b, out, sc, c)
		case *syntax.ParamExp:
			a.paramNested(p, sc, c, out)
			name := ""
			if p.Param != nil {
				name = p.Param.Value
				out.Vars = addNames(out.Vars, []string{name})
			}
			if dv, ok := a.defaultParam(p, sc, c); ok && (quoted || !strings.ContainsAny(dv.Value, " \t\n")) {
				// ${X:-word} with X known: its value, or the word's.
				if !dv.Anchored && b.Len() == 0 {
					out.Anchored = false
				}
				b.WriteString(dv.Value)
				out.Static = out.Static && dv.Static
				out.Glob = out.Glob || dv.Glob
				continue
			}
			if simpleParam(p) {
				if v, ok := a.lookup(sc, name); ok && (quoted || !strings.ContainsAny(v.Value, " \t\n")) {
					if !v.Anchored && b.Len() == 0 {
						out.Anchored = false
					}
					b.WriteString(v.Value)
					out.Static = out.Static && v.Static
					out.Glob = out.Glob || v.Glob && (!quoted || !v.Static)
					out.Feeds = addNames(out.Feeds, v.Feeds)
					continue
				}
			}
			if v, ok := sc.get(name); ok {
				out.Feeds = addNames(out.Feeds, v.Feeds) // unknown, but computed by these
			}
			dynamic(b, out)
		case *syntax.CmdSubst:
			if d := sc.dir(); d != "" && isPwd(p) {
				// $(pwd) is the directory the analyser is tracking.
				b.WriteString(d)
				continue
			}
			out.Feeds = addNames(out.Feeds, a.subst(p.Stmts, p, sc, c))
			dynamic(b, out)
		case *syntax.ProcSubst:
			out.Feeds = addNames(out.Feeds, a.subst(p.Stmts, p, sc, c))
			dynamic(b, out)
		case *syntax.ArithmExp:
			a.arithm(p.X, sc, c)
			dynamic(b, out)
		case *syntax.ExtGlob, *syntax.BraceExp:
			out.Glob = true
			b.WriteByte('*')
		default:
			dynamic(b, out)
		}
	}
}

// tilde expands a leading ~ (the home directory); ~user and ~+ are unknown.
func (a *analyzer) tilde(v string, b *strings.Builder, out *Word) {
	user, rest, hasSlash := strings.Cut(v[1:], "/")
	if user == "" && a.opts.Home != "" {
		b.WriteString(a.opts.Home)
	} else {
		dynamic(b, out)
	}
	if hasSlash {
		b.WriteString("/" + rest)
	}
}

// isPwd reports $(pwd): a substitution that only prints the directory.
func isPwd(cs *syntax.CmdSubst) bool {
	if len(cs.Stmts) != 1 {
		return false
	}
	st := cs.Stmts[0]
	ce, ok := st.Cmd.(*syntax.CallExpr)
	return ok && len(st.Redirs) == 0 && !st.Negated && !st.Background && len(ce.Assigns) == 0 &&
		len(ce.Args) == 1 && ce.Args[0].Lit() == "pwd"
}

// addNames appends the names dst lacks, in place.
func addNames(dst, more []string) []string {
	for _, n := range more {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
	}
	return dst
}

// defaultParam resolves ${X:-word} and ${X-word} when X is known exactly:
// to X's value, or to the word when X is empty (:-). A variable known to
// be empty counts as unset, as Env.Vars says of a variable the agent's
// shell does not have.
func (a *analyzer) defaultParam(p *syntax.ParamExp, sc *scope, c wctx) (Word, bool) {
	if p.Exp == nil || p.Exp.Op != syntax.DefaultUnsetOrNull && p.Exp.Op != syntax.DefaultUnset {
		return Word{}, false
	}
	q := *p
	q.Exp = nil
	if !simpleParam(&q) || p.Param == nil {
		return Word{}, false
	}
	v, ok := a.lookup(sc, p.Param.Value)
	if !ok || !v.Static {
		return Word{}, false
	}
	if v.Value != "" {
		return v, true
	}
	if p.Exp.Word == nil {
		return Word{Static: true, Anchored: true}, true
	}
	if hasSubst(p.Exp.Word) {
		return Word{}, false // paramNested walked it already: it stays unknown
	}
	w := a.word(p.Exp.Word, sc, c)
	return w, w.Static
}

// simpleParam reports $name or ${name} without any operator.
func simpleParam(p *syntax.ParamExp) bool {
	return p.Param != nil && p.Flags == nil && !p.Excl && !p.Length && !p.Width && !p.IsSet &&
		p.NestedParam == nil && p.Index == nil && len(p.Modifiers) == 0 && p.Slice == nil &&
		p.Repl == nil && p.Names == 0 && p.Exp == nil &&
		p.Split == syntax.OptUnset && p.GlobSubst == syntax.OptUnset && p.RcExpand == syntax.OptUnset
}

// paramNested walks the words nested in a parameter expansion
// (${x:-$(cmd)}), which the shell may evaluate.
func (a *analyzer) paramNested(p *syntax.ParamExp, sc *scope, c wctx, out *Word) {
	var ws []*syntax.Word
	if p.Exp != nil && p.Exp.Word != nil {
		ws = append(ws, p.Exp.Word)
	}
	if p.Repl != nil {
		ws = append(ws, p.Repl.Orig, p.Repl.With)
	}
	for _, w := range ws {
		if w != nil {
			r := a.word(w, sc, c)
			out.Vars = addNames(out.Vars, r.Vars)
			out.Feeds = addNames(out.Feeds, r.Feeds)
		}
	}
	if p.Index != nil {
		a.arithm(p.Index, sc, c)
	}
	if p.Slice != nil {
		a.arithm(p.Slice.Offset, sc, c)
		a.arithm(p.Slice.Length, sc, c)
	}
	if p.NestedParam != nil {
		var b strings.Builder
		a.parts([]syntax.WordPart{p.NestedParam}, true, &b, out, sc, c)
	}
}

// arithm walks an arithmetic expression for substitutions. Bash evaluates a
// variable's value as an expression, so a known value holding a
// substitution is code Ony cannot follow.
func (a *analyzer) arithm(x syntax.ArithmExpr, sc *scope, c wctx) {
	if x == nil {
		return
	}
	syntax.Walk(x, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Word:
			if lit := n.Lit(); lit != "" {
				if v, ok := sc.get(lit); ok && strings.ContainsAny(v.Value, "$`") {
					a.problem(lit, "arithmetic evaluates code held in variable "+lit)
				}
			}
			var dummy Word
			var b strings.Builder
			a.parts(n.Parts, false, &b, &dummy, sc, c)
			return false
		}
		return true
	})
}

// subst walks a command or process substitution and returns the names of the
// programs it runs.
func (a *analyzer) subst(stmts []*syntax.Stmt, n syntax.Node, sc *scope, c wctx) []string {
	c2, ok := a.enter(c, text(c.src, n))
	if !ok {
		return []string{"?"}
	}
	c2.inSubst, c2.moreArgs = true, false
	start := len(a.out.Commands)
	a.stmts(stmts, sc.clone(), c2)
	return a.names(start)
}

// hasGlobMeta reports unescaped glob characters in an unquoted literal. A
// [ without a closing ] is literal, as the program name [ is.
func hasGlobMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return true
			}
		}
	}
	return false
}

// unescape removes backslash quoting from an unquoted literal.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescapeDouble removes the backslash quoting valid inside double quotes.
func unescapeDouble(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ansiC decodes the escapes of a $'...' string.
func ansiC(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'c':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i] & 0x1f)
			}
		case 'x', 'u', 'U':
			max := 2
			if c == 'u' {
				max = 4
			} else if c == 'U' {
				max = 8
			}
			j := i + 1
			for j < len(s) && j-i-1 < max && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(c)
				continue
			}
			n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
			if c == 'x' {
				b.WriteByte(byte(n))
			} else if utf8.ValidRune(rune(n)) {
				b.WriteRune(rune(n))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j-i < 3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(n))
			i = j - 1
		case '\\', '\'', '"', '?':
			b.WriteByte(c)
		default:
			// Bash keeps unknown escapes as written.
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
