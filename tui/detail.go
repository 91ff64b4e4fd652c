package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/viewport"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// detail shows everything about the selected request in a scrollable
// viewport. Its content is built in Update when the selection, the request,
// the width or the reveal state changes, never in View. The agent's text
// (command, paths, URL, pattern, hint, directories) is shown with secrets
// masked (package redact) unless the owner revealed them for this request.
type detail struct {
	vp     viewport.Model
	key    string // what the content was built for
	masked bool   // the content hides a secret (or would, when revealed)
	// touch says how a YubiKey can approve: "" (no key enrolled),
	// "optional" or the approvals.require_touch level.
	touch string
}

func newDetail() detail {
	vp := viewport.New()
	vp.MouseWheelEnabled = false // the root routes the wheel
	return detail{vp: vp}
}

// labelW is the width of the label column.
const labelW = 11

// setSize sets the viewport's size (lines of content, without the title).
func (d *detail) setSize(w, h int) {
	d.vp.SetWidth(w)
	d.vp.SetHeight(max(0, h))
}

// update rebuilds the content if the request, its state or the width
// changed. A different request starts at the top.
func (d *detail) update(r *engine.Request, st *Styles, reveal bool, phone string) {
	w := d.vp.Width()
	key := "none|" + strconv.Itoa(w)
	if r != nil {
		key = r.ID + "|" + strconv.Itoa(r.CodeFails) + "|" + strconv.Itoa(w) + "|" + strconv.FormatBool(reveal) + "|" + phone + "|" + d.touch
	}
	if key == d.key {
		return
	}
	sameRequest := r != nil && strings.HasPrefix(d.key, r.ID+"|")
	d.key = key
	d.masked = false
	if r == nil {
		d.vp.SetContent(st.Dim.Render("No request selected.") + "\n\n" +
			st.Dim.Render(strings.Join(wrapText("A approves and D denies the selected request. "+
				"K engages the kill switch: every waiting and new request is denied.", max(10, w)), "\n")))
		d.vp.GotoTop()
		return
	}
	needs := needText(r.Need)
	if n := touchNeedText(r, d.touch); n != "" {
		needs = n
	}
	lines, masked := detailLinesNeeding(r, needs, st, reveal, w)
	d.masked = masked
	if phone != "" {
		lines = append(lines[:2], append(labelled(st, "phone", phone, w), lines[2:]...)...)
	}
	d.vp.SetContent(strings.Join(lines, "\n"))
	if !sameRequest {
		d.vp.GotoTop()
	}
}

// needText says what a request needs before it may run.
func needText(n config.Requirement) string {
	switch n {
	case config.ApproveCode:
		return "approval + 6-digit code (A, then the code)"
	case config.Approve:
		return "approval (A)"
	case config.Block:
		return "always denied"
	case config.Auto:
		return "nothing: allowed by policy"
	}
	return n.String()
}

// touchNeedText is the needs line when a YubiKey is enrolled, or "".
func touchNeedText(r *engine.Request, touch string) string {
	level, err := risk.Parse(touch) // "" and "optional" are not levels
	required := err == nil && (config.Config{RequireTouch: level}).TouchRequired(r.Class.Risk)
	switch {
	case touch == "":
		return ""
	case required && r.Need == config.Approve:
		return "a YubiKey touch (Y): the keypad alone cannot approve it"
	case required && r.Need == config.ApproveCode:
		return "6-digit code + YubiKey touch (Y, then the code, then the touch)"
	case r.Need == config.Approve:
		return "approval (A, or Y with the YubiKey)"
	case r.Need == config.ApproveCode:
		return "approval + 6-digit code (A or Y, then the code)"
	}
	return ""
}

// detailLines renders a request, with the secrets in the agent's text
// masked unless reveal is set. masked reports whether anything was (or,
// revealed, would be) masked.
func detailLines(r *engine.Request, st *Styles, reveal bool, w int) (out []string, masked bool) {
	return detailLinesNeeding(r, needText(r.Need), st, reveal, w)
}

