package taxonomy

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// stdinNamed returns the stdin source a name in the file stands for.
func stdinNamed(name string) (shell.StdinKind, bool) {
	switch name {
	case "none":
		return shell.StdinNone, true
	case "pipe":
		return shell.StdinPipe, true
	case "file":
		return shell.StdinFile, true
	case "heredoc":
		return shell.StdinHeredoc, true
	case "herestring":
		return shell.StdinHerestring, true
	}
	return 0, false
}

const shellKeys = "program, script, bare, function, subcommand, flags, no_flags, flag_values, args, no_args, " +
	"min_args, max_args, contains, inline_code, dynamic, fed_by, stdin, assigns, vars, wrapped_by, " +
	"in_substitution, processes, path_args, last_arg, path_flags, path_operands, recursive, cwd, mounts, strip_suffix, copies"

// shellRule reads a shell matcher and files the rule under the programs it
// names (or as a global rule when it names none).
func (b *builder) shellRule(r *rule, n ast.Node) error {
	entries, err := b.d.mapping(n, "a shell matcher")
	if err != nil {
		return err
	}
	sr := &shellRule{minArgs: -1, maxArgs: -1}
	var boolErr error
	flag := func(e entry, dst *bool) {
		*dst, boolErr = b.d.boolean(e.val, e.key)
		if boolErr == nil && !*dst {
			boolErr = b.d.errf(e.val, "%s: false is the default, leave the key out", e.key)
		}
	}
	for _, e := range entries {
		switch e.key {
		case "program":
			sr.programs, err = b.compileNames(e.val, e.key)
		case "script":
			flag(e, &sr.script)
			err = boolErr
		case "bare":
			flag(e, &sr.bare)
			err = boolErr
		case "function":
			flag(e, &sr.function)
			err = boolErr
		case "subcommand":
			var ps patterns
			ps, err = b.compilePatterns(e.val, e.key)
			sr.sub = ps
		case "flags":
			sr.flags, err = b.flagList(e.val, e.key)
		case "no_flags":
			sr.noFlags, err = b.flagList(e.val, e.key)
		case "flag_values":
			sr.flagValues, err = b.flagValues(e.val)
		case "args":
			sr.args, err = b.compilePatterns(e.val, e.key)
		case "no_args":
			sr.noArgs, err = b.compilePatterns(e.val, e.key)
		case "min_args":
			sr.minArgs, err = b.d.count(e.val, e.key)
		case "max_args":
			sr.maxArgs, err = b.d.count(e.val, e.key)
		case "contains":
			sr.contains, err = b.compileSearches(e.val, e.key)
		case "inline_code":
			sr.inlineCode, err = b.triOf(e.val, e.key)
		case "dynamic":
			sr.dyn, err = b.triOf(e.val, e.key)
		case "in_substitution":
			sr.inSubst, err = b.triOf(e.val, e.key)
		case "fed_by":
			sr.fedBy, err = b.compileNames(e.val, e.key)
		case "wrapped_by":
			sr.wrappedBy, err = b.compileNames(e.val, e.key)
		case "stdin":
			sr.stdin = map[shell.StdinKind]bool{}
			err = b.bits(e.val, e.key, func(s string) bool {
				k, ok := stdinNamed(s)
				sr.stdin[k] = ok
				return ok
			}, "none, pipe, file, heredoc or herestring")
		case "assigns":
			sr.assigns, err = b.compilePatterns(e.val, e.key)
		case "vars":
			sr.vars, err = b.compilePatterns(e.val, e.key)
		case "path_args":
			sr.pathArgs, sr.noPathArgs, err = b.roleOf(e.val, e.key)
		case "path_flags":
			sr.pathFlags, err = b.pathRoles(e.val, e.key, true)
		case "last_arg":
			var none bool
			sr.lastArg, none, err = b.roleOf(e.val, e.key)
			if err == nil && none {
				err = b.d.errf(e.val, "last_arg: none is not a role here; leave the key out")
			}
		case "recursive":
			flag(e, &sr.recursive)
			err = boolErr
		case "path_operands":
			sr.pathOperands, err = b.pathRoles(e.val, e.key, false)
		case "cwd":
			var none bool
			sr.cwd, none, err = b.roleOf(e.val, e.key)
			if err == nil && (none || sr.cwd == accMention) {
				err = b.d.errf(e.val, "cwd: want read, write, edit, delete or exec")
			}
		case "mounts":
			sr.mounts, err = b.flagList(e.val, e.key)
		case "copies":
			flag(e, &sr.copies)
			err = boolErr
		case "strip_suffix":
			var ss []str
			ss, err = b.d.strs(e.val, e.key)
			for _, x := range ss {
				if x.s == "" || !strings.HasPrefix(x.s, ".") {
					return b.d.errf(x.n, "strip_suffix %q must start with a dot", x.s)
				}
				sr.stripSuffix = append(sr.stripSuffix, x.s)
			}
		case "processes":
			var s str
			if s, err = b.d.str(e.val, e.key); err == nil {
				if s.s != "ony" {
					err = b.d.errf(e.val, "processes %q: want ony", s.s)
				}
				sr.procOny = true
			}
		default:
			err = b.d.unknownKey(e, "a shell matcher (want "+shellKeys+")")
		}
		if err != nil {
			return err
		}
	}
	kinds := 0
	for _, k := range []bool{sr.programs != nil, sr.script, sr.bare, sr.function} {
		if k {
			kinds++
		}
	}
	if kinds > 1 {
		return b.d.errf(n, "a shell matcher takes at most one of program, script, bare and function")
	}
	if sr.minArgs >= 0 && sr.maxArgs >= 0 && sr.minArgs > sr.maxArgs {
		return b.d.errf(n, "min_args is larger than max_args")
	}
	r.shell = sr
	r.recognises = kinds == 1
	switch {
	case sr.programs != nil:
		for p := range sr.programs {
			b.t.byProgram[p] = append(b.t.byProgram[p], r)
		}
	case sr.script:
		b.t.scriptRules = append(b.t.scriptRules, r)
	case sr.bare:
		b.t.bareRules = append(b.t.bareRules, r)
	case sr.function:
		b.t.funcRules = append(b.t.funcRules, r)
	default:
		b.t.globalShell = append(b.t.globalShell, r)
	}
	return nil
}

