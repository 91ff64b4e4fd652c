package tui

import (
	"strconv"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// seg is one piece of the header: its text, a shorter form for narrow
// terminals (empty: the same), and its priority when the header must
// shed pieces (lower goes first).
type seg struct {
	text, short string
	prio        int
}

// Header priorities.
const (
	prioDetail   = iota // the socket path, the head hash
	prioInfo            // hooks and sessions, the checkpoint, "away off"
	prioState           // the code device, the chain
	prioWarn            // away, no code device, consoles
	prioCritical        // ONY, the demo's code, the kill switch, a broken chain
)

// headerLines renders the header for width w in at most maxLines lines:
// what matters most (the kill switch, a broken chain, the demo's code)
// always; below 100 columns in shorter words and without the socket path
// and the head hash; then, if it still does not fit, without the least
// important pieces.
func (m *Model) headerLines(w, maxLines int) []string {
	st := &m.styles
	s := &m.snap
	wide := w >= 100
	var segs []seg
	add := func(prio int, text, short string) { segs = append(segs, seg{text, short, prio}) }
	add(prioCritical, st.Brand.Render("ONY"), "")
	if m.deps.Note != nil {
		if n := m.deps.Note(); n != "" {
			add(prioCritical, st.Warn.Render(n), "")
		}
	}
	if wide && m.deps.Socket != "" {
		add(prioDetail, "socket "+m.deps.Socket, "")
	}
	if m.deps.Attached {
		add(prioInfo, "attached to the engine", "attached")
	}
	if s.KillSwitch {
		add(prioCritical, st.Bad.Render("KILL SWITCH ENGAGED"), "")
	} else {
		add(prioCritical, "kill switch "+st.Good.Render("off"), "")
	}
	switch {
	case s.Away && s.PhoneConfigured:
		add(prioWarn, st.Warn.Render("AWAY: phone takes over"), st.Warn.Render("AWAY: phone"))
	case s.Away:
		add(prioWarn, st.Warn.Render("AWAY (no phone configured)"), st.Warn.Render("AWAY, no phone"))
	default:
		add(prioInfo, "away "+st.Good.Render("off"), "")
	}
	for _, p := range m.phoneSegments() {
		add(prioWarn, p, "")
	}
	segs = append(segs, m.ledger.summary(st, wide)...)
	switch {
	case !m.haveSnap:
	case s.CodeEnrolled:
		add(prioState, "code device "+st.Good.Render("enrolled"), "code "+st.Good.Render("enrolled"))
	default:
		add(prioWarn, st.Warn.Render("no code device: run `ony-tui enroll totp`"), st.Warn.Render("no code device"))
	}
	switch s := &m.snap; {
	case s.RequireTouch.Valid():
		add(prioState, st.Good.Render("touch required: "+touchLevel(s.RequireTouch)), st.Good.Render("touch: "+touchLevel(s.RequireTouch)))
	case len(s.YubiKeys) > 0:
		add(prioInfo, "YubiKey enrolled · touch not required", "touch not required")
	}
	add(prioInfo, plural(s.Conns, "hook")+" connected, "+plural(s.Sessions, "session")+" waiting",
		plural(s.Conns, "hook")+", "+plural(s.Sessions, "session"))
	if n := len(s.Consoles); n > 1 {
		add(prioWarn, st.Warn.Render(plural(n, "console")+" attached"), st.Warn.Render(plural(n, "console")))
	} else if m.haveSnap && n == 0 {
		add(prioWarn, st.Bad.Render("no console attached"), "")
	}
	sep := st.Dim.Render(" · ")
	texts := func(short bool) []string {
		out := make([]string, len(segs))
		for i, sg := range segs {
			out[i] = sg.text
			if short && sg.short != "" {
				out[i] = sg.short
			}
		}
		return out
	}
	if lines := flow(texts(false), sep, w); len(lines) <= maxLines && wide {
		return lines
	}
	for {
		lines := flow(texts(true), sep, w)
		if len(lines) <= maxLines {
			return lines
		}
		// Shed the least important piece, the last of its rank first.
		drop := -1
		for i, sg := range segs {
			if sg.prio < prioCritical && (drop < 0 || sg.prio <= segs[drop].prio) {
				drop = i
			}
		}
		if drop < 0 {
			return lines[:maxLines]
		}
		segs = append(segs[:drop], segs[drop+1:]...)
	}
}

// touchLevel names the risks a touch is required for.
func touchLevel(rt risk.Level) string {
	if rt == risk.High {
		return "high and critical"
	}
	return rt.String()
}

// killBanner is the line shown under the header while the kill switch is
// engaged.
func (m *Model) killBanner(w int) string {
	text := " ■ KILL SWITCH ENGAGED · every request is denied · K then y to release"
	return m.styles.KillBanner.Render(fit(text, w))
}

// windowTitle tells a background terminal or a tmux pane that something
// waits.
func (m *Model) windowTitle() string {
	switch n := len(m.snap.Pending); {
	case m.snap.KillSwitch:
		return "Ony: KILL SWITCH ENGAGED"
	case n > 0:
		return "Ony: " + strconv.Itoa(n) + " waiting"
	}
	return "Ony"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// problems returns the errors to show, oldest first: the engine's problems
// not yet dismissed and the console's own.
func (m *Model) problems() []engine.Problem {
	var out []engine.Problem
	for _, p := range m.snap.Problems {
		if !m.acked[problemKey(p)] {
			out = append(out, p)
		}
	}
	out = append(out, m.errs...)
	return out
}

// errorLines renders the newest problem in at most two lines.
func (m *Model) errorLines(w int) []string {
	ps := m.problems()
	if len(ps) == 0 {
		return nil
	}
	p := ps[len(ps)-1]
	suffix := " [x dismiss]"
	if len(ps) > 1 {
		suffix = " [+" + strconv.Itoa(len(ps)-1) + " more · x dismiss]"
	}
	lines := wrapText("! "+p.Time.Format(time.TimeOnly)+" "+p.Message+suffix, w)
	if len(lines) > 2 {
		lines = []string{lines[0], clip(lines[1]+" "+lines[2], w)}
	}
	for i := range lines {
		lines[i] = m.styles.Status.Error.Render(lines[i])
	}
	return lines
}

// problemKey identifies an engine problem for dismissal.
func problemKey(p engine.Problem) string {
	return strconv.FormatInt(p.Time.UnixNano(), 10) + "|" + p.Message
}
