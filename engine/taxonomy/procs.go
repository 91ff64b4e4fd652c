package taxonomy

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// Processes is the process table of the engine's host. The taxonomy reads
// it to tell whether a kill, pkill, killall, gdb -p or strace -p would
// reach one of Ony's own processes. Calls from another host never read it.
type Processes interface {
	// List returns the running processes. An error means the table could
	// not be read: the processes a command names are then unresolved.
	List() ([]Process, error)
}

// Process is one running process.
type Process struct {
	PID  int
	Name string   // the kernel's short name (comm), which pkill and killall match
	Args []string // the command line
	Ony  bool     // one of Ony's own processes: the engine, a console, a hook
}

// progInfo is what the programs section says of a program besides its
// value options.
type progInfo struct {
	// dirFlags set the directory the program works in (git -C, tar -C,
	// unzip -d): relative paths and the working-directory role resolve
	// against their value.
	dirFlags []string
	// links: the program makes links like ln (TARGET... LINK, or -t DIR);
	// with -s they are symbolic and later paths of the same command are
	// resolved through them.
	links bool
	procs *procSpec
	// listsPaths: the program prints paths found under its operands (find,
	// ls, grep -l): a command it feeds that takes its arguments at run
	// time (xargs cat) uses those trees.
	listsPaths bool
}

// procSpec says how a program names the processes it signals or traces.
type procSpec struct {
	operands   string   // "pids", "patterns", "names" or "" (none)
	pidFlags   []string // options whose value is a pid (gdb -p)
	fullFlags  []string // patterns match the whole command line (pkill -f)
	exactFlags []string // patterns match the whole name (pkill -x)
	icaseFlags []string // patterns ignore case
	regexFlags []string // names are patterns (killall -r)
	lists      bool     // it prints the processes (pgrep): what it feeds acts on them
}

// procSpec reads processes: {operands, pid_flags, full_flags, exact_flags,
// icase_flags, regex_flags, lists}.
func (b *builder) procSpec(n ast.Node) (*procSpec, error) {
	entries, err := b.d.mapping(n, "processes")
	if err != nil {
		return nil, err
	}
	ps := &procSpec{}
	for _, e := range entries {
		switch e.key {
		case "operands":
			var s str
			if s, err = b.d.str(e.val, e.key); err == nil {
				switch s.s {
				case "pids", "patterns", "names":
					ps.operands = s.s
				default:
					err = b.d.errf(e.val, "operands %q: want pids, patterns or names", s.s)
				}
			}
		case "pid_flags":
			ps.pidFlags, err = b.flagList(e.val, e.key)
		case "full_flags":
			ps.fullFlags, err = b.flagList(e.val, e.key)
		case "exact_flags":
			ps.exactFlags, err = b.flagList(e.val, e.key)
		case "icase_flags":
			ps.icaseFlags, err = b.flagList(e.val, e.key)
		case "regex_flags":
			ps.regexFlags, err = b.flagList(e.val, e.key)
		case "lists":
			ps.lists, err = b.d.boolean(e.val, e.key)
		default:
			err = b.d.unknownKey(e, "processes (want operands, pid_flags, full_flags, exact_flags, icase_flags, regex_flags, lists)")
		}
		if err != nil {
			return nil, err
		}
	}
	if ps.operands == "" && ps.pidFlags == nil {
		return nil, b.d.errf(n, "processes needs operands or pid_flags")
	}
	return ps, nil
}

// procResult is what a command's process operands resolve to.
type procResult struct {
	ony   bool     // it reaches one of Ony's processes (or may: see unresolvable patterns)
	onys  []string // Ony's processes it reaches, for the target
	shown []string // the others, and what could not be resolved
}

// maxShownProcs bounds the processes named in a target.
const maxShownProcs = 3

// processTable returns the engine host's processes, read once per
// classification; false when there is none to read.
func (x *callCtx) processTable() ([]Process, bool) {
	if !x.procsDone {
		x.procsDone = true
		if p := x.t.env.Processes; p != nil && !x.remote {
			table, err := p.List()
			x.procs, x.procsOK = table, err == nil
		}
	}
	return x.procs, x.procsOK
}

