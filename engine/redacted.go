package engine

import "github.com/ony-dev/ony-tui/engine/redact"

// Redacted returns c with the secrets in its title, target and matcher
// masked (package redact): "https://user:***@github.com/o/r.git main".
// The engine keeps only the redacted classification of a request, so what
// it shows, records, signs into a verdict or hands to the phone never holds
// a secret found in the call; the request digest still covers the raw call.
func (c Classification) Redacted() Classification {
	c.Title = redact.String(c.Title)
	c.Target = redact.String(c.Target)
	c.Matcher = redact.String(c.Matcher)
	if redact.String(c.Program) != c.Program {
		c.Program = "" // a program named like a secret is not offered for classifying
	}
	return c
}
