package taxonomy

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// The owner's taxonomy overlay (taxonomy.overlay.yaml beside the taxonomy
// in the config directory) holds what the owner taught Ony at the console:
// "classify this program". Its format is a strict subset of the taxonomy's:
//
//	version: 1
//	actions:
//	  # 2026-12-07: classified at the console pts/3 (request req_…, session s-12)
//	  - id: owner.mytool
//	    title: Run mytool, the project's CLI
//	    risk: medium
//	    match:
//	      - shell: {program: [mytool]}
//
// It may only add rules that recognise programs the base taxonomy does not
// recognise, at risk low, medium or high: an action id is owner.<word>, each
// action has one match entry, a shell matcher with nothing but program, and
// every program is a plain name no rule of the base taxonomy names (and
// that the base classifies as unknown). Anything else is refused at load
// with its file:line, and the engine does not start with it. Its rules
// apply only to the programs they name: the rest of a command (paths,
// redirections, other commands of a pipeline) is classified as before,
// and the riskiest part still decides.

// OverlayPrefix starts every overlay action id.
const OverlayPrefix = "owner."

// overlayOrder is where overlay rules sit among the base's rules: after
// them, so on equal risk a base rule explains a call first.
const overlayOrder = 1 << 28

// OverlayRule is one rule of the overlay.
type OverlayRule struct {
	ID       string // the action id, owner.<word>
	Title    string
	Risk     Risk
	Programs []string
	Line     int    // the line of its list item
	Comment  string // the comment lines just above it, without "#"
}

// Overlay is a loaded overlay.
type Overlay struct {
	name  string
	sum   string
	rules []OverlayRule
}

// Name returns the name the overlay was loaded under (its path).
func (o *Overlay) Name() string { return o.name }

// SHA256 returns the lowercase hex SHA-256 of the raw overlay file.
func (o *Overlay) SHA256() string { return o.sum }

// Rules returns the overlay's rules in file order.
func (o *Overlay) Rules() []OverlayRule { return slices.Clone(o.rules) }

// WithOverlay loads an overlay strictly over t and returns the taxonomy
// with its rules, and the overlay. t is unchanged. An empty file is an
// overlay without rules.
func (t *Taxonomy) WithOverlay(data []byte, name string) (*Taxonomy, *Overlay, error) {
	sum := sha256.Sum256(data)
	o := &Overlay{name: name, sum: hex.EncodeToString(sum[:])}
	c := *t
	c.byProgram = maps.Clone(t.byProgram)
	c.actions = slices.Clone(t.actions)
	if strings.TrimSpace(stripComments(data)) == "" {
		return &c, o, nil
	}
	b := &builder{
		d:     decoder{name: name},
		t:     &c,
		vars:  builtinVars(t.env),
		sets:  map[string][]string{},
		ids:   map[string]int{},
		code:  map[string][]shell.CodeArg{},
		order: overlayOrder,
	}
	for _, a := range t.actions {
		b.ids[a.ID] = 0
	}
	body, err := b.d.parse(data)
	if err != nil {
		return nil, nil, err
	}
	entries, err := b.d.mapping(body, "the overlay")
	if err != nil {
		return nil, nil, err
	}
	got := map[string]ast.Node{}
	for _, e := range entries {
		if e.key != "version" && e.key != "actions" {
			return nil, nil, b.d.errf(e.keyNode, "unknown key %q in the overlay (want version, actions): an overlay only adds programs; vars, sets, shell and programs belong in the taxonomy", e.key)
		}
		got[e.key] = e.val
	}
	if n, ok := got["version"]; !ok {
		return nil, nil, b.d.errf(body, "the overlay is missing required key \"version\"")
	} else if v, err := b.d.count(n, "version"); err != nil || v != 1 {
		return nil, nil, b.d.errf(n, "unsupported version: want 1")
	}
	n, ok := got["actions"]
	if !ok {
		return nil, nil, b.d.errf(body, "the overlay is missing required key \"actions\"")
	}
	var items []ast.Node
	if _, null := n.(*ast.NullNode); !null && n != nil {
		if items, err = b.d.seq(n, "actions"); err != nil {
			return nil, nil, err
		}
	}
	lines := strings.Split(string(data), "\n")
	seen := map[string]int{}
	for _, it := range items {
		r, err := b.overlayAction(t, it, seen)
		if err != nil {
			return nil, nil, err
		}
		r.Comment = commentAbove(lines, r.Line)
		o.rules = append(o.rules, r)
	}
	return &c, o, nil
}

