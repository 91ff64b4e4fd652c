package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
)

// Keyboard and mouse handling. A dialog, when open, takes every key; K
// engages the kill switch from anywhere but the session filter, where it is
// a letter to type.

func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	if m.quitting {
		return nil
	}
	return tea.Batch(m.noteActivity(), m.dispatchKey(k))
}

// activityEvery is how often a key press is reported to the engine: a
// person at the keyboard keeps the engine attended.
const activityEvery = time.Second

// noteActivity tells the engine a key was pressed, at most once per
// activityEvery.
func (m *Model) noteActivity() tea.Cmd {
	now := m.now()
	if now.Sub(m.activitySent) < activityEvery {
		return nil
	}
	m.activitySent = now
	eng := m.deps.Engine
	return func() tea.Msg { eng.Activity(); return nil }
}

func (m *Model) dispatchKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.confirm.open():
		return m.keyConfirm(k)
	case m.touchDlg.open:
		return m.keyTouch(k)
	case m.code.open:
		return m.keyCode(k)
	case m.rememberDlg.open:
		return m.keyRemember(k)
	case m.filtering:
		return m.keyFilter(k)
	case m.showHelp:
		return m.keyHelp(k)
	case m.stats.open:
		return m.keyStats(k)
	case m.rules.open:
		return m.keyRules(k)
	}
	return m.keyMain(k)
}

func isCtrlC(k tea.KeyPressMsg) bool { return k.String() == "ctrl+c" }

func (m *Model) keyMain(k tea.KeyPressMsg) tea.Cmd {
	keys := &m.keys
	switch {
	case key.Matches(k, keys.Quit):
		return m.askQuit()
	case key.Matches(k, keys.Help):
		m.showHelp, m.helpScroll = true, 0
	case key.Matches(k, keys.KillSwitch):
		if m.snap.KillSwitch {
			m.confirm = confirm{kind: confirmRelease, touch: m.snap.RequireTouch.Valid()}
			return nil
		}
		return m.engageKill()
	case key.Matches(k, keys.Approve):
		return m.decide(true)
	case key.Matches(k, keys.Deny):
		return m.decide(false)
	case key.Matches(k, keys.Touch):
		return m.touch()
	case key.Matches(k, keys.Remember):
		return m.remember()
	case k.String() == "Y":
		m.setStatus(statusHint, "no YubiKey is enrolled: run `ony-tui enroll yubikey` to approve with a touch")
	case key.Matches(k, keys.ApproveHint):
		m.setStatus(statusHint, "press A (shift+a) to approve: Enter, space and a never decide")
	case key.Matches(k, keys.DenyHint):
		m.setStatus(statusHint, "press D (shift+d) to deny")
	case key.Matches(k, keys.Away):
		return awayCmd(m.ctx, m.snapper, !m.snap.Away)
	case key.Matches(k, keys.Filter):
		m.filtering = true
		m.filter.SetValue(m.queue.filter)
		return m.filter.Focus()
	case key.Matches(k, keys.Reverify):
		return m.startReverify()
	case key.Matches(k, keys.Stats):
		return m.openStats()
	case key.Matches(k, keys.Rules):
		return m.openRules()
	case key.Matches(k, keys.Reveal):
		m.toggleReveal()
	case key.Matches(k, keys.Dismiss):
		m.dismiss()
	case key.Matches(k, keys.Focus):
		m.focusDetail = !m.focusDetail
	case key.Matches(k, keys.Cancel):
		switch {
		case m.focusDetail:
			m.focusDetail = false
		case m.queue.filter != "":
			m.queue.setFilter("")
			m.filter.Reset()
		}
	default:
		m.navigate(k)
	}
	return nil
}

// navigate moves the selection, or scrolls the detail when it has focus.
func (m *Model) navigate(k tea.KeyPressMsg) {
	keys := &m.keys
	if m.focusDetail {
		vp := &m.detail.vp
		switch {
		case key.Matches(k, keys.Up):
			vp.ScrollUp(1)
		case key.Matches(k, keys.Down):
			vp.ScrollDown(1)
		case key.Matches(k, keys.PageUp):
			vp.PageUp()
		case key.Matches(k, keys.PageDown):
			vp.PageDown()
		case key.Matches(k, keys.Home):
			vp.GotoTop()
		case key.Matches(k, keys.End):
			vp.GotoBottom()
		}
		return
	}
	page := max(1, m.queue.rows-1)
	switch {
	case key.Matches(k, keys.Up):
		m.queue.move(-1)
	case key.Matches(k, keys.Down):
		m.queue.move(1)
	case key.Matches(k, keys.PageUp):
		m.queue.move(-page)
	case key.Matches(k, keys.PageDown):
		m.queue.move(page)
	case key.Matches(k, keys.Home):
		m.queue.moveTo(0)
	case key.Matches(k, keys.End):
		m.queue.moveTo(len(m.queue.visible) - 1)
	}
}

