package taxonomy

import (
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// maxLinks bounds the symbolic links followed for one path.
const maxLinks = 16

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir) && len(p) > len(dir) && p[len(dir)] == '/'
}

// locate says whether an absolute path is in the project: the project
// directory as given, or where it leads through symbolic links (resolved
// only when a path is not inside the former).
func (x *callCtx) locate(p string) location {
	if x.project == "" {
		return locOutside
	}
	if within(p, x.project) {
		return locProject
	}
	if !x.realDone {
		x.realDone = true
		if real := x.res.resolve(x.project, false); real != x.project && !x.broadProject(real) {
			x.projectReal = real
		}
	}
	if x.projectReal != "" && within(p, x.projectReal) {
		return locProject
	}
	return locOutside
}

// checkPath classifies one use of a path and offers every path rule that
// matches it: the path as written and, when it exists locally and goes
// through symbolic links, the path it resolves to. A relative path is
// resolved against every candidate directory (bases); with none, or when
// the path's start is computed at run time, its location is dynamic.
func (x *callCtx) checkPath(w *shell.Word, bases []string, acc access, v *verdict) {
	val := w.Value
	if val == "" || strings.Contains(val, "://") || acc == accMention && !w.Static {
		return // URLs are checked as URLs; a computed mention names nothing
	}
	if !w.Anchored || !filepath.IsAbs(val) && len(bases) == 0 {
		x.dynamicPath(w, acc, v)
		return
	}
	if filepath.IsAbs(val) {
		x.checkResolved(w, filepath.Clean(val), "", acc, v, 0)
		return
	}
	for _, base := range bases {
		x.checkResolved(w, filepath.Join(base, val), "", acc, v, 0)
	}
}

// dynamicPath classifies a path whose location Ony cannot know. Rules for
// the dynamic location apply; globs that match at any depth (**/.env) are
// tried against its known last element, when it has one.
func (x *callCtx) dynamicPath(w *shell.Word, acc access, v *verdict) {
	var p *cpath
	last := w.Value[strings.LastIndexByte(w.Value, '/')+1:]
	if strings.Trim(last, "*") != "" {
		p = newCPath("/**/"+w.Value, true)
	}
	x.pathRules(p, locDynamic, acc, display(w), v)
}

// checkResolved classifies an absolute path from a word: through the links
// the same command made earlier, then as written, expanding a shell glob
// when its directory is on this machine. via is the path as the command
// named it, when abs is where a link led.
func (x *callCtx) checkResolved(w *shell.Word, abs, via string, acc access, v *verdict, depth int) {
	if len(x.links) > 0 && depth < maxLinks {
		if to, ok := x.viaLinks(abs); ok {
			shown := abs
			if via != "" {
				shown = via
			}
			if to == "" {
				x.pathRules(nil, locDynamic, acc, shown+" -> ?", v)
			} else {
				x.checkResolved(w, to, shown, acc, v, depth+1)
			}
		}
	}
	pattern := !w.Static || w.Glob || hasMeta(abs, false)
	if w.Static && w.Glob && !x.remote {
		// A shell glob: when its directory is here, classify what it
		// expands to; otherwise classify the pattern itself.
		if names, ok := x.expandGlob(abs); ok {
			if len(names) > 0 {
				for _, n := range names {
					x.checkAbs(n, via, false, false, acc, v)
				}
				return
			}
			pattern = false // no match: the shell passes the word as it is
		}
	}
	x.checkAbs(abs, via, pattern, !w.Static, acc, v)
}

// checkAbs classifies an absolute path (or pattern), and where it leads
// through symbolic links on this machine. computed marks a pattern whose
// unknown parts come from run-time values, which may hold / and .., so no
// exception can contain it.
func (x *callCtx) checkAbs(abs, via string, pattern, computed bool, acc access, v *verdict) {
	if !pattern {
		x.track(abs, acc)
	}
	shown := abs
	if via != "" {
		shown = via + " -> " + abs
	}
	p := newCPath(abs, pattern)
	p.computed = computed
	x.pathRules(p, x.locate(abs), acc, shown, v)
	if v.risk == Critical {
		return // where it leads cannot make it riskier
	}
	if real := x.res.resolve(abs, pattern); real != "" && real != abs {
		rp := newCPath(real, pattern)
		rp.computed = computed
		x.pathRules(rp, x.locate(real), acc, shown+" -> "+real, v)
	}
}

