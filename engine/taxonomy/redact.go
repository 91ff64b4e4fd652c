package taxonomy

import "github.com/ony-dev/ony-tui/engine/redact"

// Redacted returns c with the secrets in its title, target, matcher and
// parts masked (package redact), as the engine stores a classification.
// Classify itself returns what the rules produced: matching never depends
// on redaction.
func (c Classification) Redacted() Classification {
	c.Title = redact.String(c.Title)
	c.Target = redact.String(c.Target)
	c.Matcher = redact.String(c.Matcher)
	if c.Parts != nil {
		parts := make([]Part, len(c.Parts))
		for i, p := range c.Parts {
			p.Title = redact.String(p.Title)
			p.Target = redact.String(p.Target)
			p.Matcher = redact.String(p.Matcher)
			p.Text = redact.String(p.Text)
			parts[i] = p
		}
		c.Parts = parts
	}
	return c
}
