package taxonomy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Editing the overlay: Ony adds a rule when the owner classifies a program
// at the console, and removes one on `ony-tui rules forget`. Both edit the
// text (the owner's comments and layout stay as they are), and the result
// is loaded again, strictly, before anyone writes it.

// OverlayHeader starts a new overlay file.
const OverlayHeader = `# Ony taxonomy overlay: programs the owner classified at the console.
# A strict subset of taxonomy.yaml (docs/TAXONOMY.md, "The overlay"): it only
# recognises programs the taxonomy does not know, at low, medium or high.
# Ony edits it when you press R and "classify this program" at the console,
# and on ` + "`ony-tui rules forget owner.<name>`" + `; you may edit it by hand too.
version: 1
actions:
`

// NewOverlayRule is a rule to add.
type NewOverlayRule struct {
	Program string
	Title   string
	Risk    Risk
	Comment string // one line, shown above the rule
}

// OverlayID is the action id of the rule that classifies program.
func OverlayID(program string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(program) {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "p" + id
	}
	return OverlayPrefix + id
}

// AddOverlayRule returns data with a rule for r.Program appended, checked
// by loading it over base. data may be empty (a new overlay).
func AddOverlayRule(base *Taxonomy, data []byte, name string, r NewOverlayRule) ([]byte, *Overlay, error) {
	if !plainProgram(r.Program) {
		return nil, nil, fmt.Errorf("cannot classify %q: only a plain program name can be classified", r.Program)
	}
	if r.Risk < Low || r.Risk > High {
		return nil, nil, fmt.Errorf("cannot classify %q at %s: pick low, medium or high", r.Program, r.Risk)
	}
	title := strings.TrimSpace(sanitize(r.Title, 200))
	if title == "" {
		return nil, nil, fmt.Errorf("cannot classify %q: a title is needed", r.Program)
	}
	text := string(data)
	if strings.TrimSpace(stripComments(data)) == "" {
		text = OverlayHeader
	}
	// An overlay whose rules were all forgotten says actions: [].
	text = strings.Replace(text, "\nactions: []\n", "\nactions:\n", 1)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a YAML double-quoted scalar
	var b strings.Builder
	b.WriteString(text)
	for l := range strings.SplitSeq(sanitize(r.Comment, 300), "\n") {
		b.WriteString("  # " + l + "\n")
	}
	fmt.Fprintf(&b, "  - id: %s\n    title: %s\n    risk: %s\n    match:\n      - shell: {program: [%s]}\n",
		OverlayID(r.Program), q(title), r.Risk, q(r.Program))
	out := []byte(b.String())
	_, o, err := base.WithOverlay(out, name)
	if err != nil {
		return nil, nil, err
	}
	return out, o, nil
}

// RemoveOverlayRule returns data without the rule id (its list item and the
// comment lines just above it), checked by loading it over base.
func RemoveOverlayRule(base *Taxonomy, data []byte, name, id string) ([]byte, OverlayRule, error) {
	_, o, err := base.WithOverlay(data, name)
	if err != nil {
		return nil, OverlayRule{}, err
	}
	var gone OverlayRule
	next := 0 // the line of the rule after it, 0 for none
	for i, r := range o.rules {
		if r.ID == id {
			gone = r
			if i+1 < len(o.rules) {
				next = o.rules[i+1].Line
			}
		}
	}
	if gone.ID == "" {
		return nil, OverlayRule{}, fmt.Errorf("no overlay rule %q in %s", id, name)
	}
	lines := strings.SplitAfter(string(data), "\n")
	from := gone.Line - 1
	for from > 0 && strings.HasPrefix(strings.TrimSpace(lines[from-1]), "#") {
		from--
	}
	to := len(lines)
	if next > 0 {
		to = next - 1
		for to > from && strings.HasPrefix(strings.TrimSpace(lines[to-1]), "#") {
			to--
		}
	}
	out := strings.Join(lines[:from], "") + strings.Join(lines[to:], "")
	if len(o.rules) == 1 {
		out = strings.Replace(out, "\nactions:\n", "\nactions: []\n", 1)
	}
	if _, _, err := base.WithOverlay([]byte(out), name); err != nil {
		return nil, OverlayRule{}, fmt.Errorf("removing %s would leave the overlay unreadable (%v): edit it by hand", id, err)
	}
	return []byte(out), gone, nil
}