// decidable returns the selected request when one can be decided now, and
// otherwise says why not in the status line.
func (m *Model) decidable() (engine.Request, bool) {
	r, ok := m.queue.current()
	switch {
	case !ok:
		m.setStatus(statusHint, "no request is selected")
		return r, false
	case m.inflight != "":
		m.setStatus(statusHint, "still deciding the previous request…")
		return r, false
	}
	return r, true
}

// decide approves or denies the selected request. A request that needs a
// code opens the code dialog instead; the engine checks the code.
func (m *Model) decide(approve bool) tea.Cmd {
	r, ok := m.decidable()
	switch {
	case !ok:
		return nil
	case m.queue.moved:
		// The request the person was looking at went away; make them look
		// at the one now selected before anything is decided.
		m.queue.moved = false
		verb := "A to approve"
		if !approve {
			verb = "D to deny"
		}
		m.setStatus(statusHint, "selection changed to \""+requestTitle(r)+"\": check it, then press "+verb)
		return nil
	}
	if approve {
		if m.snap.KillSwitch {
			m.setStatus(statusHint, "the kill switch is engaged: nothing can be approved")
			return nil
		}
		if (config.Config{RequireTouch: m.snap.RequireTouch}).TouchRequired(r.Class.Risk) {
			m.addErr("\"" + requestTitle(r) + "\" needs a YubiKey touch (approvals.require_touch: " + m.snap.RequireTouch.String() + "): the keypad alone cannot approve it; press Y")
			return nil
		}
		if r.Need == config.ApproveCode {
			if !m.snap.CodeEnrolled {
				m.addErr("\"" + requestTitle(r) + "\" needs a 6-digit code and no code device is enrolled: run `ony-tui enroll totp`")
				return nil
			}
			return m.code.openFor(r)
		}
	}
	m.inflight = r.ID
	m.noteOwn(r.ID)
	return decideCmd(m.ctx, m.snapper, r, approve, "", m.deps.Label)
}

// noteOwn records that this console is deciding id, with the requests on
// screen now.
func (m *Model) noteOwn(id string) {
	q := &m.queue
	seen := map[string]bool{}
	for r := q.offset; r < len(q.visible) && r < q.offset+max(1, q.rows); r++ {
		seen[q.all[q.visible[r]].ID] = true
	}
	m.own, m.ownMoved = ownDecision{id: id, seen: seen}, false
}

// toggleReveal shows or hides the secrets masked in the selected request's
// details. Only that request is revealed, until the selection moves.
func (m *Model) toggleReveal() {
	r, ok := m.queue.current()
	switch {
	case !ok:
		return
	case m.reveal == r.ID:
		m.reveal = ""
		m.setStatus(statusInfo, "secrets masked again")
	default:
		m.reveal = r.ID
		m.setStatus(statusHint, "secrets of this request shown: r masks them again")
	}
}

// engageKill engages the kill switch at once.
func (m *Model) engageKill() tea.Cmd {
	if m.snap.KillSwitch {
		return nil
	}
	m.setStatus(statusHint, "engaging the kill switch…")
	return killSwitchCmd(m.ctx, m.snapper, true, len(m.snap.Pending), "")
}

// askQuit quits at once when nothing waits or the engine runs elsewhere
// (detaching denies nothing), and otherwise asks first.
func (m *Model) askQuit() tea.Cmd {
	if len(m.snap.Pending) == 0 || m.deps.Attached {
		return m.quit()
	}
	m.confirm = confirm{kind: confirmQuit}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	if m.ledger.run != nil {
		m.ledger.run.cancel()
	}
	m.stop()
	return tea.Quit
}

func (m *Model) keyConfirm(k tea.KeyPressMsg) tea.Cmd {
	kind := m.confirm.kind
	m.confirm = confirm{}
	yes := key.Matches(k, m.keys.Confirm)
	switch kind {
	case confirmQuit:
		switch {
		case yes || isCtrlC(k):
			return m.quit()
		case key.Matches(k, m.keys.KillSwitch):
			return m.engageKill()
		}
		m.setStatus(statusInfo, "not quitting")
	case confirmRelease:
		if yes {
			if m.snap.RequireTouch.Valid() {
				m.setStatus(statusHint, "touch your YubiKey to release the kill switch…")
			} else {
				m.setStatus(statusHint, "releasing the kill switch…")
			}
			return killSwitchCmd(m.ctx, m.snapper, false, 0, "")
		}
		m.setStatus(statusInfo, "kill switch stays engaged")
	}
	return nil
}

