package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// rect is a region of the screen in cells.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// layout is where everything goes at the current size. It is computed in
// Update (relayout), so View only draws and mouse clicks can be mapped.
type layout struct {
	tooSmall bool
	wide     bool // the detail pane sits beside the queue
	header   []string
	banner   bool
	body     rect // everything between the header (and banner) and the errors
	errs     []string
	queue    rect // the queue panel, title included
	// queueRows is where the request rows are (below the title and the
	// column names).
	queueRows rect
	detail    rect // title included
	ledger    rect // title included; h == 0 when hidden
}

// relayout sizes every panel for the terminal and refreshes the detail
// content for the selection.
func (m *Model) relayout() {
	W, H := m.width, m.height
	m.lay = layout{}
	if W < MinWidth || H < MinHeight {
		m.lay.tooSmall = true
		return
	}
	m.help.SetWidth(W)
	maxHeader := 3
	if W < 100 || H < 20 {
		maxHeader = 2
	}
	header := m.headerLines(W, maxHeader)
	errs := m.errorLines(W)
	banner := m.snap.KillSwitch
	fixed := func() int {
		n := len(header) + len(errs) + 2 // status and help lines
		if banner {
			n++
		}
		return n
	}
	for H-fixed() < 6 && len(errs) > 1 {
		errs = errs[:1]
	}
	for H-fixed() < 6 && len(header) > 1 {
		header = m.headerLines(W, len(header)-1)
	}
	top := len(header)
	if banner {
		top++
	}
	bodyH := H - fixed()
	l := layout{header: header, banner: banner, errs: errs, body: rect{0, top, W, bodyH}}

	if W >= wideWidth && bodyH >= 12 {
		l.wide = true
		lw := W * 11 / 20
		lh := max(4, min(14, bodyH/3))
		l.queue = rect{0, top, lw, bodyH - lh}
		l.ledger = rect{0, top + bodyH - lh, lw, lh}
		l.detail = rect{lw + 1, top, W - lw - 1, bodyH}
	} else {
		lh := 0
		if bodyH >= 14 {
			lh = max(3, min(9, bodyH/5+1))
		}
		rest := bodyH - lh
		qh := max(3, min(rest-2, rest*2/5))
		l.queue = rect{0, top, W, qh}
		l.detail = rect{0, top + qh, W, rest - qh}
		if lh > 0 {
			l.ledger = rect{0, top + rest, W, lh}
		}
	}
	skip := 1 // the title
	if l.queue.h >= 4 {
		skip = 2 // and the column names
	}
	l.queueRows = rect{l.queue.x, l.queue.y + skip, l.queue.w, l.queue.h - skip}
	m.lay = l

	m.queue.setRows(l.queueRows.h)
	m.detail.setSize(l.detail.w, l.detail.h-1)
	switch {
	case m.snap.RequireTouch.Valid() && len(m.snap.YubiKeys) > 0:
		m.detail.touch = m.snap.RequireTouch.String()
	case len(m.snap.YubiKeys) > 0:
		m.detail.touch = "optional"
	default:
		m.detail.touch = ""
	}
	r, ok := m.queue.current()
	if !ok || r.ID != m.reveal {
		m.reveal = "" // revealing is for the request selected when r was pressed
	}
	if ok {
		m.detail.update(&r, &m.styles, m.reveal != "", phoneLine(&r, m.snap.Phone))
	} else {
		m.detail.update(nil, &m.styles, false, "")
	}
	m.keys.Reveal.SetEnabled(m.detail.masked)
	if m.reveal != "" {
		m.keys.Reveal.SetHelp("r", "hide secrets")
	} else {
		m.keys.Reveal.SetHelp("r", "reveal secrets")
	}
}

// render draws the whole screen.
func (m *Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.lay.tooSmall {
		return m.tooSmallView()
	}
	st := &m.styles
	W, l := m.width, &m.lay
	now := m.now()
	lines := make([]string, 0, m.height)
	lines = append(lines, l.header...)
	if l.banner {
		lines = append(lines, m.killBanner(W))
	}
	title := ""
	if r, ok := m.queue.current(); ok {
		title = "waited " + fmtAge(now.Sub(r.Arrived)) + " · denied in " + fmtLeft(r.Deadline.Sub(now))
		switch {
		case m.reveal != "":
			title += " · SECRETS SHOWN"
		case m.detail.masked:
			title += " · secrets masked"
		}
	}
	if m.stats.open {
		lines = append(lines, m.stats.lines(st, W, l.body.h)...)
		return m.finish(lines)
	}
	queue := m.queue.view(st, now, l.queue.w, l.queue.h, !m.focusDetail, m.snap.KillSwitch)
	detail := m.detail.view(st, title, l.detail.w, l.detail.h, m.focusDetail)
	var ledger []string
	if l.ledger.h > 0 {
		ledger = m.ledger.view(st, l.ledger.w, l.ledger.h)
	}
	if l.wide {
		left := append(queue, ledger...)
		sep := st.Section.Rule.Render("│")
		for i := range detail {
			lines = append(lines, padRight(left[i], l.queue.w)+sep+detail[i])
		}
	} else {
		lines = append(lines, queue...)
		lines = append(lines, detail...)
		lines = append(lines, ledger...)
	}
	return m.finish(lines)
}

