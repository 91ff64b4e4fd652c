package taxonomy

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// builtinOrder places the built-in unknown action after every rule: on
// equal (critical) risk, a rule that names the action explains it better.
const builtinOrder = math.MaxInt

// verdict is the best explanation found so far for one command or call.
type verdict struct {
	risk    Risk
	order   int
	act     *action
	matcher string
	target  string
	// program is the unrecognised program that made it the unknown
	// action, when that is what decided.
	program string
}

func newVerdict() verdict { return verdict{order: builtinOrder} }

// beats reports whether a rule of the given risk and order would replace
// the current explanation: higher risk wins, then the earlier rule.
func (v *verdict) beats(risk Risk, order int) bool {
	return risk > v.risk || risk == v.risk && order < v.order
}

func (v *verdict) offer(r *rule, tc *tctx) { v.offerAt(r, r.order, tc) }

// offerAt offers a rule with an explicit order (see patternOrder).
func (v *verdict) offerAt(r *rule, order int, tc *tctx) {
	if v.beats(r.act.Risk, order) {
		*v = verdict{risk: r.act.Risk, order: order, act: r.act, matcher: r.matcher, target: r.target.render(tc)}
	}
}

// patternOrder is added to the order of a path rule matched only through a
// pattern (a glob argument or a computed part): on equal risk, exact
// evidence explains a call better than a pattern that might match.
const patternOrder = 1 << 30

// unknown records the built-in critical fallback with its reason.
func (v *verdict) unknown(t *Taxonomy, reason, target string) {
	if v.beats(Critical, builtinOrder) {
		*v = verdict{risk: Critical, order: builtinOrder, act: t.unknown,
			matcher: "builtin unknown: " + sanitize(reason, 300), target: sanitize(target, maxTarget)}
	}
}

func (v *verdict) part(text string) Part {
	return Part{Action: v.act.ID, Title: v.act.Title, Risk: v.risk, Target: v.target, Matcher: v.matcher, Text: sanitize(text, 300), Program: v.program}
}

// callCtx is the state of one classification.
type callCtx struct {
	t           *Taxonomy
	c           *wire.ToolCall
	cwd         string
	project     string
	projectReal string // the project directory through symbolic links, once needed
	realDone    bool
	res         resolver
	// flow follows files through a compound shell command: what earlier
	// commands wrote, and what the current one executes.
	cur     int                // index of the command being classified, -1 outside
	curName string             // its program name
	written map[string][]write // path -> the commands that wrote it
	execs   map[int][]string   // command index -> paths it executes
	// remote: the call comes from another host; nothing local is read.
	remote bool
	// The process table, read once when a command names processes.
	procs              []Process
	procsOK, procsDone bool
	onyListers         map[string]bool     // listers (pgrep) whose output names Ony's processes
	links              []scriptLink        // symbolic links made earlier in the same command
	pathFeeds          map[string][]string // lister (find) -> the trees whose paths it prints
	writes, runs       []string            // what the call writes and runs, for Classification
	seenWrite, seenRun map[string]bool
}

// write records that a command wrote a path.
type write struct {
	cmd  int
	name string
}

// maxTracked bounds the paths a classification reports as written or run.
const maxTracked = 64

// track records a path use: what the call writes and runs, and the data
// flow through files within a shell command.
func (x *callCtx) track(abs string, acc access) {
	if acc&(accWrite|accEdit) != 0 && len(x.writes) < maxTracked && !x.seenWrite[abs] {
		if x.seenWrite == nil {
			x.seenWrite = map[string]bool{}
		}
		x.seenWrite[abs] = true
		x.writes = append(x.writes, abs)
	}
	if acc&accExec != 0 && len(x.runs) < maxTracked && !x.seenRun[abs] {
		if x.seenRun == nil {
			x.seenRun = map[string]bool{}
		}
		x.seenRun[abs] = true
		x.runs = append(x.runs, abs)
	}
	if x.cur < 0 {
		return
	}
	if acc&(accWrite|accEdit) != 0 {
		if x.written == nil {
			x.written = map[string][]write{}
		}
		x.written[abs] = append(x.written[abs], write{cmd: x.cur, name: x.curName})
	}
	if acc&accExec != 0 {
		if x.execs == nil {
			x.execs = map[int][]string{}
		}
		x.execs[x.cur] = append(x.execs[x.cur], abs)
	}
}