func (m *Model) keyCode(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case isCtrlC(k):
		m.code.close()
		return m.askQuit()
	case key.Matches(k, m.keys.KillSwitch):
		m.code.close()
		return m.engageKill()
	case key.Matches(k, m.keys.Cancel):
		release := m.code.release
		m.code.close()
		if release {
			m.setStatus(statusInfo, "backed out: the kill switch stays engaged")
		} else {
			m.setStatus(statusInfo, "backed out: nothing was decided")
		}
		return nil
	case m.code.busy:
		return nil
	case key.Matches(k, m.keys.Submit):
		v := m.code.value()
		if len(v) != codeDigits {
			m.code.err = "a code is 6 digits"
			return nil
		}
		m.code.busy, m.code.err = true, ""
		if m.code.release {
			return killSwitchCmd(m.ctx, m.snapper, false, 0, v)
		}
		m.inflight = m.code.req.ID
		m.noteOwn(m.code.req.ID)
		return decideCmd(m.ctx, m.snapper, m.code.req, true, v, m.deps.Label)
	}
	var cmd tea.Cmd
	m.code, cmd = m.code.update(k)
	return cmd
}

func (m *Model) keyFilter(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case isCtrlC(k):
		m.filtering = false
		m.filter.Blur()
		return m.askQuit()
	case key.Matches(k, m.keys.Cancel):
		m.filtering = false
		m.filter.Blur()
		m.filter.Reset()
		m.queue.setFilter("")
		return nil
	case key.Matches(k, m.keys.Submit):
		m.filtering = false
		m.filter.Blur()
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(k)
	m.queue.setFilter(strings.TrimSpace(m.filter.Value()))
	return cmd
}

func (m *Model) keyHelp(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case isCtrlC(k):
		m.showHelp = false
		return m.askQuit()
	case key.Matches(k, m.keys.KillSwitch):
		m.showHelp = false
		if m.snap.KillSwitch {
			m.confirm = confirm{kind: confirmRelease, touch: m.snap.RequireTouch.Valid()}
			return nil
		}
		return m.engageKill()
	case key.Matches(k, m.keys.Help, m.keys.Cancel, m.keys.Quit):
		m.showHelp = false
	case key.Matches(k, m.keys.Down):
		m.scrollHelp(1)
	case key.Matches(k, m.keys.Up):
		m.scrollHelp(-1)
	case key.Matches(k, m.keys.PageDown):
		m.scrollHelp(m.helpRoom() - 2)
	case key.Matches(k, m.keys.PageUp):
		m.scrollHelp(-(m.helpRoom() - 2))
	case key.Matches(k, m.keys.Home):
		m.scrollHelp(-len(m.helpBody(m.width)))
	case key.Matches(k, m.keys.End):
		m.scrollHelp(len(m.helpBody(m.width)))
	}
	return nil
}

// onPaste sends a paste to the open input; elsewhere it is ignored, so
// pasted text can never press A.
func (m *Model) onPaste(p tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	switch {
	case m.touchDlg.open && m.touchDlg.phase != touchWaiting:
		if m.touchDlg.phase == touchCode {
			p.Content = digitsOf(p.Content)
		}
		m.touchDlg.input, cmd = m.touchDlg.input.Update(p)
	case m.code.open && !m.code.busy:
		m.code, cmd = m.code.update(p)
	case m.rememberDlg.open && m.rememberDlg.phase == rememberCode && !m.rememberDlg.busy:
		p.Content = digitsOf(p.Content)
		m.rememberDlg.input, cmd = m.rememberDlg.input.Update(p)
	case m.filtering:
		m.filter, cmd = m.filter.Update(p)
		m.queue.setFilter(strings.TrimSpace(m.filter.Value()))
	}
	return cmd
}

// modal reports whether a dialog (or the stats page) covers the panels.
func (m *Model) modal() bool {
	return m.confirm.open() || m.code.open || m.touchDlg.open || m.rememberDlg.open || m.showHelp || m.stats.open || m.rules.open
}

// onClick selects the clicked request, or focuses the detail pane.
func (m *Model) onClick(msg tea.MouseClickMsg) {
	mo := msg.Mouse()
	if m.modal() || m.lay.tooSmall || mo.Button != tea.MouseLeft {
		return
	}
	switch {
	case m.lay.queueRows.contains(mo.X, mo.Y):
		if i, ok := m.queue.rowAt(mo.Y - m.lay.queueRows.y); ok {
			m.queue.moveTo(i)
			m.focusDetail = false
		}
	case m.lay.detail.contains(mo.X, mo.Y):
		m.focusDetail = true
	case m.lay.queue.contains(mo.X, mo.Y):
		m.focusDetail = false
	}
}

// onWheel scrolls the pane under the pointer.
func (m *Model) onWheel(msg tea.MouseWheelMsg) {
	mo := msg.Mouse()
	if m.modal() || m.lay.tooSmall {
		return
	}
	delta := 0
	switch mo.Button {
	case tea.MouseWheelUp:
		delta = -1
	case tea.MouseWheelDown:
		delta = 1
	default:
		return
	}
	switch {
	case m.lay.detail.contains(mo.X, mo.Y):
		if delta < 0 {
			m.detail.vp.ScrollUp(3)
		} else {
			m.detail.vp.ScrollDown(3)
		}
	case m.lay.queue.contains(mo.X, mo.Y):
		m.queue.move(delta)
	}
}
