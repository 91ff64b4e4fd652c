// Package shell analyses shell command text so the taxonomy can classify what
// it would run. It parses with mvdan.cc/sh/v3/syntax (never regular
// expressions over the raw text) and flattens the program into simple
// commands: pipelines, lists, subshells, blocks, substitutions, function
// bodies and control-flow bodies are walked; bash -c, eval and heredocs fed to
// shells are parsed and walked in turn; wrappers such as sudo, env, nohup or
// xargs are seen through. Anything the analyser cannot see through is
// reported as a problem, never guessed at.
//
// How programs behave (which ones wrap a command, which ones run code) is
// data, described by a Spec that the taxonomy file supplies.
package shell

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Default limits. Input beyond them is reported as a problem, which the
// taxonomy classifies as critical.
const (
	DefaultMaxBytes    = 64 << 10
	DefaultMaxDepth    = 32
	DefaultMaxCommands = 4096
	// maxSteps bounds the total work of one analysis (statements and words
	// visited, including nested code), so hostile input stays linear.
	maxSteps = 200_000
	// maxBracketDepth bounds how deeply ( and { nest in the raw text. The
	// parser recurses once per level, so deeper input is refused before it
	// is parsed: it could never pass the nesting limit anyway.
	maxBracketDepth = 512
)

// Spec says how the analyser sees through programs.
type Spec struct {
	// BinDirs are the directories whose programs are still matched by name
	// when invoked by path (/usr/bin/rm is rm). A program run by any other
	// path (./build.sh) is a script.
	BinDirs []string
	// Wrappers run another command given as their operands (sudo, env, nice).
	Wrappers map[string]Wrapper
	// Interpreters run code: inline, from a script file or from stdin.
	Interpreters map[string]Interpreter
	// Embeds are programs whose arguments embed a command (find -exec).
	Embeds map[string]Embed
	// Programs describe the options of other programs: which take a value
	// and which hold code (tar --to-command, git difftool -x).
	Programs map[string]Program
	// CodeVars are environment variables whose value is code (GIT_EDITOR,
	// LD_LIBRARY_PATH), by exact name; CodeVarPatterns lists the keys of
	// CodeVars that are path.Match patterns (CARGO_TARGET_*_RUNNER).
	CodeVars        map[string]CodeVar
	CodeVarPatterns []string
}

// Wrapper describes a program that runs the command given as its operands.
type Wrapper struct {
	ValueFlags []string // options that take a value (sudo -u root, --user=root)
	Operands   int      // operands before the wrapped command (timeout DURATION)
	Assigns    bool     // NAME=value operands set the command's environment (env)
	QueryFlags []string // options that make it something else (command -v): not unwrapped
	MoreArgs   bool     // the command receives further arguments at run time (xargs)
	// Subcommands, when set, are the words after which it wraps (bundle
	// exec, poetry run); with any other first operand it is not a wrapper.
	Subcommands []string
}

// Code operand modes of an Interpreter.
const (
	OperandScript = ""       // the first operand is a script path; without one, code comes from stdin
	OperandRest   = "rest"   // all operands, joined by spaces, are the code (eval, watch)
	OperandFirst  = "first"  // the first operand is the code (trap)
	OperandAssign = "assign" // the value of each NAME=value operand is the code (alias)
)

// Interpreter describes a program that runs code.
type Interpreter struct {
	Shell     bool     // the code is shell: it is analysed in turn
	CodeFlags []string // options whose value is inline code (python -c, node -e)
	// OperandFlags make the first operand the code (sh -c 'code' name args).
	OperandFlags []string
	ValueFlags   []string // other options that take a value
	RunFlags     []string // options whose value names code to run (python -m): no stdin code
	StdinFlags   []string // options that read the code from stdin (bash -s)
	CodeOperand  string   // one of the Operand modes
}

// Embed describes arguments that embed a command (find -exec cmd {} ;).
type Embed struct {
	Start []string
	End   []string
}

// Options configure one analysis.
type Options struct {
	Spec *Spec
	// Home expands ~ and $HOME; CWD is where the command starts. Both are
	// absolute or empty (unknown).
	Home, CWD string
	// Vars are environment variables assumed to hold the same value in the
	// agent's shell ($XDG_CONFIG_HOME). Any other variable is unknown.
	Vars                            map[string]string
	MaxBytes, MaxDepth, MaxCommands int // zero means the default
	// Parsers, when set, lends reusable parsers; nil allocates one.
	Parsers *Parsers
}