// Origin says where the agent that made a call runs.
type Origin uint8

// Origins.
const (
	// Local: on the engine's host. Paths are followed through the local
	// file system, globs expanded, processes looked up, Env.Vars used.
	Local Origin = iota
	// Remote: on another host, or on a host Ony cannot identify. Nothing
	// local is read (no file system, no process table, no Env.Vars):
	// globs are matched as patterns, and processes named by number are
	// unresolved.
	Remote
)

// Classify classifies a tool call made on the engine's own host. It never
// fails: whatever it cannot recognise is the critical unknown action. It
// never reads c.RiskHint.
func (t *Taxonomy) Classify(c *wire.ToolCall) Classification {
	return t.ClassifyFrom(c, Local)
}

// ClassifyFrom classifies a tool call made by an agent on the given host.
func (t *Taxonomy) ClassifyFrom(c *wire.ToolCall, o Origin) (out Classification) {
	defer func() {
		// Classification must never take the engine down or let a call
		// through because of a bug: a panic is the critical unknown action.
		if r := recover(); r != nil {
			out = t.fallback(fmt.Sprintf("internal error while classifying: %v", r))
		}
	}()
	if c == nil {
		return t.fallback("no tool call")
	}
	x := &callCtx{t: t, c: c, cwd: absOrEmpty(c.CWD), project: absOrEmpty(c.ProjectDir), cur: -1, remote: o != Local}
	x.res.remote = x.remote
	if x.project == "" {
		x.project = x.cwd
	}
	if x.broadProject(x.project) {
		x.project = ""
	}
	if c.Kind == wire.KindShell {
		out = x.shell()
	} else {
		out = x.tool()
	}
	out.Writes, out.Runs = x.writes, x.runs
	return out
}

// fallback is the critical unknown classification with a reason.
func (t *Taxonomy) fallback(reason string) Classification {
	v := newVerdict()
	v.unknown(t, reason, "")
	return summarise([]Part{v.part("")}, false)
}