// resolveProcs resolves the processes a command names through its
// program's processes spec.
func (x *callCtx) resolveProcs(view *cmdView, ps *procSpec) procResult {
	var r procResult
	cmd, av := view.cmd, &view.av
	table, ok := x.processTable()
	fed := false
	for _, f := range cmd.Feeds {
		fed = fed || x.onyListers[f]
	}
	addPid := func(w *shell.Word) {
		if !w.Static {
			r.ony = r.ony || fed
			return
		}
		pid, err := strconv.Atoi(w.Value)
		if err != nil || pid <= 0 {
			return // a job (%1), a group (-1): other rules judge those
		}
		for _, p := range table {
			if p.PID == pid {
				r.add(p)
				return
			}
		}
		r.shown = append(r.shown, w.Value)
	}
	for _, f := range av.flags {
		if f.value != nil && hasAnyFlag(f.name, ps.pidFlags) {
			addPid(f.value)
		}
	}
	if cmd.MoreArgs && fed {
		r.ony = true
	}
	if ps.operands == "" {
		return r
	}
	if ps.operands == "pids" {
		for _, i := range av.pos {
			addPid(&cmd.Args[i])
		}
		return r
	}
	var pats []*shell.Word
	for _, i := range av.pos {
		pats = append(pats, &cmd.Args[i])
	}
	if !ok {
		for _, w := range pats {
			r.shown = append(r.shown, w.Value)
		}
		return r
	}
	full := av.hasAny(ps.fullFlags)
	regex := ps.operands == "patterns" || av.hasAny(ps.regexFlags)
	exact := av.hasAny(ps.exactFlags) || !regex
	prefix := ""
	if av.hasAny(ps.icaseFlags) {
		prefix = "(?i)"
	}
	if len(pats) == 0 {
		// No pattern: the selection options (-u, -P, -t) choose, and any
		// process of this user may be chosen.
		for _, p := range table {
			r.add(p)
		}
		return r
	}
	for _, w := range pats {
		if !w.Static {
			r.ony = r.ony || fed || !x.remote
			r.shown = append(r.shown, display(w))
			continue
		}
		src := w.Value
		if !regex {
			src = regexp.QuoteMeta(src)
		}
		if exact {
			src = "^(?:" + src + ")$"
		}
		re, err := regexp.Compile(prefix + src)
		if err != nil {
			// A pattern Ony cannot evaluate may name anything.
			r.ony = true
			r.shown = append(r.shown, w.Value+" (a pattern Ony cannot evaluate)")
			continue
		}
		for _, p := range table {
			subject := p.Name
			if full {
				subject = strings.Join(p.Args, " ")
			} else if ps.operands == "names" && len(p.Args) > 0 && re.MatchString(filepath.Base(p.Args[0])) {
				r.add(p)
				continue
			}
			if re.MatchString(subject) {
				r.add(p)
			}
		}
	}
	return r
}

// add records a process the command reaches.
func (r *procResult) add(p Process) {
	r.ony = r.ony || p.Ony
	s := strconv.Itoa(p.PID) + " " + strings.Join(p.Args, " ")
	if len(p.Args) == 0 {
		s = strconv.Itoa(p.PID) + " " + p.Name
	}
	if p.Ony {
		r.onys = append(r.onys, s) // named first
		return
	}
	r.shown = append(r.shown, s)
}

// text renders the processes for a target.
func (r *procResult) text() string {
	shown := append(r.onys[:len(r.onys):len(r.onys)], r.shown...)
	more := ""
	if len(shown) > maxShownProcs {
		more = " and " + strconv.Itoa(len(shown)-maxShownProcs) + " more"
		shown = shown[:maxShownProcs]
	}
	return strings.Join(shown, ", ") + more
}

// hasAnyFlag reports whether name is one of flags.
func hasAnyFlag(name string, flags []string) bool {
	for _, f := range flags {
		if f == name {
			return true
		}
	}
	return false
}
