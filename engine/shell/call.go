package shell

import (
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// call handles a simple command.
func (a *analyzer) call(st *syntax.Stmt, ce *syntax.CallExpr, redirs []Redirect, sc *scope, c wctx) {
	assigns := make([]Assign, 0, len(ce.Assigns))
	for _, as := range ce.Assigns {
		if as.Name == nil {
			continue
		}
		assigns = append(assigns, Assign{Name: as.Name.Value, Value: a.assignValue(as, sc, c)})
	}
	if len(ce.Args) == 0 {
		for _, as := range assigns {
			sc.set(as.Name, as.Value)
		}
		a.bare(st, redirs, assigns, sc, c)
		return
	}
	words := a.words(ce.Args, sc, c)
	cmd := a.newCommand(st, c, sc)
	cmd.Assigns, cmd.Redirs = assigns, redirs
	a.run(&cmd, words, sc, c)
}

// run sees through wrappers, names the program, emits the command and walks
// the code it runs.
func (a *analyzer) run(cmd *Command, words []Word, sc *scope, c wctx) {
	if len(words) == 0 {
		cmd.Kind = KindBare
		a.finish(cmd)
		return
	}
	var name string
	var kind CommandKind
	for {
		prog := words[0]
		if !prog.Static || prog.Glob || len(prog.Vars) > 0 {
			cmd.Program, cmd.Args = prog, words[1:]
			cmd.Problem = "the program name is computed at run time"
			a.finish(cmd)
			return
		}
		name, kind = a.progName(prog.Value)
		w, ok := a.spec.Wrappers[name]
		if kind != KindProgram || !ok {
			break
		}
		rest, ok := a.unwrap(w, words[1:], cmd)
		if !ok {
			break
		}
		cmd.Wrappers = append(cmd.Wrappers, name)
		words = rest
	}
	cmd.Program, cmd.Args, cmd.Name, cmd.Kind = words[0], words[1:], name, kind
	if kind == KindProgram && a.funcs[name] {
		cmd.Kind = KindFunction
		if slices.Contains(c.funcs, name) {
			cmd.Problem = "function " + name + " calls itself (a fork bomb has this shape)"
		}
	}
	if cmd.Kind != KindProgram {
		pending := a.codeVars(cmd, sc, true)
		a.finish(cmd)
		a.runPending(cmd, pending, sc, c)
		return
	}
	a.builtin(cmd, sc)
	var code *Code
	ip, isInterp := a.spec.Interpreters[name]
	if isInterp {
		code = a.interpret(cmd, ip, c)
	}
	var pending []pendingCode
	if prog, ok := a.spec.Programs[name]; ok && len(prog.Code) > 0 {
		pending = a.codeArgs(cmd, prog)
	}
	pending = append(pending, a.codeVars(cmd, sc, true)...)
	a.finish(cmd)
	if e, ok := a.spec.Embeds[name]; ok {
		a.embedded(cmd, e, sc, c)
	}
	a.runPending(cmd, pending, sc, c)
	if code == nil || !code.Static || !ip.Shell {
		return
	}
	nc := c
	if code.From == FromStdin {
		nc.stdin, nc.input, nc.feeds = StdinNone, nil, nil
	}
	switch {
	case ip.CodeOperand == OperandAssign:
		for _, w := range cmd.Args {
			if _, v, ok := strings.Cut(w.Value, "="); ok && w.Static {
				a.nested(v, name, sc.clone(), nc)
			}
		}
	case name == "eval" || name == "source" || name == ".":
		a.nested(code.Text, name, sc, nc)
	default:
		a.nested(code.Text, name, sc.clone(), nc)
	}
}

// nested analyses shell code run by an interpreter.
func (a *analyzer) nested(code, what string, sc *scope, c wctx) {
	c2, ok := a.enter(c, code)
	if !ok {
		return
	}
	c2.moreArgs = false
	a.source(code, sc, c2, what)
}

// progName returns the name rules match and the command kind.
func (a *analyzer) progName(v string) (string, CommandKind) {
	if !strings.Contains(v, "/") {
		return v, KindProgram
	}
	dir, base := filepath.Dir(v), filepath.Base(v)
	if slices.Contains(a.spec.BinDirs, dir) {
		return base, KindProgram
	}
	return base, KindScript
}

// unwrap skips a wrapper's options, assignments and operands and returns the
// wrapped command, or false when the wrapper runs nothing (env alone) or is
// used for something else (command -v).
func (a *analyzer) unwrap(w Wrapper, args []Word, cmd *Command) ([]Word, bool) {
	i, ok := wrapperOptions(w, args, 0)
	if !ok {
		return nil, false
	}
	if w.Subcommands != nil {
		if i >= len(args) || !args[i].Static || !slices.Contains(w.Subcommands, args[i].Value) {
			return nil, false
		}
		if i, ok = wrapperOptions(w, args, i+1); !ok {
			return nil, false
		}
	}
	var assigns []Assign
	if w.Assigns {
		for i < len(args) && args[i].Static && isAssignWord(args[i].Value) {
			n, v, _ := strings.Cut(args[i].Value, "=")
			val := args[i]
			val.Value = v
			assigns = append(assigns, Assign{Name: n, Value: val})
			i++
		}
	}
	i += w.Operands
	if i >= len(args) {
		return nil, false
	}
	cmd.Assigns = append(cmd.Assigns, assigns...)
	cmd.MoreArgs = cmd.MoreArgs || w.MoreArgs
	return args[i:], true
}

// wrapperOptions skips a wrapper's options from args[i], returning the
// index of the first operand, or false when a query option is present.
func wrapperOptions(w Wrapper, args []Word, i int) (int, bool) {
	for i < len(args) {
		x := args[i]
		if !x.Static {
			break
		}
		v := x.Value
		if v == "--" {
			return i + 1, true
		}
		if len(v) < 2 || v[0] != '-' {
			break
		}
		if hasFlag(v, w.QueryFlags) {
			return i, false
		}
		i++
		if takesValue(v, w.ValueFlags) {
			i++
		}
	}
	return i, true
}

// isAssignWord reports NAME=value.
func isAssignWord(s string) bool {
	n, _, ok := strings.Cut(s, "=")
	if !ok || n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// hasFlag reports whether option word v sets one of flags: a long option
// (--x or --x=v), a single-dash word given whole (-exec), or a short option
// inside a cluster (-xc).
func hasFlag(v string, flags []string) bool {
	if len(flags) == 0 || len(v) < 2 || v[0] != '-' {
		return false
	}
	name, _, _ := strings.Cut(v, "=")
	if slices.Contains(flags, name) {
		return true
	}
	if strings.HasPrefix(v, "--") {
		return false
	}
	for j := 1; j < len(v); j++ {
		if slices.Contains(flags, "-"+v[j:j+1]) {
			return true
		}
	}
	return false
}

// takesValue reports whether option word v consumes the next word as its
// value, given the options that take a value.
func takesValue(v string, valueFlags []string) bool {
	if len(valueFlags) == 0 {
		return false
	}
	if strings.HasPrefix(v, "--") {
		return !strings.Contains(v, "=") && slices.Contains(valueFlags, v)
	}
	if slices.Contains(valueFlags, v) {
		return true
	}
	for j := 1; j < len(v); j++ {
		if slices.Contains(valueFlags, "-"+v[j:j+1]) {
			return j == len(v)-1
		}
	}
	return false
}

// builtin tracks what shell builtins change: the directory and variables.
func (a *analyzer) builtin(cmd *Command, sc *scope) {
	if len(cmd.Wrappers) > 0 {
		return
	}
	args := cmd.Args
	switch cmd.Name {
	case "cd", "pushd":
		var t *Word
		for i := range args {
			if !strings.HasPrefix(args[i].Value, "-") || args[i].Value == "-" {
				t = &args[i]
				break
			}
		}
		switch {
		case t == nil:
			sc.chdir(a.opts.Home)
		case !t.Static || !t.Anchored || t.Glob || t.Value == "-":
			sc.chdir("")
		default:
			sc.chdir(t.Value)
		}
	case "popd", "source", ".":
		sc.chdir("")
		if cmd.Name != "popd" {
			for _, b := range sc.vars {
				sc.forget(b.name)
			}
		}
	case "read", "mapfile", "readarray", "unset", "getopts", "printf":
		for _, w := range args {
			if w.Static && !strings.HasPrefix(w.Value, "-") && isAssignWord(w.Value+"=") {
				sc.forget(w.Value)
			}
		}
	}
}

// interpret finds the code an interpreter runs. It returns nil when the
// interpreter runs a script file or named module.
func (a *analyzer) interpret(cmd *Command, ip Interpreter, c wctx) *Code {
	args := cmd.Args
	var code *Code
	switch ip.CodeOperand {
	case OperandRest, OperandFirst, OperandAssign:
		i := skipOptions(args, ip.ValueFlags)
		ops := args[i:]
		switch {
		case len(ops) == 0:
			return nil
		case ip.CodeOperand == OperandFirst:
			ops = ops[:1]
		case ip.CodeOperand == OperandAssign:
			kept := ops[:0:0]
			for _, w := range ops {
				if strings.Contains(w.Value, "=") || !w.Static {
					kept = append(kept, w)
				}
			}
			if ops = kept; len(ops) == 0 {
				return nil
			}
		}
		code = joinCode(ops, FromOperand)
	default:
		code = a.optionCode(cmd, ip, c)
	}
	if code != nil && !code.Static {
		cmd.Problem = "runs code Ony cannot see: " + describe(code, cmd.Stdin)
	}
	cmd.Code = code
	return code
}

// optionCode handles interpreters whose code is an option value, a script
// operand, or standard input.
func (a *analyzer) optionCode(cmd *Command, ip Interpreter, c wctx) *Code {
	args := cmd.Args
	valueFlags := slices.Concat(ip.ValueFlags, ip.CodeFlags, ip.RunFlags)
	runs, fromStdin, operandCode := false, false, false
	for i := 0; i < len(args); i++ {
		w := args[i]
		v := w.Value
		if w.Static && v == "--" {
			i++
		} else if w.Static && len(v) >= 2 && v[0] == '-' {
			switch {
			case hasFlag(v, ip.CodeFlags):
				if val, ok := flagValue(args, i, ip.CodeFlags); ok {
					return &Code{Text: val.Value, Static: val.Static, From: FromFlag}
				}
				return &Code{From: FromFlag}
			case hasFlag(v, ip.RunFlags):
				runs = true
			case hasFlag(v, ip.OperandFlags):
				operandCode = true
			case hasFlag(v, ip.StdinFlags):
				fromStdin = true
			}
			if takesValue(v, valueFlags) {
				i++
			}
			continue
		}
		if i >= len(args) || runs || fromStdin {
			break
		}
		w = args[i]
		if operandCode {
			return &Code{Text: w.Value, Static: w.Static, From: FromFlag}
		}
		if !w.Static || w.Glob {
			return &Code{From: FromScript}
		}
		if w.Value != "-" {
			return nil
		}
		break
	}
	if runs {
		return nil
	}
	if operandCode {
		return &Code{From: FromFlag}
	}
	if in := c.input; in != nil && in.Static && (cmd.Stdin == StdinHeredoc || cmd.Stdin == StdinHerestring) {
		return &Code{Text: in.Value, Static: true, From: FromStdin}
	}
	return &Code{From: FromStdin}
}

// flagValue returns the value given to one of flags at args[i]: attached
// (--x=v, -cv) or the next word.
func flagValue(args []Word, i int, flags []string) (Word, bool) {
	v := args[i].Value
	if name, val, ok := strings.Cut(v, "="); ok && strings.HasPrefix(v, "--") && slices.Contains(flags, name) {
		w := args[i]
		w.Value = val
		return w, true
	}
	if !strings.HasPrefix(v, "--") && !slices.Contains(flags, v) {
		for j := 1; j < len(v); j++ {
			if slices.Contains(flags, "-"+v[j:j+1]) {
				if rest := v[j+1:]; rest != "" {
					w := args[i]
					w.Value = rest
					return w, true
				}
				break
			}
		}
	}
	if i+1 < len(args) {
		return args[i+1], true
	}
	return Word{}, false
}

// skipOptions returns the index of the first operand.
func skipOptions(args []Word, valueFlags []string) int {
	i := 0
	for i < len(args) {
		v := args[i].Value
		if !args[i].Static || len(v) < 2 || v[0] != '-' {
			return i
		}
		i++
		if v == "--" {
			return i
		}
		if takesValue(v, valueFlags) {
			i++
		}
	}
	return i
}

// joinCode joins operand words into code.
func joinCode(ws []Word, from CodeFrom) *Code {
	parts := make([]string, len(ws))
	static := true
	for i, w := range ws {
		parts[i] = w.Value
		static = static && w.Static
	}
	if !static {
		return &Code{From: from}
	}
	return &Code{Text: strings.Join(parts, " "), Static: true, From: from}
}

// describe says where unseen code comes from.
func describe(code *Code, stdin StdinKind) string {
	switch code.From {
	case FromScript:
		return "a script whose name is computed at run time"
	case FromStdin:
		switch stdin {
		case StdinPipe:
			return "code read from a pipe"
		case StdinFile:
			return "code read from a redirected file"
		case StdinHeredoc, StdinHerestring:
			return "a here-document with run-time substitutions"
		}
		return "code read from standard input"
	}
	return "code computed at run time"
}

// embedded analyses commands embedded in arguments (find -exec ... ;).
func (a *analyzer) embedded(cmd *Command, e Embed, sc *scope, c wctx) {
	args := cmd.Args
	for i := 0; i < len(args); i++ {
		if !args[i].Static || !slices.Contains(e.Start, args[i].Value) {
			continue
		}
		j := i + 1
		for j < len(args) && !(args[j].Static && slices.Contains(e.End, args[j].Value)) {
			j++
		}
		if j > i+1 {
			c2, ok := a.enter(c, cmd.Text)
			if !ok {
				return
			}
			sub := Command{Text: cmd.Text, InSubst: cmd.InSubst, Dir: sc.dir(), Dirs: sc.dirs, MoreArgs: true, Feeds: []string{cmd.Name}}
			a.run(&sub, slices.Clone(args[i+1:j]), sc.clone(), c2)
		}
		i = j
	}
}

// finish gathers the variables and feeding programs of a command's words and
// emits it.
func (a *analyzer) finish(cmd *Command) {
	add := func(w *Word) {
		if len(w.Vars) > 0 {
			cmd.Vars = appendNames(cmd.Vars, w.Vars)
		}
		if len(w.Feeds) > 0 {
			cmd.Feeds = appendNames(cmd.Feeds, w.Feeds)
		}
	}
	add(&cmd.Program)
	for i := range cmd.Args {
		add(&cmd.Args[i])
	}
	for i := range cmd.Assigns {
		add(&cmd.Assigns[i].Value)
	}
	for i := range cmd.Redirs {
		add(&cmd.Redirs[i].Target)
	}
	a.emit(*cmd)
}
