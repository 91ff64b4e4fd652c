package taxonomy

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// access is a set of ways a path is used.
type access uint8

const (
	accRead access = 1 << iota
	accWrite
	accEdit
	accDelete
	accExec
	// accTree marks a use that walks the whole tree under the path (tar,
	// cp -r, grep -r): rooted globs beneath it match too.
	accTree
	// accMention is a path named without being used (echo ~/.ssh/id_rsa,
	// often the inside of $(...)): only path rules without an access
	// condition match it, and only when the word is static.
	accMention
	accUses = accRead | accWrite | accEdit | accDelete | accExec
)

// accessNamed returns the access a name in the file stands for.
func accessNamed(name string) (access, bool) {
	switch name {
	case "read":
		return accRead, true
	case "write":
		return accWrite, true
	case "edit":
		return accEdit, true
	case "delete":
		return accDelete, true
	case "exec":
		return accExec, true
	}
	return 0, false
}

// location is a set of places a path can be.
type location uint8

const (
	locProject location = 1 << iota // inside the project directory
	locOutside                      // anywhere else
	locDynamic                      // computed at run time: Ony cannot say where
)

// locationNamed returns the location a name in the file stands for.
func locationNamed(name string) (location, bool) {
	switch name {
	case "project":
		return locProject, true
	case "outside":
		return locOutside, true
	case "dynamic":
		return locDynamic, true
	}
	return 0, false
}

// tri is an optional boolean condition.
type tri uint8

const (
	unset tri = iota
	yes
	no
)

func (t tri) ok(v bool) bool { return t == unset || (t == yes) == v }

// rule is one entry of an action's match list.
type rule struct {
	act     *action
	order   int    // place in the file: on equal risk, the earlier rule explains
	matcher string // "file:line action kind[n]"
	target  template
	// recognises: matching this rule means Ony knows what the call is. Only
	// recognised calls escape the built-in unknown action.
	recognises bool

	shell *shellRule
	path  *pathRule
	tool  *toolRule
	url   *urlRule
	mcp   *mcpRule
}

type shellRule struct {
	programs                 names
	script, bare, function   bool
	sub                      []*pattern
	flags, noFlags           []string
	flagValues               []flagCond
	args, noArgs             patterns
	minArgs, maxArgs         int // -1: unset
	contains                 searches
	inlineCode, dyn, inSubst tri
	fedBy, wrappedBy         names
	stdin                    map[shell.StdinKind]bool
	assigns, vars            patterns
	pathArgs                 access // 0: read
	noPathArgs               bool
	pathFlags                map[string]access
	pathOperands             map[string]access // key=path operands (dd of=)
	recursive                bool              // path arguments are walked as trees
	lastArg                  access            // role of the last positional (cp DEST); 0: as path_args
	cwd                      access            // role of the directory it works in (tar -x: write)
	procOny                  bool              // processes: ony
	mounts                   []string          // options that bind-mount a host path (docker -v HOST:CTR)
	stripSuffix              []string          // the operand without this suffix is written too (gunzip x.gz writes x)
	copies                   bool              // the sources land inside the destination directory (cp a b dir/)
}

type flagCond struct {
	flag string
	p    *pattern
}

type pathRule struct {
	globs, except []*glob
	loc           location // 0: any
	acc           access   // 0: any
	tree          tri      // recursive: the use walks the tree under the path
}

type toolRule struct {
	kinds   map[wire.Kind]bool
	name    *pattern
	paths   access // 0: by kind
	noPaths bool
	tree    bool // recursive: the paths are walked as trees (Grep, Glob)
}

type urlRule struct {
	schemes, hosts, exceptHosts patterns
	ip                          tri
	contains                    searches
}

type mcpRule struct {
	server, tool *pattern
	paths        access // role of the paths in the tool's arguments; 0: read
	noPaths      bool
	tree         bool
}

