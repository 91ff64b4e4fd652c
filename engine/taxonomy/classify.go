package taxonomy

import (
	"cmp"
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
	return Part{Action: v.act.ID, Title: v.act.Title, Risk: v.risk, Target: v.target, Matcher: v.matcher, Text: sanitize(text, 300)}
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
}

// write records that a command wrote a path.
type write struct {
	cmd  int
	name string
}

// track records a path use for the data flow through files.
func (x *callCtx) track(abs string, acc access) {
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

// Classify classifies a tool call. It never fails: whatever it cannot
// recognise is the critical unknown action. It never reads c.RiskHint.
func (t *Taxonomy) Classify(c *wire.ToolCall) (out Classification) {
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
	x := &callCtx{t: t, c: c, cwd: absOrEmpty(c.CWD), project: absOrEmpty(c.ProjectDir), cur: -1}
	if x.project == "" {
		x.project = x.cwd
	}
	if x.broadProject(x.project) {
		x.project = ""
	}
	if c.Kind == wire.KindShell {
		return x.shell()
	}
	return x.tool()
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
	c := Classification{Action: b.Action, Title: b.Title, Risk: b.Risk, Target: b.Target, Matcher: b.Matcher}
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
	an := shell.Analyze(x.c.Command, shell.Options{Spec: &x.t.spec, Home: x.t.env.Home, CWD: cwd, Vars: x.t.env.Vars, Parsers: x.t.parsers})
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
	view := &cmdView{cmd: cmd, av: parseArgv(cmd.Args, x.t.programs[cmd.Name])}
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
	}
	x.commandPaths(view, roles, &v)
	x.commandURLs(view, &v)
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

// commandPaths checks the paths a command names: its script, its
// positionals in the roles its rules give them, option values and
// redirections.
func (x *callCtx) commandPaths(view *cmdView, roles []*shellRule, v *verdict) {
	cmd := view.cmd
	base := cmd.Dirs
	if cmd.Kind == shell.KindScript {
		x.checkPath(&cmd.Program, base, accExec, v)
	}
	if len(roles) == 0 {
		roles = []*shellRule{{}} // no rule gave roles: arguments are read
	}
	var done access
	for _, sr := range roles {
		acc := sr.pathArgs
		if acc == 0 {
			acc = accRead
		}
		if sr.recursive {
			acc |= accTree
		}
		last := acc
		if sr.lastArg != 0 {
			last = sr.lastArg | acc&accTree
		}
		if sr.noPathArgs || done&acc == acc && last == acc {
			continue
		}
		done |= acc
		for k, i := range view.av.pos {
			if k == len(view.av.pos)-1 && len(view.av.pos) > 1 {
				x.checkPath(&cmd.Args[i], base, last, v)
			} else {
				x.checkPath(&cmd.Args[i], base, acc, v)
			}
		}
	}
	for _, sr := range roles {
		if len(sr.pathOperands) == 0 {
			continue
		}
		for _, i := range view.av.pos {
			w := &cmd.Args[i]
			if k, val, ok := strings.Cut(w.Value, "="); ok && sr.pathOperands[k] != 0 {
				op := *w
				op.Value = val
				x.checkPath(&op, base, sr.pathOperands[k], v)
			}
		}
	}
	for _, f := range view.av.flags {
		if f.value == nil {
			continue
		}
		var acc access
		for _, sr := range roles {
			acc |= sr.pathFlags[f.name]
		}
		if acc == 0 {
			// An option no rule declares: its value is read when it
			// looks like a path.
			if !pathLike(f.value.Value) {
				continue
			}
			acc = accRead
		}
		x.checkPath(f.value, base, acc, v)
		if rest, ok := strings.CutPrefix(f.value.Value, "@"); ok && rest != "" {
			w := *f.value
			w.Value = rest
			x.checkPath(&w, base, acc, v)
		}
	}
	for i := range cmd.Redirs {
		acc := accWrite
		if cmd.Redirs[i].Access == shell.Read {
			acc = accRead
		}
		x.checkPath(&cmd.Redirs[i].Target, base, acc, v)
	}
}

// pathLike reports option values that look like paths.
func pathLike(v string) bool {
	return strings.ContainsRune(v, '/') || strings.HasPrefix(v, "~") || strings.HasPrefix(v, ".")
}

// commandURLs checks the URLs among a command's arguments.
func (x *callCtx) commandURLs(view *cmdView, v *verdict) {
	if len(x.t.urlRules) == 0 {
		return
	}
	for i := range view.cmd.Args {
		if w := &view.cmd.Args[i]; w.Static && strings.Contains(w.Value, "://") {
			x.checkURL(w.Value, v)
		}
	}
	for _, f := range view.av.flags {
		if f.value != nil && f.value.Static && strings.Contains(f.value.Value, "://") {
			x.checkURL(f.value.Value, v)
		}
	}
}

// defaultAccess is how a tool kind uses the paths it names.
func defaultAccess(k wire.Kind) access {
	switch k {
	case wire.KindFileWrite:
		return accWrite
	case wire.KindFileEdit:
		return accEdit
	}
	return accRead
}

// tool classifies a call of any kind but shell.
func (x *callCtx) tool() Classification {
	c := x.c
	v := newVerdict()
	first := ""
	if len(c.Paths) > 0 {
		first = c.Paths[0]
	}
	tc := &tctx{call: c, path: first, fallback: first}
	if tc.fallback == "" {
		tc.fallback = c.ToolName
	}
	recognised := false
	var acc access
	switch {
	case !c.Kind.Valid():
		v.unknown(x.t, fmt.Sprintf("tool kind %q is not a kind Ony knows", c.Kind), c.ToolName)
	case c.Kind == wire.KindOther:
		v.unknown(x.t, "tool kind \"other\" is never trusted", c.ToolName)
	default:
		if c.Kind == wire.KindMCP {
			for _, r := range x.t.mcpRules {
				if r.mcp.server.match(c.MCPServer) && (r.mcp.tool == nil || r.mcp.tool.match(c.MCPTool)) {
					recognised = true
					v.offer(r, tc)
				}
			}
		}
		for _, r := range x.t.byKind[c.Kind] {
			if r.tool.name != nil && !r.tool.name.match(c.ToolName) {
				continue
			}
			recognised = true
			if !r.tool.noPaths {
				acc |= cmp.Or(r.tool.paths, defaultAccess(c.Kind))
			}
			v.offer(r, tc)
		}
		if !recognised {
			v.unknown(x.t, fmt.Sprintf("no rule recognises %s tool %q%s", c.Kind, c.ToolName, mcpName(c)), c.ToolName)
		}
	}
	if !recognised {
		acc = defaultAccess(c.Kind)
	}
	x.toolPaths(acc, &v)
	if c.Kind == wire.KindWebFetch || c.URL != "" {
		if !x.checkURL(c.URL, &v) && c.Kind == wire.KindWebFetch {
			v.unknown(x.t, "the URL to fetch is missing or not an absolute URL", c.URL)
		}
	}
	return summarise([]Part{v.part("")}, false)
}

func mcpName(c *wire.ToolCall) string {
	if c.Kind != wire.KindMCP {
		return ""
	}
	return fmt.Sprintf(" (server %q, tool %q)", c.MCPServer, c.MCPTool)
}

// toolPaths checks the paths a tool call names, used as acc (none when 0:
// every matching rule said paths: none).
func (x *callCtx) toolPaths(acc access, v *verdict) {
	c := x.c
	var base []string
	if d := cmp.Or(x.cwd, x.project); d != "" {
		base = []string{d}
	}
	paths := c.Paths
	switch c.Kind {
	case wire.KindFileRead, wire.KindFileWrite, wire.KindFileEdit:
		if len(paths) == 0 {
			v.unknown(x.t, "a file tool call that names no path", c.ToolName)
		}
	case wire.KindSearch:
		if len(paths) == 0 {
			paths = []string{"."}
		}
		if p := c.Pattern; strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~/") {
			paths = append(paths[:len(paths):len(paths)], p)
		}
	}
	if acc == 0 {
		return
	}
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, "~/"); ok && x.t.env.Home != "" {
			p = filepath.Join(x.t.env.Home, rest)
		} else if p == "~" && x.t.env.Home != "" {
			p = x.t.env.Home
		}
		w := shell.Word{Value: p, Text: p, Static: true, Anchored: true}
		x.checkPath(&w, base, acc, v)
	}
}