func (b *builder) flagValues(n ast.Node) ([]flagCond, error) {
	entries, err := b.d.mapping(n, "flag_values")
	if err != nil {
		return nil, err
	}
	var out []flagCond
	for _, e := range entries {
		if _, err := b.flagList(e.keyNode, "flag_values"); err != nil {
			return nil, err
		}
		s, err := b.d.nonEmpty(e.val, "flag_values "+e.key)
		if err != nil {
			return nil, err
		}
		p, err := b.compilePattern(s)
		if err != nil {
			return nil, err
		}
		out = append(out, flagCond{flag: e.key, p: p})
	}
	return out, nil
}

// pathRoles reads {option-or-key: role}: options when flags, else the keys
// of key=path operands.
func (b *builder) pathRoles(n ast.Node, what string, flags bool) (map[string]access, error) {
	entries, err := b.d.mapping(n, what)
	if err != nil {
		return nil, err
	}
	out := map[string]access{}
	for _, e := range entries {
		if flags {
			if _, err := b.flagList(e.keyNode, what); err != nil {
				return nil, err
			}
		} else if !isVarName(strings.ToUpper(e.key)) {
			return nil, b.d.errf(e.keyNode, "%s key %q must be a word such as of", what, e.key)
		}
		acc, none, err := b.roleOf(e.val, what+" "+e.key)
		if err != nil {
			return nil, err
		}
		if none {
			return nil, b.d.errf(e.val, "%s %s: none is not a role here; leave the key out", what, e.key)
		}
		out[e.key] = acc
	}
	return out, nil
}