// overlayAction checks one overlay action against the subset, then builds
// it as the taxonomy builds any action.
func (b *builder) overlayAction(base *Taxonomy, n ast.Node, seen map[string]int) (OverlayRule, error) {
	entries, err := b.d.mapping(n, "an overlay action")
	if err != nil {
		return OverlayRule{}, err
	}
	r := OverlayRule{Line: line(n)}
	var match ast.Node
	for _, e := range entries {
		switch e.key {
		case "id":
			s, err := b.d.nonEmpty(e.val, "id")
			if err != nil {
				return r, err
			}
			word, ok := strings.CutPrefix(s.s, OverlayPrefix)
			if !ok || !isActionID(s.s) || strings.Contains(word, ".") {
				return r, b.d.errf(e.val, "overlay action id %q must be %s<word> (lower case): an overlay adds its own actions and can never change or lower one of the taxonomy's", s.s, OverlayPrefix)
			}
			r.ID = s.s
		case "title":
			s, err := b.d.nonEmpty(e.val, "title")
			if err != nil {
				return r, err
			}
			r.Title = s.s
		case "risk":
			s, err := b.d.str(e.val, "risk")
			if err != nil {
				return r, err
			}
			if r.Risk, err = ParseRisk(s.s); err != nil {
				return r, b.d.errf(e.val, "%v", err)
			}
			if r.Risk > High {
				return r, b.d.errf(e.val, "an overlay rule's risk is low, medium or high: what is unknown is already critical")
			}
		case "description":
		case "match":
			match = e.val
		default:
			return r, b.d.unknownKey(e, "an overlay action (want id, title, description, risk, match)")
		}
	}
	if match == nil {
		return r, b.d.errf(n, "overlay action is missing required key \"match\"")
	}
	items, err := b.d.seq(match, "match")
	if err != nil {
		return r, err
	}
	if len(items) != 1 {
		return r, b.d.errf(match, "an overlay action has exactly one match entry: shell: {program: [name]}")
	}
	me, err := b.d.mapping(items[0], "a match entry")
	if err != nil {
		return r, err
	}
	if len(me) != 1 || me[0].key != "shell" {
		return r, b.d.errf(items[0], "an overlay match entry is shell: {program: [name]} and nothing else (no path, tool, url, mcp or target)")
	}
	sm, err := b.d.mapping(me[0].val, "a shell matcher")
	if err != nil {
		return r, err
	}
	if len(sm) != 1 || sm[0].key != "program" {
		return r, b.d.errf(me[0].val, "an overlay shell matcher has program and nothing else")
	}
	progs, err := b.d.strs(sm[0].val, "program")
	if err != nil {
		return r, err
	}
	for _, p := range progs {
		if !plainProgram(p.s) {
			return r, b.d.errf(p.n, "overlay program %q must be a plain program name (letters, digits, . _ + -; no path, set or pattern)", p.s)
		}
		if why := base.recognises(p.s); why != "" {
			return r, b.d.errf(p.n, "the taxonomy already recognises %q (%s): an overlay may only classify programs the taxonomy does not know", p.s, why)
		}
		if first, dup := seen[p.s]; dup {
			return r, b.d.errf(p.n, "program %q is already classified on line %d of the overlay", p.s, first)
		}
		seen[p.s] = line(p.n)
		r.Programs = append(r.Programs, p.s)
	}
	// Everything is within the subset: build it as any action is built
	// (ids are checked against the taxonomy's and each other there).
	if err := b.action(n); err != nil {
		return r, err
	}
	return r, nil
}

// plainProgram reports whether s is a program name an overlay may name.
func plainProgram(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[0] == '.' {
		return false
	}
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// recognises says why the taxonomy knows program p, or "" if it does not.
func (t *Taxonomy) recognises(p string) string {
	if rs := t.byProgram[p]; len(rs) > 0 {
		return "rule " + rs[0].matcher
	}
	if t.programs[p] != nil || t.progInfo[p] != nil {
		return "its programs section"
	}
	c := t.ClassifyFrom(&wire.ToolCall{Kind: wire.KindShell, Command: p}, Remote)
	if c.Action != UnknownAction {
		return "as " + c.Action
	}
	return ""
}

// stripComments drops comment lines, to tell an empty overlay.
func stripComments(data []byte) string {
	var b strings.Builder
	for l := range strings.SplitSeq(string(data), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// commentAbove returns the comment lines just above line n (1-based).
func commentAbove(lines []string, n int) string {
	var out []string
	for i := n - 2; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(t, "#") {
			break
		}
		out = append([]string{strings.TrimSpace(strings.TrimPrefix(t, "#"))}, out...)
	}
	return strings.Join(out, "\n")
}
