package taxonomy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// Explanation is the JSON form Explain writes. Its fields are documented in
// docs/TAXONOMY.md; parts is present for shell commands only.
type Explanation struct {
	Action   string     `json:"action"`
	Title    string     `json:"title"`
	Risk     Risk       `json:"risk"`
	Target   string     `json:"target"`
	Matcher  string     `json:"matcher"`
	Kind     wire.Kind  `json:"kind,omitempty"`
	ToolName string     `json:"tool_name,omitempty"`
	Parts    []PartJSON `json:"parts,omitempty"`
	// Overlay is "file:line" of the owner's overlay rule that decided.
	Overlay string `json:"overlay,omitempty"`
}

// PartJSON is one simple command of a shell command in an Explanation.
type PartJSON struct {
	Action  string `json:"action"`
	Risk    Risk   `json:"risk"`
	Target  string `json:"target"`
	Matcher string `json:"matcher"`
	Text    string `json:"text"`
}

// Explain writes how c was classified: the action, title, risk, target
// and the rule that decided, then one line per simple command when a shell
// command has more than one. With asJSON it writes an Explanation object
// and a newline. call may be nil. Secrets in the classification are masked
// (Classification.Redacted).
func Explain(w io.Writer, c Classification, call *wire.ToolCall, asJSON bool) error {
	if !c.Risk.Valid() {
		return fmt.Errorf("explaining classification: invalid risk %d", uint8(c.Risk))
	}
	c = c.Redacted()
	if asJSON {
		e := Explanation{Action: c.Action, Title: c.Title, Risk: c.Risk, Target: c.Target, Matcher: c.Matcher, Overlay: overlayAt(c)}
		if call != nil {
			e.Kind, e.ToolName = call.Kind, call.ToolName
		}
		for _, p := range c.Parts {
			e.Parts = append(e.Parts, PartJSON{Action: p.Action, Risk: p.Risk, Target: p.Target, Matcher: p.Matcher, Text: p.Text})
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("writing explanation: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "action\t%s\n", c.Action)
	fmt.Fprintf(tw, "title\t%s\n", c.Title)
	fmt.Fprintf(tw, "risk\t%s\n", c.Risk)
	target := c.Target
	if target == "" {
		target = "-"
	}
	fmt.Fprintf(tw, "target\t%s\n", target)
	fmt.Fprintf(tw, "matcher\t%s\n", c.Matcher)
	if at := overlayAt(c); at != "" {
		fmt.Fprintf(tw, "overlay\tdecided by the owner's overlay rule at %s\n", at)
	}
	if call != nil && call.Kind != "" {
		fmt.Fprintf(tw, "kind\t%s\n", call.Kind)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing explanation: %w", err)
	}
	if len(c.Parts) < 2 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "parts (%d, riskiest decides):\n", len(c.Parts)); err != nil {
		return fmt.Errorf("writing explanation: %w", err)
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range c.Parts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Risk, p.Action, p.Text)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing explanation: %w", err)
	}
	return nil
}

// overlayAt is "file:line" of the overlay rule that decided c, or "".
func overlayAt(c Classification) string {
	if !strings.HasPrefix(c.Action, OverlayPrefix) {
		return ""
	}
	at, _, _ := strings.Cut(c.Matcher, " ")
	return at
}