// finish adds the errors, the status line and the key help under the
// body, and draws an open dialog over the whole, below the header, so the
// header (with the demo's code) stays in sight.
func (m *Model) finish(lines []string) string {
	W, l := m.width, &m.lay
	lines = append(lines, l.errs...)
	// help.Model can overflow by one item when its ellipsis does not fit:
	// clip the line to the screen.
	lines = append(lines, m.statusLine(W), clip(m.help.View(m.helpKeys()), W))
	frame := strings.Join(lines, "\n")
	if box := m.modalBox(W); box != "" {
		return overlay(frame, box, W, m.height, l.body.y)
	}
	return frame
}

// statusLine is the filter input, the re-verification progress when the
// ledger panel is hidden, or the transient message.
func (m *Model) statusLine(w int) string {
	st := &m.styles
	switch {
	case m.filtering:
		return m.filter.View()
	case m.ledger.running() && m.lay.ledger.h == 0:
		return m.ledger.progressLine(st, w, "re-verifying", m.ledger.done, m.ledger.total)
	case m.status.text == "":
		if m.queue.filter != "" {
			return st.Dim.Render(clip("session filter \""+m.queue.filter+"\" · / to change · esc clears", w))
		}
		return ""
	}
	style := st.Status.Info
	switch m.status.kind {
	case statusSuccess:
		style = st.Status.Success
	case statusHint:
		style = st.Status.Hint
	}
	return style.Render(clip(m.status.text, w))
}

// helpKeys is the help line's key map for the current state.
func (m *Model) helpKeys() help.KeyMap {
	k := &m.keys
	switch {
	case m.touchDlg.open && m.touchDlg.phase == touchWaiting:
		return bindings{k.Deny, k.KillSwitch}
	case m.touchDlg.open:
		return bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back out")),
			k.KillSwitch,
		}
	case m.code.open:
		return bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit code")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back out")),
			k.KillSwitch,
		}
	case m.rememberDlg.open:
		return bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "remember")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back out")),
			k.KillSwitch,
		}
	case m.confirm.open():
		return bindings{k.Confirm, key.NewBinding(key.WithKeys("n"), key.WithHelp("other", "cancel"))}
	case m.filtering:
		return bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	case m.showHelp:
		return bindings{key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help")),
			key.NewBinding(key.WithKeys("down"), key.WithHelp("↑↓", "scroll")), k.KillSwitch}
	case m.stats.open:
		return bindings{key.NewBinding(key.WithKeys("s"), key.WithHelp("s/esc", "back to the requests")), k.KillSwitch}
	case m.rules.open:
		return bindings{k.Forget, key.NewBinding(key.WithKeys("m"), key.WithHelp("m/esc", "back to the requests")), k.KillSwitch}
	}
	return k
}

// modalBox is the open dialog, if any.
func (m *Model) modalBox(w int) string {
	switch {
	case m.confirm.open():
		return m.confirm.view(&m.styles, w, len(m.snap.Pending))
	case m.touchDlg.open:
		return m.touchDlg.view(&m.styles, w, m.snap.YubiKeys, m.now())
	case m.code.open:
		return m.code.view(&m.styles, w)
	case m.rememberDlg.open:
		return m.rememberDlg.view(&m.styles, w)
	case m.showHelp:
		return m.helpBox(w)
	case m.rules.open:
		return m.rules.view(&m.styles, w, m.height)
	}
	return ""
}

// helpInner is the text width of the help overlay at width w.
func helpInner(w int) int { return max(20, min(76, w-4)) }

