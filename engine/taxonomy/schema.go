package taxonomy

import (
	"slices"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// builder turns the YAML syntax tree into a Taxonomy.
type builder struct {
	d     decoder
	t     *Taxonomy
	vars  map[string]variable
	sets  map[string][]string
	ids   map[string]int // action id -> line of its definition
	order int            // rules seen so far: a rule's place in the file
	code  map[string][]shell.CodeArg
}

// isActionID reports whether s is a dotted lowercase action id: a letter,
// then letters, digits and underscores, in one or more parts separated by
// single dots (`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`). It is a function, not a
// compiled regexp, so that no process (the hook included) pays for
// compiling it at start-up.
func isActionID(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if i+1 == len(s) || s[i+1] == '.' {
				return false
			}
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_':
		default:
			return false
		}
	}
	return true
}

// isVarName reports whether s is an upper-case variable name
// (`^[A-Z_][A-Z0-9_]*$`).
func isVarName(s string) bool {
	if s == "" || s[0] != '_' && (s[0] < 'A' || s[0] > 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; c != '_' && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// top reads the top-level mapping. Sections are read in dependency order
// whatever their order in the file.
func (b *builder) top(n ast.Node) error {
	entries, err := b.d.mapping(n, "the taxonomy")
	if err != nil {
		return err
	}
	known := []string{"version", "vars", "sets", "shell", "programs", "actions"}
	got := map[string]ast.Node{}
	for _, e := range entries {
		if !slices.Contains(known, e.key) {
			return b.d.unknownKey(e, "the taxonomy (want version, vars, sets, shell, programs, actions)")
		}
		got[e.key] = e.val
	}
	for _, req := range []string{"version", "actions"} {
		if _, ok := got[req]; !ok {
			return b.d.errf(n, "the taxonomy is missing required key %q", req)
		}
	}
	if v, err := b.d.count(got["version"], "version"); err != nil || v != 1 {
		return b.d.errf(got["version"], "unsupported version: want 1")
	}
	steps := []struct {
		key string
		fn  func(ast.Node) error
	}{
		{"vars", b.userVars}, {"sets", b.programSets}, {"shell", b.shellSpec},
		{"programs", b.programSpecs}, {"actions", b.actions},
	}
	for _, s := range steps {
		if n, ok := got[s.key]; ok {
			if err := s.fn(n); err != nil {
				return err
			}
		}
	}
	b.finishSpec()
	return nil
}

// userVars reads vars: NAME: text.
func (b *builder) userVars(n ast.Node) error {
	entries, err := b.d.mapping(n, "vars")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !isVarName(e.key) {
			return b.d.errf(e.keyNode, "variable name %q must be upper case letters, digits and _", e.key)
		}
		if _, ok := b.vars[e.key]; ok {
			return b.d.errf(e.keyNode, "variable %q is built in and cannot be redefined", e.key)
		}
		s, err := b.d.str(e.val, "variable "+e.key)
		if err != nil {
			return err
		}
		if containsVarRef(s.s) {
			return b.d.errf(e.val, "variable %s must not refer to other variables", e.key)
		}
		b.vars[e.key] = variable{vals: []string{s.s}, optional: true}
	}
	return nil
}

func containsVarRef(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '{' {
			return true
		}
	}
	return false
}

// programSets reads sets: name: [programs or @earlier-sets].
func (b *builder) programSets(n ast.Node) error {
	entries, err := b.d.mapping(n, "sets")
	if err != nil {
		return err
	}
	for _, e := range entries {
		ns, err := b.compileNames(e.val, "set "+e.key)
		if err != nil {
			return err
		}
		list := make([]string, 0, len(ns))
		for k := range ns {
			list = append(list, k)
		}
		slices.Sort(list)
		b.sets[e.key] = list
	}
	return nil
}

// nameKeys expands a mapping key that is a program name or an @set.
func (b *builder) nameKeys(e entry) ([]string, error) {
	if set, ok := cutAt(e.key); ok {
		members, ok := b.sets[set]
		if !ok {
			return nil, b.d.errf(e.keyNode, "unknown set @%s", set)
		}
		return members, nil
	}
	if err := b.checkName(str{e.key, e.keyNode}); err != nil {
		return nil, err
	}
	return []string{e.key}, nil
}

func cutAt(s string) (string, bool) {
	if len(s) > 1 && s[0] == '@' {
		return s[1:], true
	}
	return "", false
}