func absOrEmpty(p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

// broadProject reports a project directory too broad to mean anything (/,
// the home directory or above it): then nothing counts as inside the
// project.
func (x *callCtx) broadProject(p string) bool {
	home := x.t.env.Home
	return p == "/" || home != "" && within(home, p)
}

// summarise picks the riskiest part; on equal risk, the first part that a
// rule explains.
func summarise(parts []Part, keepParts bool) Classification {
	best := 0
	for i := 1; i < len(parts); i++ {
		p, b := parts[i], parts[best]
		if p.Risk > b.Risk || p.Risk == b.Risk && b.Action == UnknownAction && p.Action != UnknownAction {
			best = i
		}
	}
	b := parts[best]
	c := Classification{Action: b.Action, Title: b.Title, Risk: b.Risk, Target: b.Target, Matcher: b.Matcher, Program: b.Program}
	for i, p := range parts {
		if i != best && p.Risk > Low && (p.Action != b.Action || p.Target != b.Target) {
			c.Mixed = true
			break
		}
	}
	if keepParts {
		c.Parts = parts
	}
	return c
}

// shell classifies a shell command, simple command by simple command.
func (x *callCtx) shell() Classification {
	cwd := x.cwd
	if cwd == "" {
		cwd = x.project
	}
	vars := x.t.env.Vars
	if x.remote {
		vars = nil // the engine's environment says nothing of another host
	}
	an := shell.Analyze(x.c.Command, shell.Options{Spec: &x.t.spec, Home: x.t.env.Home, CWD: cwd, Vars: vars, Parsers: x.t.parsers})
	parts := make([]Part, 0, len(an.Problems)+len(an.Commands))
	for _, p := range an.Problems {
		v := newVerdict()
		v.unknown(x.t, p.Reason, "")
		parts = append(parts, v.part(p.Text))
	}
	first := len(parts)
	for i := range an.Commands {
		x.cur = i
		parts = append(parts, x.command(&an.Commands[i]))
	}
	x.cur = -1
	// A command that runs a file an earlier command wrote is fed by the
	// writer: curl -o x.sh URL && sh x.sh is a download piped to a shell.
	for i, paths := range x.execs {
		var feeds []string
		for _, p := range paths {
			for _, w := range x.written[p] {
				if w.cmd < i && w.name != "" {
					feeds = append(feeds, w.name)
				}
			}
		}
		if feeds != nil {
			cmd := an.Commands[i]
			cmd.Feeds = append(append([]string(nil), cmd.Feeds...), feeds...)
			parts[first+i] = x.command(&cmd)
		}
	}
	return summarise(parts, true)
}

// command classifies one simple command: the rules for its program, the
// global shell rules, then every path and URL it names.
func (x *callCtx) command(cmd *shell.Command) Part {
	v := newVerdict()
	x.curName = cmd.Name
	view := &cmdView{cmd: cmd, av: parseArgv(cmd.Args, x.t.programs[cmd.Name], x.t.longs[cmd.Name]), x: x}
	if cmd.Kind == shell.KindProgram {
		view.info = x.t.progInfo[cmd.Name]
	}
	fallback := cmd.Name
	if cmd.Problem != "" {
		v.unknown(x.t, cmd.Problem, display(&cmd.Program))
	}
	var lists [3][]*rule
	switch cmd.Kind {
	case shell.KindProgram:
		lists[0] = x.t.byProgram[cmd.Name]
	case shell.KindFunction:
		lists[0], lists[1] = x.t.funcRules, x.t.byProgram[cmd.Name]
	case shell.KindScript:
		lists[0], fallback = x.t.scriptRules, cmd.Program.Value
	case shell.KindBare:
		lists[0] = x.t.bareRules
	}
	lists[2] = x.t.globalShell
	recognised := false
	var roles []*shellRule
	for _, list := range lists {
		for _, r := range list {
			if !r.recognises && !v.beats(r.act.Risk, r.order) || !r.shell.match(view) {
				continue
			}
			if r.recognises {
				recognised = true
				roles = append(roles, r.shell)
			}
			if v.beats(r.act.Risk, r.order) {
				sub := len(r.shell.sub)
				fb := strings.TrimSpace(fallback + " " + joinArgs(cmd, view.av.pos[:min(sub, len(view.av.pos))]))
				v.offer(r, &tctx{view: view, sub: sub, fallback: fb})
			}
		}
	}
	if !recognised && cmd.Problem == "" {
		v.unknown(x.t, "no rule recognises "+describeCmd(cmd), fallback)
		if v.act == x.t.unknown && cmd.Kind == shell.KindProgram && plainProgram(cmd.Name) {
			v.program = cmd.Name
		}
	}
	x.commandPaths(view, roles, &v)
	x.commandURLs(view, &v)
	if info := view.info; info != nil {
		if info.procs != nil && info.procs.lists && view.procs().ony {
			if x.onyListers == nil {
				x.onyListers = map[string]bool{}
			}
			x.onyListers[cmd.Name] = true
		}
		if info.links {
			x.addLinks(view, &v)
		}
		if info.listsPaths {
			x.addPathFeed(view)
		}
	}
	return v.part(cmd.Text)
}

// describeCmd names a command for the unknown reason.
func describeCmd(cmd *shell.Command) string {
	switch cmd.Kind {
	case shell.KindScript:
		return fmt.Sprintf("script %q", cmd.Program.Value)
	case shell.KindFunction:
		return fmt.Sprintf("function %q", cmd.Name)
	case shell.KindBare:
		return "a command without a program"
	}
	return fmt.Sprintf("program %q", cmd.Name)
}
