package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// CodeAs says how code found in an argument or a variable is analysed.
type CodeAs uint8

// How code is analysed.
const (
	// AsShell is shell code: it is parsed and walked in turn. A value
	// computed at run time is code Ony cannot see.
	AsShell CodeAs = iota + 1
	// AsArgv: the operands that follow are a command and its arguments
	// (git bisect run CMD ARGS).
	AsArgv
	// AsInline is inline code of the program's own language (deno eval):
	// it becomes the command's Code, as for an interpreter's -c.
	AsInline
	// AsUnseen is code Ony cannot analyse (inline code of another
	// language, a native library): the command is a problem.
	AsUnseen
	// AsPaths (variables only): paths of code the program loads or runs,
	// separated by colons or spaces (LD_LIBRARY_PATH, PYTHONPATH, PATH).
	AsPaths
	// AsOptions (variables only): options of an interpreter
	// (NODE_OPTIONS); a word no Safe pattern matches is code Ony cannot
	// analyse.
	AsOptions
)

// Program describes a program's arguments to the analyser.
type Program struct {
	ValueFlags []string  // options that take a value
	Code       []CodeArg // options and sub-commands whose value is code
	// Longs are the program's known long options, sorted: an unambiguous
	// abbreviation of one (--to-com for --to-command, as getopt_long and
	// git accept) is read as that option.
	Longs []string
}

// CodeArg is an option or sub-command of a program whose value is code.
type CodeArg struct {
	// Flags are the options whose value is the code. Without flags the
	// code is the operands after Subcommands.
	Flags []string
	// Prefixes, when set, restrict the code to option values that start
	// with one of them (compared case-insensitively); the code follows the
	// prefix (tar --checkpoint-action=exec=CMD, ssh -o ProxyCommand=CMD).
	Prefixes []string
	// Subcommands, when set, are the operand sequences after which the code
	// applies: [[bisect, run]], [[fetch], [pull]].
	Subcommands [][]string
	// Attached: the option's value is only ever attached (git grep -Ocmd,
	// man --html=cmd); a separate word is not its value.
	Attached bool
	// Operands: the operands from the first one on are a command (strace
	// CMD ARGS), as argv.
	Operands bool
	As       CodeAs // AsShell, AsArgv, AsInline or AsUnseen
}

// CodeVar is an environment variable whose value is code.
type CodeVar struct {
	As CodeAs // AsShell, AsUnseen, AsPaths or AsOptions
	// Programs, when set, limits the variable to commands of these
	// programs (ENV is read by shells only). Assignments without a program
	// (export, X=v alone) always count.
	Programs []string
	Safe     []*regexp.Regexp // AsOptions: whole option words that load no code
}

// pendingCode is code found in a command's arguments or environment,
// analysed once the command itself is emitted.
type pendingCode struct {
	what  string // where it comes from, for messages: "tar --to-command"
	text  string // shell code (AsShell)
	argv  []Word // a command (AsArgv)
	shell bool
}

// codeArgs finds the code in a command's options and sub-commands. Inline
// code becomes the command's Code and unseen code its Problem; shell code
// and commands are returned to be analysed after the command.
func (a *analyzer) codeArgs(cmd *Command, prog Program) []pendingCode {
	var out []pendingCode
	args := cmd.Args
	var ops []int // operand indexes, parsed once when a code arg needs them
	opsDone := false
	for _, ca := range prog.Code {
		end := 0
		if len(ca.Subcommands) > 0 || ca.Operands {
			if !opsDone {
				ops, opsDone = operandIndexes(args, prog.ValueFlags), true
			}
			var ok bool
			if ca.Operands {
				if len(ops) == 0 {
					continue
				}
				end = ops[0]
			} else if end, ok = subcommandEnd(args, ops, ca.Subcommands); !ok {
				continue
			}
		}
		what := cmd.Name
		if len(ca.Flags) == 0 {
			out = a.operandCode(cmd, ca, args[end:], what, out)
			continue
		}
		for i := 0; i < len(args); i++ {
			w := args[i]
			if w.Static && w.Value == "--" {
				break
			}
			if !w.Anchored || !strings.HasPrefix(w.Value, "-") {
				continue // an operand, or a word whose start is computed
			}
			if full := expandLong(w.Value, prog.Longs); full != w.Value {
				w.Value = full
				args = slices.Clone(args)
				args[i] = w
			}
			if !hasFlag(w.Value, ca.Flags) {
				if takesValue(w.Value, prog.ValueFlags) {
					i++
				}
				continue
			}
			next := flagConsumesNext(args, i, ca.Flags)
			if next && ca.Attached {
				continue
			}
			val, ok := flagValue(args, i, ca.Flags)
			if !ok {
				continue
			}
			if next {
				i++
			}
			flag, _, _ := strings.Cut(w.Value, "=")
			if len(ca.Prefixes) > 0 {
				rest, ok := cutPrefixFold(val.Value, ca.Prefixes)
				if !ok {
					if !val.Static && !strings.Contains(val.Value, "=") {
						// The prefix itself is computed: it may be one.
						a.setProblem(cmd, "runs code Ony cannot see: the value of "+cmd.Name+" "+flag+" is computed at run time")
					}
					continue
				}
				val.Value = rest
			}
			out = a.foundCode(cmd, ca.As, cmd.Name+" "+flag, val, out)
		}
	}
	return out
}