// Parsers is a pool of shell parsers that concurrent analyses share. The
// zero value is ready to use. It only saves allocations: no result depends
// on it.
type Parsers struct {
	pool sync.Pool
}

func (ps *Parsers) get() *syntax.Parser {
	if ps != nil {
		if p, ok := ps.pool.Get().(*syntax.Parser); ok {
			return p
		}
	}
	return syntax.NewParser(syntax.Variant(syntax.LangBash))
}

func (ps *Parsers) put(p *syntax.Parser) {
	if ps != nil {
		ps.pool.Put(p)
	}
}

// CommandKind says how a simple command names what it runs.
type CommandKind uint8

// Command kinds.
const (
	KindProgram  CommandKind = iota + 1 // a program by name, or from a BinDirs directory
	KindScript                          // a program by any other path (./deploy.sh)
	KindBare                            // no program: only assignments and redirections
	KindFunction                        // a function defined earlier in the same command
)

// Access is how a redirection uses its target.
type Access uint8

// Redirection accesses.
const (
	Read Access = iota + 1
	Write
)

// StdinKind says where a command's standard input comes from.
type StdinKind uint8

// Stdin sources.
const (
	StdinNone       StdinKind = iota // inherited from the agent's harness
	StdinPipe                        // an upstream pipeline command
	StdinFile                        // a < redirection
	StdinHeredoc                     // a here-document
	StdinHerestring                  // a <<< here-string
)

// CodeFrom says where an interpreter's code comes from.
type CodeFrom uint8

// Code sources.
const (
	FromFlag    CodeFrom = iota + 1 // an option such as -c
	FromOperand                     // the operands (eval, trap, watch, alias)
	FromStdin                       // standard input (pipe, file, heredoc, herestring)
	FromScript                      // a script operand whose name is computed at run time
)

// Word is one shell word after quote removal and expansion of what is known.
type Word struct {
	Text  string // as written
	Value string // quotes removed, known variables expanded; each unknown part is "*"
	// Static reports that Value is exact: no part is computed at run time.
	Static bool
	// Anchored reports that Value's start is known (false for "$DIR/x").
	Anchored bool
	// Glob reports unquoted glob characters: the shell may expand the word.
	Glob  bool
	Vars  []string // names of the parameters the word expands
	Feeds []string // programs run by substitutions inside the word
}

// Assign is one NAME=value assignment.
type Assign struct {
	Name  string
	Value Word
}

// Redirect is one redirection to or from a file.
type Redirect struct {
	Op     string
	Target Word
	Access Access
}

// Code is the code an interpreter runs.
type Code struct {
	Text   string // the code (empty when not Static)
	Static bool
	From   CodeFrom
}

// Command is one simple command, seen through its wrappers.
type Command struct {
	Kind     CommandKind
	Name     string // program name (base name), function name, or "" for KindBare
	Program  Word   // the program word as written and resolved
	Args     []Word
	Assigns  []Assign
	Redirs   []Redirect
	Wrappers []string // wrappers seen through, outermost first
	Vars     []string // parameters expanded by its words
	Code     *Code    // interpreters only
	Input    string   // static here-document or here-string text fed to stdin
	Stdin    StdinKind
	// Feeds are the programs whose output reaches this command's stdin or
	// arguments: upstream pipeline commands and substitutions in its words.
	Feeds    []string
	InSubst  bool // runs inside a command or process substitution
	MoreArgs bool // receives further arguments at run time (xargs, find -exec)
	// Loads are paths of code the command loads or runs because of its
	// environment (LD_LIBRARY_PATH=dir, PYTHONPATH=dir, PATH=dir:$PATH).
	Loads []Word
	Dir   string // directory it runs in; "" when unknown or not certain
	// Dirs lists every directory it may run in (after cd in a branch that
	// may not have run); nil when unknown.
	Dirs []string
	Text string // source text
	// Problem, when set, says why the command cannot be analysed safely (a
	// computed program name, code Ony cannot see). It is always critical.
	Problem string
}

// Problem is a part of the input that could not be analysed at all.
type Problem struct {
	Text   string
	Reason string
}

// Analysis is the result of analysing one command text.
type Analysis struct {
	Commands []Command
	Problems []Problem
}

