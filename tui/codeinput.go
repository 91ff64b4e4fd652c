package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
)

// codeDigits is the length of a code.
const codeDigits = 6

// codeInput is the masked 6-digit code dialog a critical approval opens.
// It takes digits only; the engine decides whether the code is right.
type codeInput struct {
	open    bool
	release bool           // the code releases the kill switch (a hardened install), not approves req
	req     engine.Request // the request being approved
	input   lineInput
	err     string // the engine's answer to the last code, or a format hint
	busy    bool   // a code is being checked
}

func newCodeInput(st *Styles) codeInput {
	return codeInput{input: lineInput{Prompt: "code: ", Mask: '•', CharLimit: codeDigits, Styles: st.Input}}
}

// openFor opens the dialog for r with an empty input.
func (c *codeInput) openFor(r engine.Request) tea.Cmd {
	c.open, c.release, c.req, c.err, c.busy = true, false, r, "", false
	c.input.Reset()
	return c.input.Focus()
}

// openForRelease opens the dialog for releasing the kill switch, which a
// hardened install allows only with the code.
func (c *codeInput) openForRelease() tea.Cmd {
	c.open, c.release, c.req, c.err, c.busy = true, true, engine.Request{}, "", false
	c.input.Reset()
	return c.input.Focus()
}

// close closes the dialog and forgets what was typed.
func (c *codeInput) close() {
	c.open, c.busy, c.err, c.release = false, false, "", false
	c.req = engine.Request{}
	c.input.Reset()
	c.input.Blur()
}

// value is the code typed so far.
func (c *codeInput) value() string { return c.input.Value() }

// update passes a key or a paste to the input, keeping digits only.
func (c codeInput) update(msg tea.Msg) (codeInput, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.Text != "" && !allDigits(msg.Text) {
			c.err = "digits only"
			return c, nil
		}
	case tea.PasteMsg:
		msg.Content = digitsOf(msg.Content)
		c.input, _ = c.input.Update(msg)
		return c, nil
	}
	c.err = ""
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	return c, cmd
}

// view renders the dialog box, w cells wide at most.
func (c *codeInput) view(st *Styles, w int) string {
	inner := max(20, min(56, w-4))
	var lines []string
	if c.release {
		lines = []string{
			st.Modal.Title.Render("6-digit code needed"),
			"",
			st.Bold.Render("Release the kill switch"),
			st.Dim.Render(clip("hardened install: only the code lifts it", inner)),
			"",
			c.input.View(),
		}
	} else {
		badge, bs := st.riskBadge(c.req.Class.Risk)
		lines = []string{
			st.Modal.Title.Render("6-digit code needed"),
			"",
			"Approve " + bs.Render(badge) + " " + st.Bold.Render(clip(requestTitle(c.req), inner-13)),
			st.Dim.Render(clip(c.req.Class.Action+" → "+orDash(c.req.Class.Target), inner)),
			"",
			c.input.View(),
		}
	}
	switch {
	case c.busy:
		lines = append(lines, st.Dim.Render("checking the code…"))
	case c.err != "":
		for _, l := range wrapText(c.err, inner) {
			lines = append(lines, st.Status.Error.Render(l))
		}
	default:
		lines = append(lines, st.Dim.Render("Type the code from your authenticator app."))
	}
	lines = append(lines, "", st.Dim.Render("enter submit · esc back out without deciding"))
	return st.Modal.Box.Width(inner + 4).Render(strings.Join(lines, "\n"))
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