// maxGlobEntries bounds the directory entries read to expand one glob.
const maxGlobEntries = 4096

// expandGlob expands a shell glob whose only glob characters are in its
// last element, as the shell would (dot files only for a leading dot). It
// reports false when it cannot: the directory cannot be read, is too
// large, or earlier elements hold glob characters.
//
// A directory that does not exist matches nothing (the shell passes the
// word as it is), unless an earlier command of the same call wrote there.
func (x *callCtx) expandGlob(abs string) ([]string, bool) {
	dir, pat := filepath.Dir(abs), filepath.Base(abs)
	if hasMeta(dir, false) {
		return nil, false
	}
	f, err := os.Open(dir)
	if err != nil {
		if os.IsNotExist(err) && !x.wroteNear(dir) {
			return nil, true
		}
		return nil, false
	}
	defer f.Close()
	entries, err := f.ReadDir(maxGlobEntries + 1)
	if err != nil && err != io.EOF && len(entries) == 0 || len(entries) > maxGlobEntries {
		return nil, false // io.EOF is an empty directory: nothing matches
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if name[0] == '.' && pat[0] != '.' {
			continue
		}
		if ok, err := filepath.Match(pat, name); err != nil {
			return nil, false
		} else if ok {
			out = append(out, filepath.Join(dir, name))
		}
	}
	slices.Sort(out) // the shell's order, and a stable explanation
	return out, true
}

// wroteNear reports whether an earlier command of this call wrote dir, a
// path inside it, or a directory holding it.
func (x *callCtx) wroteNear(dir string) bool {
	for p := range x.written {
		if within(p, dir) || within(dir, p) {
			return true
		}
	}
	return false
}

// pathRules offers the path rules matching a path (nil when its location
// is dynamic: globs never match it). For a tree walk, rooted globs that
// match beneath the path match too, unless an exception covers the whole
// tree.
func (x *callCtx) pathRules(p *cpath, loc location, acc access, shown string, v *verdict) {
	var tree *cpath
	isTree := acc&accTree != 0
	if isTree && p != nil {
		tree = &cpath{s: p.s, pattern: true, segs: append(p.segs[:len(p.segs):len(p.segs)], seg{deep: true})}
	}
	for _, r := range x.t.pathRules {
		pr := r.path
		if pr.acc != 0 && (pr.acc&acc&accUses == 0 || acc == accMention) || pr.loc != 0 && pr.loc&loc == 0 ||
			!pr.tree.ok(isTree) || !v.beats(r.act.Risk, r.order) {
			continue
		}
		order := r.order
		if p != nil && p.pattern {
			order += patternOrder
		}
		excepted := pr.except != nil && p != nil && excepts(pr.except, p)
		if pr.globs != nil {
			if p == nil {
				continue
			}
			// At a dynamic location only globs naming files anywhere apply.
			hit := !excepted && anyGlob(pr.globs, p, false, loc == locDynamic)
			if !hit {
				if tree == nil || excepted && coversTree(pr.except, p) || !anyGlob(pr.globs, tree, true, false) {
					continue
				}
				order = r.order + patternOrder // only beneath the path
			}
		} else if excepted {
			continue
		}
		v.offerAt(r, order, &tctx{path: shown, fallback: shown})
	}
}

// excepts reports whether an exception covers p: it matches the path, or,
// for a pattern, contains every path the pattern may name.
func excepts(gs []*glob, p *cpath) bool {
	if !p.pattern {
		return anyGlob(gs, p, false, false)
	}
	if p.computed {
		return false // /tmp/$X may be /tmp/../home
	}
	for _, g := range gs {
		if g.contains(p) {
			return true
		}
	}
	return false
}

// coversTree reports whether an exception covers everything beneath p
// too: a glob ending in ** that matches p matches all of p's descendants.
func coversTree(gs []*glob, p *cpath) bool {
	for _, g := range gs {
		if n := len(g.segs); n > 0 && g.segs[n-1].deep && (p.pattern && !p.computed && g.contains(p) || !p.pattern && g.match(p)) {
			return true
		}
	}
	return false
}

