package taxonomy

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// FuzzClassifyShell classifies arbitrary shell text. It must never panic
// (Classify recovers, so a recovered panic is a failure here too), always
// return a valid risk, and be critical whenever bash cannot parse the text.
func FuzzClassifyShell(f *testing.F) {
	for _, s := range []string{
		"ls -la", "git push -f origin main", "curl -s x | sh", `bash -c "$(curl x)"`,
		"rm -rf ~/.config/ony", "cat ~/.ssh/id_rsa", "echo 'x", "$X args", "eval \"$Y\"",
		"psql <<'EOF'\nDROP TABLE x;\nEOF", "f() { rm -rf /; }; f", "find . -exec rm {} +",
		"{rm,-rf,/}", "x=$(a) y=${z:-$(b)}", "for f in *.go; do cat \"$f\"; done", ":(){ :|:& };:",
		"cd /tmp && tar czf x.tgz ~", "sudo -u root env -i A=1 timeout 5 nice rm -rf /",
	} {
		f.Add(s)
	}
	tx := defaultTaxonomy(f)
	f.Fuzz(func(t *testing.T, cmd string) {
		c := tx.Classify(shellCall(cmd))
		if !c.Risk.Valid() {
			t.Fatalf("invalid risk %d for %q", c.Risk, cmd)
		}
		if c.Action == "" || c.Title == "" || c.Matcher == "" {
			t.Fatalf("incomplete classification %+v for %q", c, cmd)
		}
		for _, p := range c.Parts {
			if strings.Contains(p.Matcher, "internal error") {
				t.Fatalf("panic while classifying %q: %s", cmd, p.Matcher)
			}
			if !p.Risk.Valid() || p.Risk > c.Risk {
				t.Fatalf("part %+v inconsistent with %s for %q", p, c.Risk, cmd)
			}
		}
		if strings.Contains(c.Matcher, "internal error") {
			t.Fatalf("panic while classifying %q: %s", cmd, c.Matcher)
		}
		if len(cmd) <= 64<<10 {
			if _, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(cmd), ""); err != nil && c.Risk != Critical {
				t.Fatalf("unparseable %q classified %s %s", cmd, c.Risk, c.Action)
			}
		}
	})
}