// flagOcc is one option found on a command line.
type flagOcc struct {
	name  string      // --long, -x, or a whole single-dash word (-delete, -rf)
	value *shell.Word // nil when the option has no value
}

// argv is a command's arguments split into options and positionals.
type argv struct {
	pos   []int // indexes into Command.Args
	flags []flagOcc
}

// parseArgv splits args getopt-style (options may follow operands; --
// ends them), using the options the program is known to take a value for.
// An abbreviated long option (--to-com for --to-command, which getopt_long
// and git accept) is read as the one option in longs it starts, when there
// is exactly one.
func parseArgv(args []shell.Word, valueFlags map[string]bool, longs []string) argv {
	var av argv
	after := false
	for i := 0; i < len(args); i++ {
		w := &args[i]
		v := w.Value
		if after || len(v) < 2 || v[0] != '-' || !w.Anchored {
			av.pos = append(av.pos, i)
			continue
		}
		if v == "--" {
			// Recorded as an option so that rules can ask for it
			// (git checkout -- paths).
			after = true
			av.flags = append(av.flags, flagOcc{name: "--"})
			continue
		}
		if strings.HasPrefix(v, "--") {
			name, val, eq := strings.Cut(v, "=")
			name = expandLong(name, valueFlags, longs)
			occ := flagOcc{name: name}
			if eq {
				vw := *w
				vw.Value = val
				occ.value = &vw
			} else if valueFlags[name] && i+1 < len(args) {
				i++
				occ.value = &args[i]
			}
			av.flags = append(av.flags, occ)
			continue
		}
		if name, val, eq := strings.Cut(v, "="); eq && len(name) > 2 && !valueFlags[name[:2]] {
			vw := *w
			vw.Value = val
			av.flags = append(av.flags, flagOcc{name: name, value: &vw})
			continue
		}
		if valueFlags[v] {
			occ := flagOcc{name: v}
			if i+1 < len(args) {
				i++
				occ.value = &args[i]
			}
			av.flags = append(av.flags, occ)
			continue
		}
		if len(v) > 2 {
			av.flags = append(av.flags, flagOcc{name: v})
		}
		for j := 1; j < len(v); j++ {
			f := "-" + v[j:j+1]
			occ := flagOcc{name: f}
			if valueFlags[f] {
				if rest := v[j+1:]; rest != "" {
					vw := *w
					vw.Value = rest
					occ.value = &vw
				} else if i+1 < len(args) {
					i++
					occ.value = &args[i]
				}
				av.flags = append(av.flags, occ)
				break
			}
			av.flags = append(av.flags, occ)
		}
	}
	return av
}

// minAbbrev is the shortest abbreviation of a long option taken as one:
// "--" and two letters.
const minAbbrev = 4

// expandLong returns the long option an abbreviation stands for: itself
// when it is known, else the one known option it starts, else itself.
func expandLong(name string, valueFlags map[string]bool, longs []string) string {
	if len(name) < minAbbrev || valueFlags[name] {
		return name
	}
	i, found := slices.BinarySearch(longs, name)
	if found {
		return name
	}
	if i < len(longs) && strings.HasPrefix(longs[i], name) && (i+1 == len(longs) || !strings.HasPrefix(longs[i+1], name)) {
		return longs[i]
	}
	return name
}

func (av *argv) has(flag string) bool {
	for _, f := range av.flags {
		if f.name == flag {
			return true
		}
	}
	return false
}

func (av *argv) hasAny(flags []string) bool {
	for _, f := range flags {
		if av.has(f) {
			return true
		}
	}
	return false
}

// cmdView is a command with its parsed arguments and lazily built text.
type cmdView struct {
	cmd      *shell.Command
	av       argv
	text     string
	lower    string
	haveText bool
	x        *callCtx
	info     *progInfo // the programs section's entry for it, if any
	proc     *procResult
}

