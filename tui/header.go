package tui

import (
	"strconv"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// headerLines renders the header for width w: where hooks connect, how many
// agents are connected, the kill switch, the away state, the chain and the
// code device, flowed onto as few lines as fit.
func (m *Model) headerLines(w int) []string {
	st := &m.styles
	s := &m.snap
	segs := make([]string, 0, 10)
	segs = append(segs, st.Brand.Render("ONY"))
	if m.deps.Socket != "" {
		segs = append(segs, "socket "+m.deps.Socket)
	}
	if m.deps.Attached {
		segs = append(segs, "attached to the engine")
	}
	segs = append(segs, plural(s.Conns, "hook")+" connected, "+plural(s.Sessions, "session")+" waiting")
	if n := len(s.Consoles); n > 1 {
		segs = append(segs, st.Warn.Render(plural(n, "console")+" attached"))
	} else if m.haveSnap && n == 0 {
		segs = append(segs, st.Bad.Render("no console attached"))
	}
	if s.KillSwitch {
		segs = append(segs, st.Bad.Render("KILL SWITCH ENGAGED"))
	} else {
		segs = append(segs, "kill switch "+st.Good.Render("off"))
	}
	switch {
	case s.Away && s.PhoneConfigured:
		segs = append(segs, st.Warn.Render("AWAY: phone takes over"))
	case s.Away:
		segs = append(segs, st.Warn.Render("AWAY (no phone configured)"))
	default:
		segs = append(segs, "away "+st.Good.Render("off"))
	}
	segs = append(segs, m.phoneSegments()...)
	segs = append(segs, m.ledger.summary(st)...)
	switch {
	case !m.haveSnap:
	case s.CodeEnrolled:
		segs = append(segs, "code device "+st.Good.Render("enrolled"))
	default:
		segs = append(segs, st.Warn.Render("no code device: run `ony-tui enroll totp`"))
	}
	switch s := &m.snap; {
	case s.RequireTouch.Valid():
		segs = append(segs, st.Good.Render("touch required: "+touchLevel(s.RequireTouch)))
	case len(s.YubiKeys) > 0:
		segs = append(segs, "YubiKey enrolled · touch not required")
	}
	if m.deps.Note != nil {
		if n := m.deps.Note(); n != "" {
			segs = append(segs, st.Warn.Render(n))
		}
	}
	return flow(segs, st.Dim.Render(" · "), w)
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
