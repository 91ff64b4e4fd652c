package shell

import (
	"fmt"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// stmts walks a statement list in order.
func (a *analyzer) stmts(list []*syntax.Stmt, sc *scope, c wctx) {
	for _, st := range list {
		if !a.tick() {
			return
		}
		a.stmt(st, sc, c)
	}
}

// stmt walks one statement: its redirections, then its command.
func (a *analyzer) stmt(st *syntax.Stmt, sc *scope, c wctx) {
	if a.over {
		return // the budget is spent: the analysis is already critical
	}
	redirs, c := a.redirects(st.Redirs, sc, c)
	switch cmd := st.Cmd.(type) {
	case nil:
		a.bare(st, redirs, nil, sc, c)
		return
	case *syntax.CallExpr:
		a.call(st, cmd, redirs, sc, c)
		return
	}
	if len(redirs) > 0 {
		a.bare(st, redirs, nil, sc, c)
	}
	a.compound(st, sc, c)
}

// redirects resolves a statement's redirections. File redirections are
// returned; here-documents, here-strings and stdin files update the context
// for the commands that read them.
func (a *analyzer) redirects(rs []*syntax.Redirect, sc *scope, c wctx) ([]Redirect, wctx) {
	var out []Redirect
	for _, r := range rs {
		stdin := r.N == nil || r.N.Value == "0"
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			w := Word{Static: true, Anchored: true}
			if r.Hdoc != nil {
				var b strings.Builder
				a.parts(r.Hdoc.Parts, true, &b, &w, sc, c)
				w.Value = b.String()
			}
			if stdin {
				c.stdin, c.input = StdinHeredoc, &w
				c.feeds = appendNames(c.feeds, w.Feeds)
			}
		case syntax.WordHdoc:
			w := a.word(r.Word, sc, c)
			if stdin {
				c.stdin, c.input = StdinHerestring, &w
				c.feeds = appendNames(c.feeds, w.Feeds)
			}
		case syntax.RdrIn:
			w := a.word(r.Word, sc, c)
			out = append(out, Redirect{Op: r.Op.String(), Target: w, Access: Read})
			if stdin {
				c.stdin, c.input = StdinFile, nil
				c.feeds = appendNames(c.feeds, w.Feeds)
			}
		case syntax.DplIn, syntax.DplOut:
			w := a.word(r.Word, sc, c)
			if w.Static && isFD(w.Value) {
				continue
			}
			acc := Write
			if r.Op == syntax.DplIn {
				acc = Read
			}
			out = append(out, Redirect{Op: r.Op.String(), Target: w, Access: acc})
		default: // > >> >| &> &>> <> and the zsh clobber forms
			w := a.word(r.Word, sc, c)
			out = append(out, Redirect{Op: r.Op.String(), Target: w, Access: Write})
		}
	}
	return out, c
}