// operandCode handles code given as the operands after a sub-command.
func (a *analyzer) operandCode(cmd *Command, ca CodeArg, rest []Word, what string, out []pendingCode) []pendingCode {
	first := 0
	for first < len(rest) && rest[first].Static && len(rest[first].Value) > 1 && rest[first].Value[0] == '-' {
		first++ // options of the sub-command itself (foreach --recursive)
	}
	if ca.As == AsArgv {
		if len(rest) > 0 {
			out = append(out, pendingCode{what: what, argv: slices.Clone(rest)})
		}
		return out
	}
	ops := rest[first:]
	if len(ops) == 0 {
		return out
	}
	return a.foundCode(cmd, ca.As, what, joinWords(ops), out)
}

// foundCode records one piece of code according to how it is analysed.
func (a *analyzer) foundCode(cmd *Command, as CodeAs, what string, val Word, out []pendingCode) []pendingCode {
	switch as {
	case AsShell, AsArgv:
		if !val.Static {
			a.setProblem(cmd, "runs code Ony cannot see: the command given to "+what+" is computed at run time")
			return out
		}
		return append(out, pendingCode{what: what, text: val.Value, shell: true})
	case AsInline:
		cmd.Code = &Code{Text: val.Value, Static: val.Static, From: FromFlag}
		if !val.Static {
			cmd.Code.Text = ""
			a.setProblem(cmd, "runs code Ony cannot see: the code given to "+what+" is computed at run time")
		}
	default:
		a.setProblem(cmd, "runs code Ony cannot analyse: "+what+" "+clipValue(val.Value))
	}
	return out
}

// codeVars analyses the assignments of a command whose variable a program
// reads as code. scoped is false for assignments that reach whatever runs
// later (export, a standalone X=v).
func (a *analyzer) codeVars(cmd *Command, sc *scope, scoped bool) []pendingCode {
	if len(a.spec.CodeVars) == 0 || len(cmd.Assigns) == 0 {
		return nil
	}
	var out []pendingCode
	for i := range cmd.Assigns {
		as := &cmd.Assigns[i]
		cv, ok := a.spec.codeVar(as.Name)
		if !ok || scoped && len(cv.Programs) > 0 && cmd.Kind == KindProgram && !slices.Contains(cv.Programs, cmd.Name) {
			continue
		}
		val := as.Value
		switch cv.As {
		case AsShell:
			if !val.Static {
				a.setProblem(cmd, "runs code Ony cannot see: "+as.Name+" is computed at run time")
				continue
			}
			if strings.TrimSpace(val.Value) != "" {
				out = append(out, pendingCode{what: as.Name, text: val.Value, shell: true})
			}
		case AsPaths:
			cmd.Loads = append(cmd.Loads, a.pathList(as.Name, val, sc)...)
		case AsOptions:
			if !val.Static {
				a.setProblem(cmd, "runs code Ony cannot see: "+as.Name+" is computed at run time")
				continue
			}
			for _, f := range strings.Fields(val.Value) {
				if !slices.ContainsFunc(cv.Safe, func(re *regexp.Regexp) bool { return re.MatchString(f) }) {
					a.setProblem(cmd, "loads code Ony cannot analyse: "+as.Name+"="+clipValue(val.Value))
					break
				}
			}
		default:
			if val.Value != "" || !val.Static {
				a.setProblem(cmd, "loads code Ony cannot analyse: "+as.Name+"="+clipValue(val.Value))
			}
		}
	}
	return out
}

// pathList splits a list of paths (colons or spaces). An unknown element
// that is only the variable's own previous value ($PATH in
// PATH=/x:$PATH) adds nothing and is left out.
func (a *analyzer) pathList(name string, val Word, sc *scope) []Word {
	selfOnly := true
	for _, v := range val.Vars {
		if v != name {
			if _, ok := a.lookup(sc, v); !ok {
				selfOnly = false
			}
		}
	}
	var out []Word
	for _, el := range strings.FieldsFunc(val.Value, func(r rune) bool { return r == ':' || r == ' ' || r == '\t' || r == '\n' }) {
		if el == "*" && selfOnly && slices.Contains(val.Vars, name) {
			continue
		}
		w := Word{Text: val.Text, Value: el, Static: !strings.Contains(el, "*") || val.Static,
			Anchored: val.Anchored || !strings.HasPrefix(el, "*")}
		if strings.HasPrefix(el, "*") {
			w.Anchored = false
		}
		out = append(out, w)
	}
	return out
}