// Analyze parses src and returns its simple commands. It never fails:
// input it cannot parse, or that exceeds the limits, is reported in
// Problems.
func Analyze(src string, opts Options) Analysis {
	a := &analyzer{opts: opts, spec: opts.Spec}
	if a.spec == nil {
		a.spec = &Spec{}
	}
	if a.opts.MaxBytes <= 0 {
		a.opts.MaxBytes = DefaultMaxBytes
	}
	if a.opts.MaxDepth <= 0 {
		a.opts.MaxDepth = DefaultMaxDepth
	}
	if a.opts.MaxCommands <= 0 {
		a.opts.MaxCommands = DefaultMaxCommands
	}
	if len(src) > a.opts.MaxBytes {
		a.problem(clip(src), fmt.Sprintf("command is %d bytes, more than the %d analysed", len(src), a.opts.MaxBytes))
		return a.out
	}
	if strings.TrimSpace(src) == "" {
		a.problem("", "empty command")
		return a.out
	}
	if bracketDepth(src) > maxBracketDepth {
		a.problem(clip(src), fmt.Sprintf("brackets nest more than %d levels deep", maxBracketDepth))
		return a.out
	}
	a.parser = opts.Parsers.get()
	defer opts.Parsers.put(a.parser)
	sc := &scope{}
	if d := cleanAbs(opts.CWD); d != "" {
		sc.dirs = []string{d}
	}
	a.source(src, sc, wctx{}, "")
	if len(a.out.Commands) == 0 && len(a.out.Problems) == 0 {
		a.problem(clip(src), "command runs nothing Ony can see")
	}
	return a.out
}

// analyzer holds the state of one analysis.
type analyzer struct {
	parser *syntax.Parser // reused for nested code: each Parse is complete before its walk
	opts   Options
	spec   *Spec
	out    Analysis
	steps  int
	over   bool // step or command budget exhausted
	funcs  map[string]bool
}

// wctx is the walking context passed down the syntax tree.
type wctx struct {
	depth   int
	inSubst bool
	feeds   []string
	stdin   StdinKind
	input   *Word // static or dynamic heredoc/herestring content
	src     string
	funcs   []string // functions whose bodies are being walked
	// moreArgs marks code a program runs with arguments of its own
	// appended (GIT_EDITOR, tar --to-command): its commands are dynamic.
	moreArgs bool
}

// source parses src and walks it. what names the context for error messages
// ("" for the top level).
func (a *analyzer) source(src string, sc *scope, c wctx, what string) {
	f, err := a.parser.Parse(strings.NewReader(src), "")
	if err != nil {
		reason := "shell parse error: " + err.Error()
		if what != "" {
			reason = "cannot parse the shell code run by " + what + ": " + err.Error()
		}
		a.problem(clip(src), reason)
		return
	}
	c.src = src
	a.stmts(f.Stmts, sc, c)
}

// problem records a part that could not be analysed.
func (a *analyzer) problem(text, reason string) {
	a.out.Problems = append(a.out.Problems, Problem{Text: text, Reason: reason})
}

// tick counts one unit of work and reports whether the budget allows more.
func (a *analyzer) tick() bool {
	a.steps++
	if a.steps > maxSteps || len(a.out.Commands) >= a.opts.MaxCommands {
		if !a.over {
			a.over = true
			a.problem("", fmt.Sprintf("command is too complex to analyse (more than %d commands or %d steps)", a.opts.MaxCommands, maxSteps))
		}
		return false
	}
	return true
}

// enter increases the nesting depth, reporting a problem past the limit.
func (a *analyzer) enter(c wctx, text string) (wctx, bool) {
	c.depth++
	if c.depth > a.opts.MaxDepth {
		a.problem(clip(text), fmt.Sprintf("nesting deeper than %d levels", a.opts.MaxDepth))
		return c, false
	}
	return c, true
}

// emit appends a finished command.
func (a *analyzer) emit(cmd Command) {
	if len(a.out.Commands) >= a.opts.MaxCommands {
		a.tick()
		return
	}
	a.out.Commands = append(a.out.Commands, cmd)
}

// names returns the distinct program names of the commands emitted since
// start.
func (a *analyzer) names(start int) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range a.out.Commands[start:] {
		n := c.Name
		if n == "" && c.Problem != "" {
			n = "?"
		}
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// text returns the source text of a node.
func text(src string, n syntax.Node) string {
	s, e := int(n.Pos().Offset()), int(n.End().Offset())
	if s < 0 || e > len(src) || s > e {
		return ""
	}
	return src[s:e]
}

// clip shortens text for problem reports.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// bracketDepth returns the deepest nesting of ( and { in src, quotes not
// considered (an over-estimate is refused, never let through).
func bracketDepth(src string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '(', '{':
			depth++
			deepest = max(deepest, depth)
		case ')', '}':
			depth = max(0, depth-1)
		}
	}
	return deepest
}

// cleanAbs returns the cleaned path if it is absolute, else "".
func cleanAbs(p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}