// appendNames returns base with the names of more it lacks, in a new
// slice: contexts share their slices.
func appendNames(base, more []string) []string {
	var out []string
	for _, n := range more {
		if !slices.Contains(base, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if out == nil {
		return base
	}
	return append(append(make([]string, 0, len(base)+len(out)), base...), out...)
}

func isFD(s string) bool {
	if s == "-" {
		return true
	}
	s = strings.TrimSuffix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compound walks a compound command.
func (a *analyzer) compound(st *syntax.Stmt, sc *scope, c wctx) {
	switch cmd := st.Cmd.(type) {
	case *syntax.BinaryCmd:
		if cmd.Op == syntax.Pipe || cmd.Op == syntax.PipeAll {
			a.pipeline(st, sc, c)
		} else {
			a.andOr(st, sc, c)
		}
		return
	case *syntax.TimeClause:
		if cmd.Stmt != nil {
			a.stmt(cmd.Stmt, sc, c)
		}
		return
	case *syntax.CoprocClause:
		if cmd.Stmt != nil {
			a.stmt(cmd.Stmt, sc.clone(), c)
		}
		return
	case *syntax.ArithmCmd:
		a.arithm(cmd.X, sc, c)
		return
	case *syntax.LetClause:
		for _, x := range cmd.Exprs {
			a.arithm(x, sc, c)
		}
		return
	case *syntax.TestClause:
		a.testExpr(cmd.X, sc, c)
		return
	case *syntax.DeclClause:
		a.decl(st, cmd, sc, c)
		return
	}
	c2, ok := a.enter(c, text(c.src, st))
	if !ok {
		return
	}
	switch cmd := st.Cmd.(type) {
	case *syntax.Subshell:
		a.stmts(cmd.Stmts, sc.clone(), c2)
	case *syntax.Block:
		a.stmts(cmd.Stmts, sc, c2)
	case *syntax.IfClause:
		a.ifClause(cmd, sc, c2)
	case *syntax.WhileClause:
		a.stmts(cmd.Cond, sc, c2)
		br := sc.clone()
		a.stmts(cmd.Do, br, c2)
		sc.merge(br)
	case *syntax.ForClause:
		a.forClause(st, cmd, sc, c2)
	case *syntax.CaseClause:
		a.word(cmd.Word, sc, c2)
		for _, item := range cmd.Items {
			for _, p := range item.Patterns {
				a.word(p, sc, c2)
			}
			br := sc.clone()
			a.stmts(item.Stmts, br, c2)
			sc.merge(br)
		}
	case *syntax.FuncDecl:
		if a.funcs == nil {
			a.funcs = map[string]bool{}
		}
		names := cmd.Names
		if cmd.Name != nil {
			names = append(names[:len(names):len(names)], cmd.Name)
		}
		for _, n := range names {
			a.funcs[n.Value] = true
			c2.funcs = append(c2.funcs[:len(c2.funcs):len(c2.funcs)], n.Value)
		}
		if cmd.Body != nil {
			a.stmt(cmd.Body, sc.clone(), c2)
		}
	case *syntax.TestDecl:
		a.word(cmd.Description, sc, c2)
		if cmd.Body != nil {
			a.stmt(cmd.Body, sc.clone(), c2)
		}
	default:
		a.problem(clip(text(c.src, st)), fmt.Sprintf("unsupported shell construct %T", cmd))
	}
}

// plainStmt reports a statement that only holds its command: no
// redirection, negation or background, so a chain through it can be
// walked as one list.
func plainStmt(s *syntax.Stmt) bool {
	return len(s.Redirs) == 0 && !s.Negated && !s.Background && !s.Coprocess
}

// pipeline walks a | b | c stage by stage, without recursing down the
// parser's left-nested tree (a long pipeline stays linear). Each stage runs
// in a subshell; what earlier stages run feeds the later ones.
func (a *analyzer) pipeline(st *syntax.Stmt, sc *scope, c wctx) {
	var stages []*syntax.Stmt
	for s := st; ; {
		b, ok := s.Cmd.(*syntax.BinaryCmd)
		if !ok || b.Op != syntax.Pipe && b.Op != syntax.PipeAll || s != st && !plainStmt(s) {
			stages = append(stages, s)
			break
		}
		stages = append(stages, b.Y)
		s = b.X
	}
	slices.Reverse(stages)
	feeds := c.feeds
	for i, s := range stages {
		if a.over || !a.tick() {
			return
		}
		cy := c
		if i > 0 {
			cy.feeds, cy.stdin, cy.input = feeds, StdinPipe, nil
		}
		start := len(a.out.Commands)
		a.stmt(s, sc.clone(), cy)
		if i < len(stages)-1 {
			feeds = appendNames(feeds, a.names(start))
		}
	}
}

// andOr walks a chain of && and || left to right, without recursing down
// the parser's tree. After &&, the next command sees what the chain changed
// (cd x && make); after ||, it runs after a failure that may have come
// before or after any change, and may not run at all, so what it changes is
// merged as uncertain.
func (a *analyzer) andOr(st *syntax.Stmt, sc *scope, c wctx) {
	type link struct {
		or bool
		y  *syntax.Stmt
	}
	var links []link
	s := st
	for {
		b, ok := s.Cmd.(*syntax.BinaryCmd)
		if !ok || b.Op != syntax.AndStmt && b.Op != syntax.OrStmt || s != st && !plainStmt(s) {
			break
		}
		links = append(links, link{or: b.Op == syntax.OrStmt, y: b.Y})
		s = b.X
	}
	// Every || in the chain has the whole chain before it as its left
	// side, which starts from this scope.
	var start *scope
	for _, l := range links {
		if l.or {
			start = sc.clone()
			break
		}
	}
	a.stmt(s, sc, c) // s is st's leftmost operand, never st itself
	for i := len(links) - 1; i >= 0 && !a.over; i-- {
		if !a.tick() {
			return
		}
		if !links[i].or {
			a.stmt(links[i].y, sc, c)
			continue
		}
		br := sc.clone()
		br.merge(start)
		a.stmt(links[i].y, br, c)
		sc.merge(br)
	}
}

// ifClause walks every branch; afterwards whatever a branch changed is
// unknown.
func (a *analyzer) ifClause(ic *syntax.IfClause, sc *scope, c wctx) {
	for ; ic != nil; ic = ic.Else {
		a.stmts(ic.Cond, sc, c)
		br := sc.clone()
		a.stmts(ic.Then, br, c)
		sc.merge(br)
	}
}

// forClause walks a loop. The loop header becomes a "for" command whose
// arguments are the items, so that they are checked like any argument; the
// loop variable holds the single item, or a pattern covering all of them.
func (a *analyzer) forClause(st *syntax.Stmt, fc *syntax.ForClause, sc *scope, c wctx) {
	br := sc.clone()
	switch l := fc.Loop.(type) {
	case *syntax.WordIter:
		items := a.words(l.Items, sc, c)
		name := "for"
		if fc.Select {
			name = "select"
		}
		hdr := a.newCommand(st, c, sc)
		hdr.Text = clip(text(c.src, st))
		hdr.Kind, hdr.Name, hdr.Args = KindProgram, name, items
		hdr.Program = Word{Text: name, Value: name, Static: true, Anchored: true}
		a.finish(&hdr)
		br.set(l.Name.Value, cover(items))
	case *syntax.CStyleLoop:
		a.arithm(l.Init, sc, c)
		a.arithm(l.Cond, sc, c)
		a.arithm(l.Post, sc, c)
	}
	a.stmts(fc.Do, br, c)
	sc.merge(br)
}

// cover returns one word that stands for every item: the single item, or
// their common prefix and suffix around an unknown part.
func cover(items []Word) Word {
	if len(items) == 0 {
		return Word{Value: "*"}
	}
	if len(items) == 1 {
		return items[0]
	}
	first := items[0].Value
	pre, suf := len(first), len(first)
	allRel, allAbs, static := true, true, true
	for _, it := range items {
		v := it.Value
		pre = min(pre, commonPrefix(first, v))
		suf = min(suf, commonSuffix(first, v))
		static = static && it.Static
		anchored := it.Anchored && !strings.Contains(v, "..")
		allRel = allRel && anchored && !strings.HasPrefix(v, "/")
		allAbs = allAbs && anchored && strings.HasPrefix(v, "/")
	}
	short := len(first)
	for _, it := range items {
		short = min(short, len(it.Value))
	}
	if pre+suf > short {
		suf = short - pre
	}
	v := first[:pre] + "*" + first[len(first)-suf:]
	return Word{
		Value:    v,
		Glob:     true,
		Anchored: allRel || (allAbs && strings.HasPrefix(v, "/")),
	}
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// testExpr walks the words of a [[ ]] expression for substitutions.
func (a *analyzer) testExpr(x syntax.TestExpr, sc *scope, c wctx) {
	syntax.Walk(x, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok {
			a.word(w, sc, c)
			return false
		}
		return true
	})
}

// decl turns export/declare/local/readonly/typeset into a command and
// records the values it assigns.
func (a *analyzer) decl(st *syntax.Stmt, d *syntax.DeclClause, sc *scope, c wctx) {
	cmd := a.newCommand(st, c, sc)
	name := d.Variant.Value
	cmd.Kind, cmd.Name = KindProgram, name
	cmd.Program = Word{Text: name, Value: name, Static: true, Anchored: true}
	for _, as := range d.Args {
		if as.Naked {
			if as.Name != nil {
				name := as.Name.Value
				cmd.Args = append(cmd.Args, Word{Text: name, Value: name, Static: true, Anchored: true})
				if _, code := a.spec.codeVar(name); code {
					// export GIT_EDITOR after this command set or read
					// it: that value reaches what runs later. A value
					// it never set is the environment's, already there.
					if v, set := sc.get(name); set {
						if !v.Static {
							v = Word{Value: "*"}
						}
						cmd.Assigns = append(cmd.Assigns, Assign{Name: name, Value: v})
					}
				}
			} else if as.Value != nil {
				w := a.word(as.Value, sc, c)
				cmd.Args = append(cmd.Args, w)
				if !w.Static && !strings.HasPrefix(w.Value, "-") && (name == "export" || name == "declare" || name == "typeset" || name == "local" || name == "readonly") {
					a.setProblem(&cmd, "sets variables Ony cannot see: "+clipValue(w.Text)+" is computed at run time")
				}
			}
			continue
		}
		v := a.assignValue(as, sc, c)
		cmd.Assigns = append(cmd.Assigns, Assign{Name: as.Name.Value, Value: v})
		// The assignment is also an argument, so that "export X=1" is not
		// mistaken for a bare "export", which lists the environment.
		arg := v
		arg.Text, arg.Value = text(c.src, as), as.Name.Value+"="+v.Value
		arg.Anchored = true
		cmd.Args = append(cmd.Args, arg)
		sc.set(as.Name.Value, v)
	}
	pending := a.codeVars(&cmd, sc, false)
	a.finish(&cmd)
	a.runPending(&cmd, pending, sc, c)
}

// assignValue resolves the value of an assignment.
func (a *analyzer) assignValue(as *syntax.Assign, sc *scope, c wctx) Word {
	switch {
	case as.Array != nil:
		w := Word{Value: "*"}
		for _, el := range as.Array.Elems {
			if el.Value != nil {
				r := a.word(el.Value, sc, c)
				w.Vars, w.Feeds = addNames(w.Vars, r.Vars), addNames(w.Feeds, r.Feeds)
			}
		}
		return w
	case as.Value == nil:
		return Word{Static: true, Anchored: true}
	}
	w := a.word(as.Value, sc, c)
	if as.Append || as.Index != nil {
		w.Value, w.Static, w.Anchored = "*", false, false
	}
	return w
}

// bare records a statement without a program: assignments and
// redirections only.
func (a *analyzer) bare(st *syntax.Stmt, redirs []Redirect, assigns []Assign, sc *scope, c wctx) {
	cmd := a.newCommand(st, c, sc)
	cmd.Kind, cmd.Redirs, cmd.Assigns = KindBare, redirs, assigns
	pending := a.codeVars(&cmd, sc, false)
	a.finish(&cmd)
	a.runPending(&cmd, pending, sc, c)
}

// newCommand starts a command with what the context knows.
func (a *analyzer) newCommand(st *syntax.Stmt, c wctx, sc *scope) Command {
	cmd := Command{
		Text:     strings.TrimRight(text(c.src, st), "; \t\n"),
		InSubst:  c.inSubst,
		Dir:      sc.dir(),
		Dirs:     sc.dirs,
		Stdin:    c.stdin,
		Feeds:    c.feeds,
		MoreArgs: c.moreArgs,
	}
	if c.input != nil && c.input.Static {
		cmd.Input = c.input.Value
	}
	return cmd
}