// rule reads one match entry and files it in the indexes.
func (b *builder) rule(a *action, n ast.Node, counts map[string]int) error {
	entries, err := b.d.mapping(n, "a match entry")
	if err != nil {
		return err
	}
	var kind string
	var body, targetNode ast.Node
	for _, e := range entries {
		switch e.key {
		case "shell", "path", "tool", "url", "mcp":
			if kind != "" {
				return b.d.errf(e.keyNode, "match entry has both %q and %q: use one entry for each", kind, e.key)
			}
			kind, body = e.key, e.val
		case "target":
			targetNode = e.val
		default:
			return b.d.unknownKey(e, "a match entry (want one of shell, path, tool, url, mcp, and optionally target)")
		}
	}
	if kind == "" {
		return b.d.errf(n, "match entry needs one of shell, path, tool, url or mcp")
	}
	r := &rule{act: a, order: b.order}
	b.order++
	r.matcher = fmt.Sprintf("%s:%d %s %s[%d]", b.d.name, line(n), a.ID, kind, counts[kind])
	counts[kind]++
	switch kind {
	case "shell":
		err = b.shellRule(r, body)
	case "path":
		err = b.pathRule(r, body)
	case "tool":
		err = b.toolRule(r, body)
	case "url":
		err = b.urlRule(r, body)
	case "mcp":
		err = b.mcpRule(r, body)
	}
	if err != nil {
		return err
	}
	if targetNode != nil {
		s, err := b.d.str(targetNode, "target")
		if err != nil {
			return err
		}
		if r.target, err = b.compileTarget(s, kind); err != nil {
			return err
		}
	}
	return nil
}

// roleOf reads a path role: read, write, edit, delete, exec, mention or
// none.
func (b *builder) roleOf(n ast.Node, what string) (access, bool, error) {
	s, err := b.d.str(n, what)
	if err != nil {
		return 0, false, err
	}
	switch s.s {
	case "none":
		return 0, true, nil
	case "mention":
		return accMention, false, nil
	}
	acc, ok := accessNamed(s.s)
	if !ok {
		return 0, false, b.d.errf(n, "%s %q: want read, write, edit, delete, exec, mention or none", what, s.s)
	}
	return acc, false, nil
}

// triOf reads an optional boolean.
func (b *builder) triOf(n ast.Node, what string) (tri, error) {
	v, err := b.d.boolean(n, what)
	if err != nil {
		return unset, err
	}
	if v {
		return yes, nil
	}
	return no, nil
}

func (b *builder) pathRule(r *rule, n ast.Node) error {
	entries, err := b.d.mapping(n, "a path matcher")
	if err != nil {
		return err
	}
	pr := &pathRule{}
	for _, e := range entries {
		switch e.key {
		case "glob":
			pr.globs, err = b.globs(e.val, e.key)
		case "except":
			pr.except, err = b.globs(e.val, e.key)
		case "location":
			err = b.bits(e.val, e.key, func(s string) bool {
				l, ok := locationNamed(s)
				pr.loc |= l
				return ok
			}, "project, outside or dynamic")
		case "access":
			err = b.bits(e.val, e.key, func(s string) bool {
				a, ok := accessNamed(s)
				pr.acc |= a
				return ok
			}, "read, write, edit, delete or exec")
		case "recursive":
			pr.tree, err = b.triOf(e.val, e.key)
		default:
			err = b.d.unknownKey(e, "a path matcher (want glob, except, location, access, recursive)")
		}
		if err != nil {
			return err
		}
	}
	if pr.globs == nil && pr.loc == 0 {
		return b.d.errf(n, "a path matcher needs glob or location")
	}
	r.path = pr
	b.t.pathRules = append(b.t.pathRules, r)
	return nil
}

// bits reads a string-or-list of names into a bit set through set.
func (b *builder) bits(n ast.Node, what string, set func(string) bool, want string) error {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return err
	}
	for _, s := range ss {
		if !set(s.s) {
			return b.d.errf(s.n, "%s %q: want %s", what, s.s, want)
		}
	}
	return nil
}