// procs returns the processes the command names, resolved once.
func (v *cmdView) procs() *procResult {
	if v.proc == nil {
		v.proc = &procResult{}
		if v.info != nil && v.info.procs != nil && v.x != nil {
			*v.proc = v.x.resolveProcs(v, v.info.procs)
		}
	}
	return v.proc
}

// searchText is what contains patterns search: the argument values, inline
// code and here-document input; and its lower-case form for prefilters.
func (v *cmdView) searchText() (string, string) {
	if !v.haveText {
		var b strings.Builder
		for i, a := range v.cmd.Args {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(a.Value)
		}
		if v.cmd.Code != nil {
			b.WriteByte('\n')
			b.WriteString(v.cmd.Code.Text)
		}
		if v.cmd.Input != "" {
			b.WriteByte('\n')
			b.WriteString(v.cmd.Input)
		}
		v.text, v.haveText = b.String(), true
		v.lower = strings.ToLower(v.text)
	}
	return v.text, v.lower
}

// dynamic reports arguments Ony cannot see: computed words or arguments
// supplied at run time.
func (v *cmdView) dynamic() bool {
	if v.cmd.MoreArgs {
		return true
	}
	for i := range v.cmd.Args {
		if !v.cmd.Args[i].Static {
			return true
		}
	}
	return false
}

// match reports whether the command satisfies every condition of the rule.
func (sr *shellRule) match(v *cmdView) bool {
	cmd, av := v.cmd, &v.av
	if len(sr.sub) > len(av.pos) {
		return false
	}
	for i, p := range sr.sub {
		if !p.match(cmd.Args[av.pos[i]].Value) {
			return false
		}
	}
	rest := av.pos[len(sr.sub):]
	if sr.minArgs >= 0 && len(rest) < sr.minArgs || sr.maxArgs >= 0 && len(rest) > sr.maxArgs {
		return false
	}
	if sr.flags != nil && !av.hasAny(sr.flags) || av.hasAny(sr.noFlags) {
		return false
	}
	for _, fc := range sr.flagValues {
		found := false
		for _, f := range av.flags {
			if f.name == fc.flag && f.value != nil && fc.p.match(f.value.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if sr.args != nil && !anyArg(cmd, av, rest, sr.args) || sr.noArgs != nil && anyArg(cmd, av, rest, sr.noArgs) {
		return false
	}
	if !sr.inlineCode.ok(cmd.Code != nil) || !sr.inSubst.ok(cmd.InSubst) || !sr.dyn.ok(v.dynamic()) {
		return false
	}
	if sr.fedBy != nil && !sr.fedBy.anyOf(cmd.Feeds) || sr.wrappedBy != nil && !sr.wrappedBy.anyOf(cmd.Wrappers) {
		return false
	}
	if sr.stdin != nil && !sr.stdin[cmd.Stdin] {
		return false
	}
	if sr.assigns != nil && !anyAssign(cmd, sr.assigns) || sr.vars != nil && !anyString(cmd.Vars, sr.vars) {
		return false
	}
	if sr.procOny && !v.procs().ony {
		return false
	}
	return sr.contains == nil || sr.contains.any(v.searchText())
}

// anyArg reports whether a positional after the subcommand, or any option
// value, matches.
func anyArg(cmd *shell.Command, av *argv, rest []int, ps patterns) bool {
	for _, i := range rest {
		if ps.any(cmd.Args[i].Value) {
			return true
		}
	}
	for _, f := range av.flags {
		if f.value != nil && ps.any(f.value.Value) {
			return true
		}
	}
	return false
}

func anyAssign(cmd *shell.Command, ps patterns) bool {
	for _, a := range cmd.Assigns {
		if ps.any(a.Name) {
			return true
		}
	}
	return false
}

func anyString(ss []string, ps patterns) bool {
	for _, s := range ss {
		if ps.any(s) {
			return true
		}
	}
	return false
}