// detailLinesNeeding is detailLines with the needs line given (it says how
// a YubiKey can approve when one is enrolled).
func detailLinesNeeding(r *engine.Request, needs string, st *Styles, reveal bool, w int) (out []string, masked bool) {
	c := &r.Call
	hide := func(v string) string {
		h := redact.String(v)
		if h == v {
			return v
		}
		masked = true
		if reveal {
			return v
		}
		return h
	}
	field := func(label, value string) {
		if value == "" {
			return
		}
		vw := max(8, w-labelW)
		for i, l := range wrapText(value, vw) {
			if i == 0 {
				out = append(out, st.Detail.Label.Render(padRight(label, labelW))+l)
			} else {
				out = append(out, strings.Repeat(" ", labelW)+l)
			}
		}
	}
	block := func(label string, values ...string) {
		var body []string
		for _, v := range values {
			if v != "" {
				body = append(body, wrapText(hide(v), max(8, w-2))...)
			}
		}
		if len(body) == 0 {
			return
		}
		out = append(out, st.Detail.Label.Render(label))
		for _, l := range body {
			out = append(out, "  "+st.Detail.Code.Render(l))
		}
	}

	badge, bs := st.riskBadge(r.Class.Risk)
	out = append(out, bs.Render(badge)+" "+st.Bold.Render(clip(requestTitle(*r), max(1, w-5))))
	field("needs", needs)
	field("target", orDash(r.Class.Target))
	for _, n := range r.Notes {
		field("note", n)
	}
	risk := strings.ToUpper(r.Class.Risk.OrCritical().String()) + ", derived by Ony"
	if r.Class.Matcher != "" {
		risk += " (matcher " + r.Class.Matcher + ")"
	}
	field("risk", risk)
	hint := "none claimed"
	if c.RiskHint != "" {
		hint = "\"" + hide(c.RiskHint) + "\": IGNORED (the agent's own claim never decides)"
	}
	out = append(out, st.Detail.Label.Render(padRight("agent hint", labelW))+st.Detail.Ignored.Render(clip(hint, max(8, w-labelW))))
	// What would run comes before where it comes from.
	block("command", c.Command)
	block("paths", c.Paths...)
	block("url", c.URL)
	block("pattern", c.Pattern)
	field("action", r.Class.Action)
	field("session", orDash(c.SessionID))
	field("harness", c.Harness+eventSuffix(c.Event))
	tool := c.ToolName + " (" + string(c.Kind) + ")"
	if c.MCPServer != "" || c.MCPTool != "" {
		tool += " · mcp " + c.MCPServer + "/" + c.MCPTool
	}
	field("tool", tool)
	field("cwd", hide(c.CWD))
	if c.ProjectDir != c.CWD {
		field("project", hide(c.ProjectDir))
	}
	field("request", r.ID)
	if r.CodeFails > 0 {
		field("codes", strconv.Itoa(r.CodeFails)+" wrong of "+strconv.Itoa(engine.MaxCodeFailures))
	}
	return out, masked
}

// labelled renders one wrapped "label value" field.
func labelled(st *Styles, label, value string, w int) []string {
	var out []string
	for i, l := range wrapText(value, max(8, w-labelW)) {
		if i == 0 {
			out = append(out, st.Detail.Label.Render(padRight(label, labelW))+st.Warn.Render(l))
		} else {
			out = append(out, strings.Repeat(" ", labelW)+st.Warn.Render(l))
		}
	}
	return out
}

func eventSuffix(ev string) string {
	if ev == "" {
		return ""
	}
	return " · " + ev
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// view renders the detail panel: a title line and the viewport, h lines in
// all.
func (d *detail) view(st *Styles, title string, w, h int, focused bool) []string {
	lines := make([]string, 0, h)
	info := title
	if focused {
		info += " · ↑↓ scroll · tab back"
	} else if d.vp.TotalLineCount() > d.vp.Height() {
		info += " · tab to scroll"
	}
	lines = append(lines, sectionTitle(st, "Detail", info, w, focused))
	if h > 1 {
		lines = append(lines, strings.Split(d.vp.View(), "\n")...)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines[:h]
}