// anyGlob reports whether a glob matches p; rootedOnly skips the globs that
// match at any depth, namesOnly keeps only those that name a file
// anywhere (**/.env, not ~/.ssh/** nor **/.codex/**).
func anyGlob(gs []*glob, p *cpath, rootedOnly, namesOnly bool) bool {
	for _, g := range gs {
		if (!rootedOnly || g.rooted) && (!namesOnly || !g.rooted && g.tail != nil) && g.match(p) {
			return true
		}
	}
	return false
}

// resolver resolves symbolic links on the local file system, remembering
// paths and directories within one classification.
type resolver struct {
	dirs   map[string]string // dir -> resolved ("" when it does not exist)
	paths  map[string]string // path -> resolve's answer
	remote bool              // the call is from another host: nothing here is its
}

// resolve returns where p leads through symbolic links, or "" when nothing
// of it exists. For a pattern only the part before the first glob
// character is resolved.
func (r *resolver) resolve(p string, pattern bool) string {
	if r.remote {
		return ""
	}
	if pattern {
		return r.resolveUncached(p, true)
	}
	if v, ok := r.paths[p]; ok {
		return v
	}
	v := r.resolveUncached(p, false)
	if r.paths == nil {
		r.paths = map[string]string{}
	}
	r.paths[p] = v
	return v
}

func (r *resolver) resolveUncached(p string, pattern bool) string {
	if pattern {
		i := strings.IndexAny(p, "*?[")
		if i < 0 {
			return r.follow(p, 0)
		}
		cut := strings.LastIndexByte(p[:i], '/')
		if cut <= 0 {
			return ""
		}
		head := r.follow(p[:cut], 0)
		if head == "" {
			return ""
		}
		return head + p[cut:]
	}
	return r.follow(p, 0)
}

// follow resolves p, whose final part may not exist yet (a file about to
// be written): the longest existing prefix is resolved and the rest kept.
func (r *resolver) follow(p string, depth int) string {
	if depth > maxLinks {
		return ""
	}
	fi, err := os.Lstat(p)
	switch {
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return ""
		}
		if !filepath.IsAbs(target) {
			base := r.dir(filepath.Dir(p), depth+1)
			if base == "" {
				base = filepath.Dir(p)
			}
			target = filepath.Join(base, target)
		}
		return r.follow(filepath.Clean(target), depth+1)
	case err == nil || os.IsNotExist(err):
		dir := filepath.Dir(p)
		if dir == p {
			return p
		}
		if dir == "/" {
			return p // the root is never a link
		}
		rd := r.dir(dir, depth)
		if rd == "" {
			if err != nil {
				return ""
			}
			return p
		}
		return filepath.Join(rd, filepath.Base(p))
	}
	return ""
}

// dir resolves a directory path, through the cache.
func (r *resolver) dir(d string, depth int) string {
	if d == "/" {
		return d
	}
	if v, ok := r.dirs[d]; ok {
		return v
	}
	v := r.follow(d, depth)
	if r.dirs == nil {
		r.dirs = map[string]string{}
	}
	r.dirs[d] = v
	return v
}

// checkURL classifies a URL against the url rules. It reports false when
// raw is not an absolute URL.
func (x *callCtx) checkURL(raw string, v *verdict) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		w := shell.Word{Value: u.Path, Text: raw, Static: true, Anchored: true}
		x.checkPath(&w, nil, accRead, v)
		return true
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return false
	}
	shown := scheme + "://" + u.Host + u.EscapedPath()
	isIP := net.ParseIP(host) != nil || numericHost(host)
	for _, r := range x.t.urlRules {
		ur := r.url
		if !v.beats(r.act.Risk, r.order) || !ur.ip.ok(isIP) ||
			ur.schemes != nil && !ur.schemes.any(scheme) ||
			ur.hosts != nil && !ur.hosts.any(host) ||
			ur.exceptHosts != nil && ur.exceptHosts.any(host) ||
			ur.contains != nil && !ur.contains.any(raw, strings.ToLower(raw)) {
			continue
		}
		v.offer(r, &tctx{host: host, url: shown, fallback: host})
	}
	return true
}

// numericHost reports hosts that browsers and curl read as IPv4 addresses
// (2130706433, 0x7f.1, 127.1).
func numericHost(h string) bool {
	if strings.HasPrefix(h, "0x") {
		return true
	}
	for i := 0; i < len(h); i++ {
		if (h[i] < '0' || h[i] > '9') && h[i] != '.' {
			return false
		}
	}
	return true
}