// runPending analyses the code found in a command's arguments and
// environment: it runs with the program's data on its standard input and
// may receive further arguments.
func (a *analyzer) runPending(cmd *Command, pending []pendingCode, sc *scope, c wctx) {
	for _, p := range pending {
		if a.over {
			return
		}
		nc, ok := a.enter(c, cmd.Text)
		if !ok {
			return
		}
		nc.stdin, nc.input, nc.feeds, nc.moreArgs = StdinPipe, nil, []string{cmd.Name}, true
		if p.shell {
			a.source(p.text, sc.clone(), nc, p.what)
			continue
		}
		sub := Command{Text: cmd.Text, InSubst: cmd.InSubst, Dir: sc.dir(), Dirs: sc.dirs, Stdin: StdinPipe, Feeds: []string{cmd.Name}}
		a.run(&sub, p.argv, sc.clone(), nc)
	}
}

// codeVar returns how a variable's value is code, if it is.
func (s *Spec) codeVar(name string) (CodeVar, bool) {
	if cv, ok := s.CodeVars[name]; ok {
		return cv, true
	}
	for _, p := range s.CodeVarPatterns {
		if ok, _ := path.Match(p, name); ok {
			return s.CodeVars[p], true
		}
	}
	return CodeVar{}, false
}

// setProblem records why a command cannot be analysed safely, keeping the
// first reason.
func (a *analyzer) setProblem(cmd *Command, reason string) {
	if cmd.Problem == "" {
		cmd.Problem = reason
	}
}

// operandIndexes returns the indexes of the operands among args, parsing
// options getopt-style with the options that take a value.
func operandIndexes(args []Word, valueFlags []string) []int {
	var out []int
	after := false
	for i := 0; i < len(args); i++ {
		v := args[i].Value
		if after || !args[i].Static || len(v) < 2 || v[0] != '-' {
			out = append(out, i)
			continue
		}
		if v == "--" {
			after = true
			continue
		}
		if takesValue(v, valueFlags) {
			i++
		}
	}
	return out
}

// expandLong returns an option word with an abbreviated long option
// written in full (--to-com=x is --to-command=x), when longs holds exactly
// one option it starts and none it names exactly.
func expandLong(word string, longs []string) string {
	if !strings.HasPrefix(word, "--") || len(longs) == 0 {
		return word
	}
	name, val, eq := strings.Cut(word, "=")
	if len(name) < 4 {
		return word
	}
	i, found := slices.BinarySearch(longs, name)
	if found || i == len(longs) || !strings.HasPrefix(longs[i], name) || i+1 < len(longs) && strings.HasPrefix(longs[i+1], name) {
		return word
	}
	if eq {
		return longs[i] + "=" + val
	}
	return longs[i]
}

// subcommandEnd reports whether the first operands are one of the
// sequences, and the index of the argument after it.
func subcommandEnd(args []Word, ops []int, seqs [][]string) (int, bool) {
	for _, seq := range seqs {
		if len(seq) == 0 || len(ops) < len(seq) {
			continue
		}
		match := true
		for k, word := range seq {
			if w := args[ops[k]]; !w.Static || w.Value != word {
				match = false
				break
			}
		}
		if match {
			return ops[len(seq)-1] + 1, true
		}
	}
	return 0, false
}

// flagConsumesNext reports whether the option at args[i] takes the next
// word as its value (rather than an attached one).
func flagConsumesNext(args []Word, i int, flags []string) bool {
	v := args[i].Value
	if strings.HasPrefix(v, "--") {
		return !strings.Contains(v, "=")
	}
	if slices.Contains(flags, v) {
		return true
	}
	for j := 1; j < len(v); j++ {
		if slices.Contains(flags, "-"+v[j:j+1]) {
			return j == len(v)-1
		}
	}
	return false
}

// cutPrefixFold removes the first of prefixes s starts with, ignoring case.
func cutPrefixFold(s string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return s[len(p):], true
		}
	}
	return "", false
}

// joinWords joins words with spaces into one word.
func joinWords(ws []Word) Word {
	out := Word{Static: true, Anchored: true}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Value
		out.Static = out.Static && w.Static
		out.Vars = addNames(out.Vars, w.Vars)
		out.Feeds = addNames(out.Feeds, w.Feeds)
	}
	out.Value = strings.Join(parts, " ")
	return out
}

// clipValue shortens a value for a problem report.
func clipValue(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