// shellSpec reads the shell section: how the analyser sees through
// programs.
func (b *builder) shellSpec(n ast.Node) error {
	entries, err := b.d.mapping(n, "shell")
	if err != nil {
		return err
	}
	spec := &b.t.spec
	spec.Wrappers = map[string]shell.Wrapper{}
	spec.Interpreters = map[string]shell.Interpreter{}
	spec.Embeds = map[string]shell.Embed{}
	for _, e := range entries {
		switch e.key {
		case "bin_dirs":
			ss, err := b.d.strs(e.val, "bin_dirs")
			if err != nil {
				return err
			}
			for _, s := range ss {
				dirs, err := b.expand(s.s, s.n, modePlain)
				if err != nil {
					return err
				}
				for _, d := range dirs {
					if d == "" || d[0] != '/' {
						return b.d.errf(s.n, "bin_dirs entry %q must be an absolute path", d)
					}
					spec.BinDirs = append(spec.BinDirs, cleanDir(d))
				}
			}
		case "wrappers":
			err = b.eachProgram(e.val, "wrappers", func(names []string, n ast.Node) error {
				w, err := b.wrapper(n)
				for _, name := range names {
					spec.Wrappers[name] = w
				}
				return err
			})
		case "interpreters":
			err = b.eachProgram(e.val, "interpreters", func(names []string, n ast.Node) error {
				ip, err := b.interpreter(n)
				for _, name := range names {
					spec.Interpreters[name] = ip
					b.addValueFlags(name, ip.ValueFlags, ip.CodeFlags, ip.RunFlags)
				}
				return err
			})
		case "embeds":
			err = b.eachProgram(e.val, "embeds", func(names []string, n ast.Node) error {
				em, err := b.embed(n)
				for _, name := range names {
					spec.Embeds[name] = em
				}
				return err
			})
		case "code_args":
			err = b.codeArgs(e.val)
		case "code_vars":
			err = b.codeVars(e.val)
		default:
			return b.d.unknownKey(e, "shell (want bin_dirs, wrappers, interpreters, embeds, code_args, code_vars)")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func cleanDir(d string) string {
	for len(d) > 1 && d[len(d)-1] == '/' {
		d = d[:len(d)-1]
	}
	return d
}

// eachProgram calls fn for each "program-or-@set: mapping" entry.
func (b *builder) eachProgram(n ast.Node, what string, fn func([]string, ast.Node) error) error {
	entries, err := b.d.mapping(n, what)
	if err != nil {
		return err
	}
	for _, e := range entries {
		names, err := b.nameKeys(e)
		if err != nil {
			return err
		}
		if err := fn(names, e.val); err != nil {
			return err
		}
	}
	return nil
}

// flagList reads a list of option names.
func (b *builder) flagList(n ast.Node, what string) ([]string, error) {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if len(s.s) < 2 || s.s[0] != '-' {
			return nil, b.d.errf(s.n, "option %q in %s must start with -", s.s, what)
		}
		out = append(out, s.s)
	}
	return out, nil
}

func (b *builder) wrapper(n ast.Node) (shell.Wrapper, error) {
	var w shell.Wrapper
	entries, err := b.d.mapping(n, "a wrapper")
	if err != nil {
		return w, err
	}
	for _, e := range entries {
		switch e.key {
		case "value_flags":
			w.ValueFlags, err = b.flagList(e.val, e.key)
		case "query_flags":
			w.QueryFlags, err = b.flagList(e.val, e.key)
		case "operands":
			w.Operands, err = b.d.count(e.val, e.key)
		case "assigns":
			w.Assigns, err = b.d.boolean(e.val, e.key)
		case "more_args":
			w.MoreArgs, err = b.d.boolean(e.val, e.key)
		case "subcommands":
			var ss []str
			ss, err = b.d.strs(e.val, e.key)
			for _, s := range ss {
				w.Subcommands = append(w.Subcommands, s.s)
			}
		default:
			err = b.d.unknownKey(e, "a wrapper (want value_flags, query_flags, operands, assigns, more_args, subcommands)")
		}
		if err != nil {
			return w, err
		}
	}
	return w, nil
}

func (b *builder) interpreter(n ast.Node) (shell.Interpreter, error) {
	var ip shell.Interpreter
	entries, err := b.d.mapping(n, "an interpreter")
	if err != nil {
		return ip, err
	}
	for _, e := range entries {
		switch e.key {
		case "shell":
			ip.Shell, err = b.d.boolean(e.val, e.key)
		case "code_flags":
			ip.CodeFlags, err = b.flagList(e.val, e.key)
		case "operand_flags":
			ip.OperandFlags, err = b.flagList(e.val, e.key)
		case "value_flags":
			ip.ValueFlags, err = b.flagList(e.val, e.key)
		case "run_flags":
			ip.RunFlags, err = b.flagList(e.val, e.key)
		case "stdin_flags":
			ip.StdinFlags, err = b.flagList(e.val, e.key)
		case "code_operand":
			var s str
			if s, err = b.d.str(e.val, e.key); err == nil {
				switch s.s {
				case shell.OperandRest, shell.OperandFirst, shell.OperandAssign:
					ip.CodeOperand = s.s
				default:
					err = b.d.errf(e.val, "code_operand %q: want rest, first or assign", s.s)
				}
			}
		default:
			err = b.d.unknownKey(e, "an interpreter (want shell, code_flags, operand_flags, value_flags, run_flags, stdin_flags, code_operand)")
		}
		if err != nil {
			return ip, err
		}
	}
	return ip, nil
}

func (b *builder) embed(n ast.Node) (shell.Embed, error) {
	var em shell.Embed
	entries, err := b.d.mapping(n, "an embed")
	if err != nil {
		return em, err
	}
	for _, e := range entries {
		var ss []str
		switch e.key {
		case "start", "end":
			ss, err = b.d.strs(e.val, e.key)
		default:
			err = b.d.unknownKey(e, "an embed (want start, end)")
		}
		if err != nil {
			return em, err
		}
		for _, s := range ss {
			if e.key == "start" {
				em.Start = append(em.Start, s.s)
			} else {
				em.End = append(em.End, s.s)
			}
		}
	}
	if len(em.Start) == 0 || len(em.End) == 0 {
		return em, b.d.errf(n, "an embed needs both start and end")
	}
	return em, nil
}

// programSpecs reads programs: name: {value_flags, dir_flags, links,
// processes, lists_paths}.
func (b *builder) programSpecs(n ast.Node) error {
	return b.eachProgram(n, "programs", func(names []string, n ast.Node) error {
		entries, err := b.d.mapping(n, "a program")
		if err != nil {
			return err
		}
		info := &progInfo{}
		for _, e := range entries {
			switch e.key {
			case "value_flags":
				var flags []string
				if flags, err = b.flagList(e.val, e.key); err == nil {
					for _, name := range names {
						b.addValueFlags(name, flags)
					}
				}
			case "dir_flags":
				info.dirFlags, err = b.flagList(e.val, e.key)
			case "links":
				info.links, err = b.d.boolean(e.val, e.key)
			case "processes":
				info.procs, err = b.procSpec(e.val)
			case "lists_paths":
				info.listsPaths, err = b.d.boolean(e.val, e.key)
			default:
				err = b.d.unknownKey(e, "a program (want value_flags, dir_flags, links, processes, lists_paths)")
			}
			if err != nil {
				return err
			}
		}
		for _, name := range names {
			// Options that take a value are value flags too.
			b.addValueFlags(name, info.dirFlags)
			if info.procs != nil {
				b.addValueFlags(name, info.procs.pidFlags)
			}
			if info.dirFlags != nil || info.links || info.procs != nil || info.listsPaths {
				b.t.progInfo[name] = info
			}
		}
		return nil
	})
}

func (b *builder) addValueFlags(name string, lists ...[]string) {
	m := b.t.programs[name]
	if m == nil {
		m = map[string]bool{}
		b.t.programs[name] = m
	}
	for _, l := range lists {
		for _, f := range l {
			m[f] = true
		}
	}
}

// actions reads the action list.
func (b *builder) actions(n ast.Node) error {
	items, err := b.d.seq(n, "actions")
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return b.d.errf(n, "actions must list at least one action")
	}
	for _, it := range items {
		if err := b.action(it); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) action(n ast.Node) error {
	entries, err := b.d.mapping(n, "an action")
	if err != nil {
		return err
	}
	a := &action{}
	var matchNode ast.Node
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.key] = true
		var s str
		switch e.key {
		case "id":
			if s, err = b.d.nonEmpty(e.val, "id"); err != nil {
				return err
			}
			if !isActionID(s.s) {
				return b.d.errf(e.val, "action id %q must be dot-separated lower-case words (deploy.production)", s.s)
			}
			if s.s == UnknownAction {
				return b.d.errf(e.val, "action id %q is built in: it is always critical and cannot be redefined", s.s)
			}
			if first, dup := b.ids[s.s]; dup {
				return b.d.errf(e.val, "duplicate action id %q (first defined on line %d)", s.s, first)
			}
			b.ids[s.s] = line(e.val)
			a.ID = s.s
		case "title":
			if s, err = b.d.nonEmpty(e.val, "title"); err != nil {
				return err
			}
			a.Title = s.s
		case "description":
			if s, err = b.d.str(e.val, "description"); err != nil {
				return err
			}
			a.Description = s.s
		case "risk":
			if s, err = b.d.str(e.val, "risk"); err != nil {
				return err
			}
			if a.Risk, err = ParseRisk(s.s); err != nil {
				return b.d.errf(e.val, "%v", err)
			}
		case "match":
			matchNode = e.val
		default:
			return b.d.unknownKey(e, "an action (want id, title, description, risk, match)")
		}
	}
	for _, req := range []string{"id", "title", "risk", "match"} {
		if !seen[req] {
			return b.d.errf(n, "action is missing required key %q", req)
		}
	}
	items, err := b.d.seq(matchNode, "match")
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return b.d.errf(matchNode, "match must list at least one rule")
	}
	b.t.actions = append(b.t.actions, a)
	counts := map[string]int{}
	for _, it := range items {
		if err := b.rule(a, it, counts); err != nil {
			return err
		}
	}
	return nil
}
