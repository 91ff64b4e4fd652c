package tui

import "strings"

// confirmKind is what a confirmation dialog asks.
type confirmKind int

const (
	confirmNone    confirmKind = iota
	confirmQuit                // quit while requests wait: they will be denied
	confirmRelease             // release the kill switch
)

// confirm is a yes/no dialog. Only y confirms; every other key (Enter
// included) cancels, so the safe answer is the default.
type confirm struct {
	kind  confirmKind
	touch bool // a release that needs a YubiKey touch (approvals.require_touch)
}

func (c confirm) open() bool { return c.kind != confirmNone }

// view renders the dialog box, w cells wide at most. waiting is the number
// of requests waiting now.
func (c confirm) view(st *Styles, w, waiting int) string {
	inner := max(20, min(56, w-4))
	var lines []string
	switch c.kind {
	case confirmQuit:
		lines = []string{
			st.Modal.Danger.Render("Quit the console?"),
			"",
			st.Bold.Render(plural(waiting, "request") + " will be denied."),
			st.Dim.Render(strings.Join(wrapText("While the console is down, hooks deny every new request.", inner), "\n")),
			"",
			st.Bold.Render("y") + " quit and deny · any other key stays",
		}
	case confirmRelease:
		lines = []string{
			st.Modal.Danger.Render("Release the kill switch?"),
			"",
			strings.Join(wrapText("Requests will reach the normal policy again: approvals at this console, the phone, automatic allows.", inner), "\n"),
			"",
			st.Bold.Render("y") + " release · any other key keeps it engaged",
		}
		if c.touch {
			lines = append(lines[:4], append([]string{st.Warn.Render(strings.Join(wrapText("Touch is required: releasing needs a touch on your YubiKey.", inner), "\n")), ""}, lines[4:]...)...)
		}
	default:
		return ""
	}
	return st.Modal.Box.Width(inner + 4).Render(strings.Join(lines, "\n"))
}