// globs compiles a string-or-list of globs, expanding variables and braces.
// A glob without a leading / matches at any depth; ~/ is ${HOME}/.
func (b *builder) globs(n ast.Node, what string) ([]*glob, error) {
	ss, err := b.d.strs(n, what)
	if err != nil {
		return nil, err
	}
	out := []*glob{}
	for _, s := range ss {
		src := s.s
		if rest, ok := strings.CutPrefix(src, "~/"); ok {
			src = "${HOME}/" + rest
		}
		if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "${") {
			src = "/**/" + strings.TrimPrefix(src, "**/")
		}
		expanded, err := b.expand(src, s.n, modeGlob)
		if err != nil {
			return nil, err
		}
		for _, x := range expanded {
			alts, err := expandBraces(x, 256)
			if err != nil {
				return nil, b.d.errf(s.n, "invalid glob %q: %v", s.s, err)
			}
			for _, alt := range alts {
				g, err := compileGlob(alt)
				if err != nil {
					return nil, b.d.errf(s.n, "invalid glob %q: %v", s.s, err)
				}
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func (b *builder) toolRule(r *rule, n ast.Node) error {
	entries, err := b.d.mapping(n, "a tool matcher")
	if err != nil {
		return err
	}
	tr := &toolRule{kinds: map[wire.Kind]bool{}}
	for _, e := range entries {
		switch e.key {
		case "kind":
			var ss []str
			if ss, err = b.d.strs(e.val, e.key); err != nil {
				return err
			}
			for _, s := range ss {
				k := wire.Kind(s.s)
				switch {
				case !k.Valid():
					return b.d.errf(s.n, "unknown tool kind %q: want one of %s", s.s, kindList())
				case k == wire.KindShell:
					return b.d.errf(s.n, "tool kind %q is classified command by command: use shell matchers", s.s)
				case k == wire.KindOther:
					return b.d.errf(s.n, "tool kind %q is never trusted: it is always the critical unknown action", s.s)
				}
				tr.kinds[k] = true
			}
		case "name":
			var s str
			if s, err = b.d.nonEmpty(e.val, e.key); err == nil {
				tr.name, err = b.compilePattern(s)
			}
		case "paths":
			tr.paths, tr.noPaths, err = b.roleOf(e.val, e.key)
		case "recursive":
			var v bool
			if v, err = b.d.boolean(e.val, e.key); err == nil {
				tr.tree = v
			}
		default:
			err = b.d.unknownKey(e, "a tool matcher (want kind, name, paths, recursive)")
		}
		if err != nil {
			return err
		}
	}
	if len(tr.kinds) == 0 {
		return b.d.errf(n, "a tool matcher needs kind")
	}
	r.tool, r.recognises = tr, true
	for k := range tr.kinds {
		b.t.byKind[k] = append(b.t.byKind[k], r)
	}
	return nil
}

func kindList() string {
	var ks []string
	for _, k := range wire.Kinds {
		if k != wire.KindShell && k != wire.KindOther {
			ks = append(ks, string(k))
		}
	}
	return strings.Join(ks, ", ")
}

func (b *builder) urlRule(r *rule, n ast.Node) error {
	entries, err := b.d.mapping(n, "a url matcher")
	if err != nil {
		return err
	}
	ur := &urlRule{}
	for _, e := range entries {
		switch e.key {
		case "scheme":
			ur.schemes, err = b.compilePatterns(e.val, e.key)
		case "host":
			ur.hosts, err = b.compilePatterns(e.val, e.key)
		case "except_host":
			ur.exceptHosts, err = b.compilePatterns(e.val, e.key)
		case "ip":
			ur.ip, err = b.triOf(e.val, e.key)
		case "contains":
			ur.contains, err = b.compileSearches(e.val, e.key)
		default:
			err = b.d.unknownKey(e, "a url matcher (want scheme, host, except_host, ip, contains)")
		}
		if err != nil {
			return err
		}
	}
	if ur.schemes == nil && ur.hosts == nil && ur.ip == unset && ur.contains == nil {
		return b.d.errf(n, "a url matcher needs scheme, host, ip or contains")
	}
	r.url = ur
	b.t.urlRules = append(b.t.urlRules, r)
	return nil
}

func (b *builder) mcpRule(r *rule, n ast.Node) error {
	entries, err := b.d.mapping(n, "an mcp matcher")
	if err != nil {
		return err
	}
	mr := &mcpRule{}
	for _, e := range entries {
		var s str
		switch e.key {
		case "paths":
			if mr.paths, mr.noPaths, err = b.roleOf(e.val, e.key); err != nil {
				return err
			}
			continue
		case "recursive":
			if mr.tree, err = b.d.boolean(e.val, e.key); err != nil {
				return err
			}
			continue
		case "server", "tool":
			if s, err = b.d.nonEmpty(e.val, e.key); err != nil {
				return err
			}
			p, err := b.compilePattern(s)
			if err != nil {
				return err
			}
			if e.key == "server" {
				mr.server = p
			} else {
				mr.tool = p
			}
		default:
			return b.d.unknownKey(e, "an mcp matcher (want server, tool, paths, recursive)")
		}
	}
	if mr.server == nil {
		return b.d.errf(n, "an mcp matcher needs server")
	}
	r.mcp, r.recognises = mr, true
	b.t.mcpRules = append(b.t.mcpRules, r)
	return nil
}
