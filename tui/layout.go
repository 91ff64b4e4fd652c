package tui

import (
	"strconv"
	"strings"

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
	header := m.headerLines(W)
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
		header = header[:len(header)-1]
	}
	top := len(header)
	if banner {
		top++
	}
	bodyH := H - fixed()
	l := layout{header: header, banner: banner, errs: errs}

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
	lines = append(lines, l.errs...)
	// help.Model can overflow by one item when its ellipsis does not fit:
	// clip the line to the screen.
	lines = append(lines, m.statusLine(W), clip(m.help.View(m.helpKeys()), W))
	frame := strings.Join(lines, "\n")
	if box := m.modalBox(W); box != "" {
		return overlay(frame, box, W, m.height)
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
	case m.confirm.open():
		return bindings{k.Confirm, key.NewBinding(key.WithKeys("n"), key.WithHelp("other", "cancel"))}
	case m.filtering:
		return bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	case m.showHelp:
		return bindings{key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help")), k.KillSwitch}
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
	case m.showHelp:
		return m.helpBox(w)
	}
	return ""
}

// helpBox is the full help overlay.
func (m *Model) helpBox(w int) string {
	st := &m.styles
	h := m.help
	h.ShowAll = true
	h.SetWidth(max(20, w-8))
	notes := []string{
		"Only A (shift+a) approves and D (shift+d) denies the selected request.",
		"Enter, space and lowercase a/d never decide. Critical requests also need the 6-digit code.",
		"K engages the kill switch at once, from any screen; releasing it takes K, then y.",
		"When the selected request leaves the queue, the next A or D only confirms the new selection.",
		"Secrets in a request's command, paths and URL are masked; r reveals them for the selected request until the selection moves.",
		"Mouse: click a request to select it; the wheel scrolls the pane under the pointer.",
	}
	inner := max(20, min(76, w-6))
	var body []string
	body = append(body, st.Modal.Title.Render("Ony console keys"), "")
	body = append(body, strings.Split(h.View(m.keys), "\n")...)
	body = append(body, "")
	for _, n := range notes {
		body = append(body, wrapText(n, inner)...)
	}
	// The box must fit the screen: the keys come first, the notes give way.
	if room := m.height - 2; len(body) > room {
		body = body[:max(1, room)]
	}
	return st.Modal.Box.Render(strings.Join(body, "\n"))
}

// overlay draws box centred over frame. A box taller than the screen is
// cut so the frame keeps exactly h lines.
func overlay(frame, box string, w, h int) string {
	if lines := strings.Split(box, "\n"); len(lines) > h {
		box = strings.Join(lines[:h], "\n")
	}
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	x, y := max(0, (w-bw)/2), max(0, (h-bh)/2)
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
