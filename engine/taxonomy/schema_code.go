package taxonomy

import (
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// codeAsNamed returns the analysis a name in the file stands for.
func codeAsNamed(name string, vars bool) (shell.CodeAs, bool) {
	switch name {
	case "shell":
		return shell.AsShell, true
	case "unseen":
		return shell.AsUnseen, true
	case "argv":
		return shell.AsArgv, !vars
	case "inline":
		return shell.AsInline, !vars
	case "paths":
		return shell.AsPaths, vars
	case "options":
		return shell.AsOptions, vars
	}
	return 0, false
}

// codeArgs reads shell.code_args: program: [{flags, prefix, subcommand, as}].
func (b *builder) codeArgs(n ast.Node) error {
	return b.eachProgram(n, "code_args", func(names []string, n ast.Node) error {
		items, err := b.d.seq(n, "code_args of a program")
		if err != nil {
			return err
		}
		for _, it := range items {
			ca, err := b.codeArg(it)
			if err != nil {
				return err
			}
			for _, name := range names {
				b.code[name] = append(b.code[name], ca)
			}
		}
		return nil
	})
}

func (b *builder) codeArg(n ast.Node) (shell.CodeArg, error) {
	var ca shell.CodeArg
	entries, err := b.d.mapping(n, "a code_args entry")
	if err != nil {
		return ca, err
	}
	for _, e := range entries {
		switch e.key {
		case "flags":
			ca.Flags, err = b.flagList(e.val, e.key)
		case "prefix":
			var ss []str
			ss, err = b.d.strs(e.val, e.key)
			for _, s := range ss {
				if s.s == "" {
					return ca, b.d.errf(s.n, "prefix must not be empty")
				}
				ca.Prefixes = append(ca.Prefixes, s.s)
			}
		case "subcommand":
			var ss []str
			ss, err = b.d.strs(e.val, e.key)
			for _, s := range ss {
				words := strings.Fields(s.s)
				if len(words) == 0 {
					return ca, b.d.errf(s.n, "subcommand must name at least one word")
				}
				ca.Subcommands = append(ca.Subcommands, words)
			}
		case "as":
			var s str
			if s, err = b.d.str(e.val, e.key); err == nil {
				var ok bool
				if ca.As, ok = codeAsNamed(s.s, false); !ok {
					err = b.d.errf(e.val, "as %q: want shell, argv, inline or unseen", s.s)
				}
			}
		case "attached":
			ca.Attached, err = b.d.boolean(e.val, e.key)
		case "operands":
			ca.Operands, err = b.d.boolean(e.val, e.key)
		default:
			err = b.d.unknownKey(e, "a code_args entry (want flags, prefix, subcommand, operands, attached, as)")
		}
		if err != nil {
			return ca, err
		}
	}
	switch {
	case ca.As == 0:
		return ca, b.d.errf(n, "a code_args entry needs as")
	case len(ca.Flags) == 0 && len(ca.Subcommands) == 0 && !ca.Operands:
		return ca, b.d.errf(n, "a code_args entry needs flags, subcommand or operands")
	case ca.Operands && (len(ca.Flags) > 0 || len(ca.Subcommands) > 0 || ca.As != shell.AsArgv):
		return ca, b.d.errf(n, "operands: true takes no flags or subcommand, and needs as: argv")
	case len(ca.Prefixes) > 0 && len(ca.Flags) == 0:
		return ca, b.d.errf(n, "prefix applies to flags: add flags")
	case ca.As == shell.AsArgv && len(ca.Flags) > 0:
		return ca, b.d.errf(n, "as argv takes the operands after subcommand: remove flags, or use as shell")
	}
	return ca, nil
}

// codeVars reads shell.code_vars: [{names, as, programs, safe}].
func (b *builder) codeVars(n ast.Node) error {
	items, err := b.d.seq(n, "code_vars")
	if err != nil {
		return err
	}
	spec := &b.t.spec
	if spec.CodeVars == nil {
		spec.CodeVars = map[string]shell.CodeVar{}
	}
	for _, it := range items {
		entries, err := b.d.mapping(it, "a code_vars entry")
		if err != nil {
			return err
		}
		var cv shell.CodeVar
		var varNames []str
		for _, e := range entries {
			switch e.key {
			case "names":
				varNames, err = b.d.strs(e.val, e.key)
				for _, s := range varNames {
					if !isVarName(strings.ReplaceAll(s.s, "*", "X")) {
						return b.d.errf(s.n, "variable name %q must be upper case letters, digits, _ and *", s.s)
					}
				}
			case "as":
				var s str
				if s, err = b.d.str(e.val, e.key); err == nil {
					var ok bool
					if cv.As, ok = codeAsNamed(s.s, true); !ok {
						err = b.d.errf(e.val, "as %q: want shell, unseen, paths or options", s.s)
					}
				}
			case "programs":
				var ns names
				if ns, err = b.compileNames(e.val, e.key); err == nil {
					for p := range ns {
						cv.Programs = append(cv.Programs, p)
					}
				}
			case "safe":
				var ss []str
				ss, err = b.d.strs(e.val, e.key)
				for _, s := range ss {
					re, rerr := regexp.Compile(`^(?:` + s.s + `)$`)
					if rerr != nil {
						return b.d.errf(s.n, "invalid pattern %q: %v", s.s, unwrapRegexpErr(rerr))
					}
					cv.Safe = append(cv.Safe, re)
				}
			default:
				err = b.d.unknownKey(e, "a code_vars entry (want names, as, programs, safe)")
			}
			if err != nil {
				return err
			}
		}
		if len(varNames) == 0 || cv.As == 0 {
			return b.d.errf(it, "a code_vars entry needs names and as")
		}
		if cv.Safe != nil && cv.As != shell.AsOptions {
			return b.d.errf(it, "safe applies to as: options only")
		}
		for _, s := range varNames {
			if _, dup := spec.CodeVars[s.s]; dup {
				return b.d.errf(s.n, "variable %s is listed twice in code_vars", s.s)
			}
			spec.CodeVars[s.s] = cv
			if strings.Contains(s.s, "*") {
				spec.CodeVarPatterns = append(spec.CodeVarPatterns, s.s)
			}
		}
	}
	return nil
}

// finishSpec gives the analyser what it needs of the programs section
// (each program's value options and code arguments), and gathers the long
// options the file names for each program, so that abbreviations of them
// are recognised.
func (b *builder) finishSpec() {
	b.collectLongs()
	spec := &b.t.spec
	spec.Programs = map[string]shell.Program{}
	for name, flags := range b.t.programs {
		p := shell.Program{Code: b.code[name], Longs: b.t.longs[name]}
		for f := range flags {
			p.ValueFlags = append(p.ValueFlags, f)
		}
		spec.Programs[name] = p
	}
	for name, code := range b.code {
		if _, ok := spec.Programs[name]; !ok {
			spec.Programs[name] = shell.Program{Code: code, Longs: b.t.longs[name]}
		}
	}
}

// collectLongs records, per program, every long option the taxonomy names
// for it: value options, rule conditions and roles, code arguments.
func (b *builder) collectLongs() {
	sets := map[string]map[string]bool{}
	add := func(prog string, flags ...string) {
		for _, f := range flags {
			if strings.HasPrefix(f, "--") && len(f) > 2 {
				if sets[prog] == nil {
					sets[prog] = map[string]bool{}
				}
				sets[prog][f] = true
			}
		}
	}
	for prog, flags := range b.t.programs {
		for f := range flags {
			add(prog, f)
		}
	}
	for prog, info := range b.t.progInfo {
		add(prog, info.dirFlags...)
		if ps := info.procs; ps != nil {
			add(prog, ps.pidFlags...)
			add(prog, ps.fullFlags...)
			add(prog, ps.exactFlags...)
			add(prog, ps.icaseFlags...)
			add(prog, ps.regexFlags...)
		}
	}
	for prog, code := range b.code {
		for _, ca := range code {
			add(prog, ca.Flags...)
		}
	}
	for prog, rules := range b.t.byProgram {
		for _, r := range rules {
			sr := r.shell
			add(prog, sr.flags...)
			add(prog, sr.noFlags...)
			add(prog, sr.mounts...)
			for _, fc := range sr.flagValues {
				add(prog, fc.flag)
			}
			for f := range sr.pathFlags {
				add(prog, f)
			}
		}
	}
	b.t.longs = make(map[string][]string, len(sets))
	for prog, set := range sets {
		list := make([]string, 0, len(set))
		for f := range set {
			list = append(list, f)
		}
		slices.Sort(list)
		b.t.longs[prog] = list
	}
}