// helpBody is the help overlay's text: the keys in columns when they fit
// side by side and in one column when they do not, then the notes.
func (m *Model) helpBody(w int) []string {
	st := &m.styles
	inner := helpInner(w)
	notes := []string{
		"Only A (shift+a) approves and D (shift+d) denies the selected request.",
		"Enter, space and lowercase a/d never decide. Critical requests also need the 6-digit code.",
		"K engages the kill switch at once, from any screen; releasing it takes K, then y.",
		"When the selected request leaves the queue because it timed out or another console answered, the next A or D only confirms the new selection.",
		"R remembers the answer for the agent session (this exact call, or the action on its target) and approves the request; critical ones need the code; Ony's own files and hook settings are never remembered.",
		"Secrets in a request's command, paths and URL are masked; r reveals them for the selected request until the selection moves.",
		"m lists what is remembered (answers for agent sessions, programs classified in the overlay); F there forgets the selected one.",
		"s shows what Ony has been deciding: decisions per hour by risk, what was held and how it ended, how long answers took.",
		"Mouse: click a request to select it; the wheel scrolls the pane under the pointer.",
	}
	var cols [][]string
	widths := []int{}
	for _, group := range m.keys.FullHelp() {
		kw := 0
		for _, b := range group {
			kw = max(kw, ansiWidth(b.Help().Key))
		}
		var col []string
		cw := 0
		for _, b := range group {
			h := b.Help()
			line := st.Help.FullKey.Render(padRight(h.Key, kw)) + " " + st.Help.FullDesc.Render(h.Desc)
			col = append(col, line)
			cw = max(cw, ansiWidth(line))
		}
		cols = append(cols, col)
		widths = append(widths, cw)
	}
	const gap = 3
	total := (len(cols) - 1) * gap
	for _, cw := range widths {
		total += cw
	}
	body := []string{st.Modal.Title.Render("Ony console keys"), ""}
	if total <= inner {
		rows := 0
		for _, c := range cols {
			rows = max(rows, len(c))
		}
		for r := 0; r < rows; r++ {
			var b strings.Builder
			for i, c := range cols {
				cell := ""
				if r < len(c) {
					cell = c[r]
				}
				if i < len(cols)-1 {
					cell = padRight(cell, widths[i]+gap)
				}
				b.WriteString(cell)
			}
			body = append(body, strings.TrimRight(b.String(), " "))
		}
	} else {
		for i, c := range cols {
			if i > 0 {
				body = append(body, "")
			}
			for _, l := range c {
				body = append(body, clip(l, inner))
			}
		}
	}
	body = append(body, "")
	for _, n := range notes {
		body = append(body, wrapText(n, inner)...)
	}
	return body
}

// helpRoom is how many lines of the help body the overlay shows at once.
func (m *Model) helpRoom() int { return max(3, m.height-2) }

// helpBox is the full help overlay. Taller than the screen, it shows a
// window of the body that ↑/↓ scroll, and says there is more.
func (m *Model) helpBox(w int) string {
	st := &m.styles
	body := m.helpBody(w)
	if room := m.helpRoom(); len(body) > room {
		top := max(0, min(m.helpScroll, len(body)-(room-1)))
		shown := body[top : top+room-1]
		more := "↑↓ scroll · " + strconv.Itoa(top+1) + "–" + strconv.Itoa(top+room-1) + " of " + strconv.Itoa(len(body)) + " lines"
		body = append(append([]string{}, shown...), st.Dim.Render(clip(more, helpInner(w))))
	}
	return st.Modal.Box.Render(strings.Join(body, "\n"))
}

// scrollHelp moves the help overlay's window by delta lines, within the
// body.
func (m *Model) scrollHelp(delta int) {
	limit := max(0, len(m.helpBody(m.width))-(m.helpRoom()-1))
	m.helpScroll = max(0, min(limit, m.helpScroll+delta))
}

// overlay draws box centred over frame, but no higher than line top (the
// header stays visible when there is room). A box taller than the screen
// is cut so the frame keeps exactly h lines.
func overlay(frame, box string, w, h, top int) string {
	if lines := strings.Split(box, "\n"); len(lines) > h {
		box = strings.Join(lines[:h], "\n")
	}
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	x, y := max(0, (w-bw)/2), max(0, (h-bh)/2)
	if y < top {
		y = max(0, min(top, h-bh))
	}
	return lipgloss.NewCompositor(
		lipgloss.NewLayer(frame),
		lipgloss.NewLayer(box).X(x).Y(y).Z(1),
	).Render()
}

// tooSmallView replaces the layout when the terminal is below the minimum.
// It still says what waits and that K works.
func (m *Model) tooSmallView() string {
	st := &m.styles
	w := m.width
	kill := "kill switch off"
	if m.snap.KillSwitch {
		kill = st.Bad.Render("KILL SWITCH ENGAGED")
	}
	lines := []string{
		st.Brand.Render("ONY") + " terminal too small",
		clip(strconv.Itoa(m.width)+"x"+strconv.Itoa(m.height)+", needs "+strconv.Itoa(MinWidth)+"x"+strconv.Itoa(MinHeight), w),
		"",
		clip(strconv.Itoa(len(m.snap.Pending))+" waiting · ", w) + kill,
		clip("K kill switch · q quit", w),
	}
	if m.confirm.open() {
		lines = append(lines, "", st.Modal.Danger.Render(clip(m.confirmShort(), w)))
	}
	if m.code.open {
		lines = append(lines, "", clip("enlarge the terminal to type the code · esc backs out", w))
	}
	if m.touchDlg.open && m.touchDlg.phase == touchWaiting {
		lines = append(lines, "", st.Warn.Render(clip("Touch your YubiKey ("+serials(m.snap.YubiKeys, m.touchDlg.req.TouchSerial)+")", w)))
	} else if m.touchDlg.open {
		lines = append(lines, "", clip("enlarge the terminal to type · esc backs out", w))
	}
	return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, strings.Join(lines, "\n"))
}

// confirmShort is the open confirmation in one line.
func (m *Model) confirmShort() string {
	if m.confirm.kind == confirmQuit {
		return plural(len(m.snap.Pending), "request") + " will be denied: y quits"
	}
	return "release the kill switch? y releases"
}

func ansiWidth(s string) int { return ansi.StringWidth(s) }
