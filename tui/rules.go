package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
)

// The remembered list (m): the standing answers the engine holds and the
// overlay's rules, as `ony-tui rules` lists them; F forgets the selected
// one. Forgetting only ever makes Ony ask again, so it takes one key.

// rulesView is the remembered list's state.
type rulesView struct {
	open    bool
	loading bool
	answers []engine.StandingAnswer
	rules   []engine.OverlayRule
	err     string
	sel     int
	busy    bool // a forget is in flight
}

// rulesMsg is what the engine remembers, read by rulesCmd.
type rulesMsg struct {
	answers []engine.StandingAnswer
	rules   []engine.OverlayRule
	err     error
	note    string // what a forget did, shown in the status line
	forgot  error  // why a forget failed
}

func (v *rulesView) count() int { return len(v.answers) + len(v.rules) }

// selectedID is the id of the selected entry, "" if none.
func (v *rulesView) selectedID() string {
	switch {
	case v.sel < len(v.answers):
		return v.answers[v.sel].ID
	case v.sel-len(v.answers) < len(v.rules):
		return v.rules[v.sel-len(v.answers)].ID
	}
	return ""
}

func readRules(ctx context.Context, eng Engine) rulesMsg {
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	as, err := eng.StandingAnswers(ctx)
	if err != nil {
		return rulesMsg{err: err}
	}
	rs, err := eng.OverlayRules(ctx)
	return rulesMsg{answers: as, rules: rs, err: err}
}

// rulesCmd reads what the engine remembers.
func rulesCmd(ctx context.Context, eng Engine) tea.Cmd {
	return func() tea.Msg { return readRules(ctx, eng) }
}

// forgetCmd forgets one answer or overlay rule, then reads the list again.
func forgetCmd(ctx context.Context, eng Engine, id string) tea.Cmd {
	return func() tea.Msg {
		fctx, cancel := context.WithTimeout(ctx, engineTimeout)
		var note string
		var err error
		if strings.HasPrefix(id, "owner.") {
			var r engine.OverlayRule
			if r, err = eng.ForgetRule(fctx, id); err == nil {
				note = "forgot " + r.ID + ": " + strings.Join(r.Programs, ", ") + " is unknown (critical) again"
			}
		} else {
			var a engine.StandingAnswer
			if a, err = eng.Forget(fctx, id); err == nil {
				note = "forgot " + a.ID + ": " + a.Describe() + " is asked again"
			}
		}
		cancel()
		msg := readRules(ctx, eng)
		msg.note, msg.forgot = note, err
		return msg
	}
}

func (m *Model) openRules() tea.Cmd {
	m.rules = rulesView{open: true, loading: true}
	return rulesCmd(m.ctx, m.deps.Engine)
}

func (m *Model) onRules(msg rulesMsg) {
	v := &m.rules
	if !v.open {
		return
	}
	v.loading, v.busy = false, false
	v.answers, v.rules, v.err = msg.answers, msg.rules, ""
	if msg.err != nil {
		v.err = msg.err.Error()
	}
	v.sel = min(v.sel, max(0, v.count()-1))
	switch {
	case msg.forgot != nil:
		m.addErr("forgetting: " + msg.forgot.Error())
	case msg.note != "":
		m.setStatus(statusSuccess, msg.note)
	}
}

func (m *Model) keyRules(k tea.KeyPressMsg) tea.Cmd {
	keys := &m.keys
	v := &m.rules
	switch {
	case isCtrlC(k):
		v.open = false
		return m.askQuit()
	case key.Matches(k, keys.Rules, keys.Cancel, keys.Quit):
		v.open = false
	case key.Matches(k, keys.KillSwitch):
		v.open = false
		if m.snap.KillSwitch {
			m.confirm = confirm{kind: confirmRelease}
			return nil
		}
		return m.engageKill()
	case key.Matches(k, keys.Up):
		v.sel = max(0, v.sel-1)
	case key.Matches(k, keys.Down):
		v.sel = min(max(0, v.count()-1), v.sel+1)
	case key.Matches(k, keys.Forget):
		id := v.selectedID()
		if id == "" || v.busy {
			return nil
		}
		v.busy = true
		return forgetCmd(m.ctx, m.deps.Engine, id)
	case key.Matches(k, keys.Approve, keys.Deny):
		m.setStatus(statusHint, "close the list (m) to see and decide the requests")
	}
	return nil
}

// view renders the list as a box w cells wide at most, h lines at most.
func (v *rulesView) view(st *Styles, w, h int) string {
	inner := max(20, min(90, w-4))
	lines := []string{st.Modal.Title.Render("Remembered")}
	row := func(i int, s string) string {
		if i == v.sel {
			return "▸ " + st.Bold.Render(clip(s, inner-2))
		}
		return "  " + clip(s, inner-2)
	}
	switch {
	case v.loading:
		lines = append(lines, "", st.Dim.Render("asking the engine…"))
	case v.err != "":
		for _, l := range wrapText(v.err, inner) {
			lines = append(lines, st.Status.Error.Render(l))
		}
	default:
		lines = append(lines, "", st.Bold.Render("Answers for agent sessions")+st.Dim.Render(" · until the engine stops"))
		if len(v.answers) == 0 {
			lines = append(lines, st.Dim.Render("  none: R on a held request remembers one"))
		}
		for i, a := range v.answers {
			lines = append(lines, row(i, fmt.Sprintf("%s  %s · %s · up to %s · %s %s · used %d",
				a.ID, a.Session, a.Describe(), a.Risk, a.At.Local().Format("15:04"), orDash(a.By), a.Uses)))
		}
		lines = append(lines, "", st.Bold.Render("Programs you classified")+st.Dim.Render(" · taxonomy overlay"))
		if len(v.rules) == 0 {
			lines = append(lines, st.Dim.Render("  none: R on an unknown program classifies it"))
		}
		for i, r := range v.rules {
			lines = append(lines, row(len(v.answers)+i, fmt.Sprintf("%s  %s · %s · %s · %s:%d",
				r.ID, strings.Join(r.Programs, ","), r.Risk, r.Title, filepath.Base(r.File), r.Line)))
		}
	}
	lines = append(lines, "", st.Dim.Render(clip("↑↓ select · F forget · m/esc close", inner)))
	if room := max(5, h-2); len(lines) > room {
		// Keep the selection in view: drop rows from the top.
		cut := len(lines) - room
		lines = append(lines[:1], lines[1+cut:]...)
	}
	return st.Modal.Box.Width(inner + 4).Render(strings.Join(lines, "\n"))
}
