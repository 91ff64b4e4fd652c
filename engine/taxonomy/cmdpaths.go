package taxonomy

import (
	"cmp"
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// commandPaths checks the paths a command names: its script, its
// positionals in the roles its rules give them, option values and
// redirections.
func (x *callCtx) commandPaths(view *cmdView, roles []*shellRule, v *verdict) {
	cmd := view.cmd
	if cmd.Kind == shell.KindScript {
		x.checkPath(&cmd.Program, cmd.Dirs, accExec, v)
	}
	base := x.workDirs(view)
	for i := range cmd.Loads {
		x.checkPath(&cmd.Loads[i], cmd.Dirs, accExec, v)
	}
	var cwdAcc access
	for _, sr := range roles {
		if sr.cwd != 0 {
			cwdAcc |= sr.cwd
			if sr.recursive {
				cwdAcc |= accTree
			}
		}
	}
	if cwdAcc != 0 {
		if len(base) == 0 {
			w := shell.Word{Value: "*"}
			x.checkPath(&w, nil, cwdAcc, v)
		}
		for _, d := range base {
			w := shell.Word{Value: d, Text: d, Static: true, Anchored: true}
			x.checkPath(&w, nil, cwdAcc, v)
		}
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
			if role := sr.pathFlags[f.name]; role != 0 {
				acc |= role
				if sr.recursive {
					acc |= accTree
				}
			}
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
	x.mountPaths(view, roles, v)
	x.copyTargets(view, roles, base, v)
	for _, sr := range roles {
		for _, suf := range sr.stripSuffix {
			for _, i := range view.av.pos {
				if w := cmd.Args[i]; len(w.Value) > len(suf) && strings.HasSuffix(w.Value, suf) {
					w.Value = strings.TrimSuffix(w.Value, suf)
					x.checkPath(&w, base, accWrite, v)
				}
			}
		}
	}
	x.fedPaths(view, roles, v)
	for i := range cmd.Redirs {
		acc := accWrite
		if cmd.Redirs[i].Access == shell.Read {
			acc = accRead
		}
		x.checkPath(&cmd.Redirs[i].Target, cmd.Dirs, acc, v)
	}
}

// mountPaths checks the host paths of bind mounts (docker -v HOST:CTR,
// --mount source=HOST): whatever runs in the container may write the whole
// tree, or read it when the mount is read-only.
func (x *callCtx) mountPaths(view *cmdView, roles []*shellRule, v *verdict) {
	var mounts []string
	for _, sr := range roles {
		mounts = append(mounts, sr.mounts...)
	}
	if mounts == nil {
		return
	}
	for _, f := range view.av.flags {
		if f.value == nil || !hasAnyFlag(f.name, mounts) {
			continue
		}
		host, opts, ok := mountSource(f.value.Value)
		if !ok {
			continue
		}
		acc := accWrite | accTree
		for _, o := range strings.Split(opts, ",") {
			if o == "ro" || o == "readonly" || o == "readonly=true" {
				acc = accRead | accTree
			}
		}
		w := *f.value
		w.Value = host
		x.checkPath(&w, view.cmd.Dirs, acc, v)
	}
}

// mountSource returns the host path of a mount option's value and its
// options: HOST:CTR[:OPTS] or type=bind,source=HOST,... A named volume
// (no / . or ~ at the start) is not a host path.
func mountSource(val string) (host, opts string, ok bool) {
	if strings.Contains(val, "=") {
		var src string
		for _, kv := range strings.Split(val, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "source", "src":
				src = v
			case "readonly", "ro":
				opts = "ro"
			}
			if kv == "readonly" || kv == "ro" {
				opts = "ro"
			}
		}
		host = src
	} else {
		var rest string
		host, rest, _ = strings.Cut(val, ":")
		if _, o, found := strings.Cut(rest, ":"); found {
			opts = o
		}
	}
	if host == "" || !(strings.HasPrefix(host, "/") || strings.HasPrefix(host, ".") || strings.HasPrefix(host, "~") || strings.HasPrefix(host, "*")) {
		return "", "", false
	}
	return host, opts, true
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

// maxFeedRoots bounds the trees remembered per lister.
const maxFeedRoots = 16

// addPathFeed remembers the trees a lister (find, ls, grep -l) prints the
// paths of: its path operands, or where it runs.
func (x *callCtx) addPathFeed(view *cmdView) {
	cmd := view.cmd
	var roots []string
	bases := x.workDirs(view)
	for _, i := range view.av.pos {
		w := &cmd.Args[i]
		switch {
		case !w.Static || !w.Anchored || w.Glob:
			roots = append(roots, "") // unknown
		case filepath.IsAbs(w.Value):
			roots = append(roots, filepath.Clean(w.Value))
		default:
			if len(bases) == 0 {
				roots = append(roots, "")
			}
			for _, b := range bases {
				roots = append(roots, filepath.Join(b, w.Value))
			}
		}
	}
	if len(view.av.pos) == 0 {
		roots = append(roots, bases...)
		if len(bases) == 0 {
			roots = append(roots, "")
		}
	}
	if x.pathFeeds == nil {
		x.pathFeeds = map[string][]string{}
	}
	have := x.pathFeeds[cmd.Name]
	x.pathFeeds[cmd.Name] = append(have, roots[:min(len(roots), max(0, maxFeedRoots-len(have)))]...)
}

// fedPaths checks, for a command that takes paths at run time from a
// lister (find ... | xargs cat, cat $(find ...)), the trees the lister
// walked, in the roles the command gives its paths.
func (x *callCtx) fedPaths(view *cmdView, roles []*shellRule, v *verdict) {
	cmd := view.cmd
	if len(x.pathFeeds) == 0 || !view.dynamic() {
		return
	}
	var acc access
	for _, sr := range roles {
		if !sr.noPathArgs {
			acc |= cmp.Or(sr.pathArgs, accRead)
		}
	}
	if len(roles) == 0 {
		acc = accRead
	}
	acc &^= accMention
	if acc == 0 {
		return
	}
	acc |= accTree
	for _, f := range cmd.Feeds {
		for _, root := range x.pathFeeds[f] {
			w := shell.Word{Value: root, Text: root, Static: true, Anchored: true}
			if root == "" {
				w = shell.Word{Value: "*"}
			}
			x.checkPath(&w, nil, acc, v)
		}
	}
}

// copyTargets checks, for a copy whose destination may be a directory (cp
// a b dir/, cp -t dir a), where each source lands: dir/base(source).
func (x *callCtx) copyTargets(view *cmdView, roles []*shellRule, base []string, v *verdict) {
	acc := access(0)
	for _, sr := range roles {
		if sr.copies {
			acc |= accWrite
			if sr.recursive {
				acc |= accTree
			}
		}
	}
	if acc == 0 {
		return
	}
	cmd, av := view.cmd, &view.av
	var dests []*shell.Word
	srcs := av.pos
	for _, f := range av.flags {
		if f.value != nil && (f.name == "-t" || f.name == "--target-directory") {
			dests = append(dests, f.value)
		}
	}
	if dests == nil {
		if len(srcs) < 2 {
			return
		}
		dests = append(dests, &cmd.Args[srcs[len(srcs)-1]])
		srcs = srcs[:len(srcs)-1]
	}
	for _, d := range dests {
		for _, i := range srcs {
			src := &cmd.Args[i]
			name := filepath.Base(strings.TrimRight(src.Value, "/"))
			if name == "." || name == "/" || name == "" {
				continue // cp -r dir/. dest: the contents, checked as the tree
			}
			w := *d
			w.Value = filepath.Join(d.Value, name)
			w.Static = d.Static && src.Static
			w.Glob = d.Glob || src.Glob
			x.checkPath(&w, base, acc, v)
		}
	}
}
