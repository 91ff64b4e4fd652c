package tui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/internal/humanize"
)

// Handlers for the results of commands: engine snapshots, decisions, the
// kill switch, the away state and the ledger.

// applySnapshot takes a new engine state. An older snapshot than the one
// shown is dropped. New requests ring the bell.
func (m *Model) applySnapshot(s snapshotMsg) tea.Cmd {
	var cmds []tea.Cmd
	if s.watch {
		cmds = append(cmds, watchCmd(m.ctx, m.snapper))
	}
	if s.seq <= m.snapSeq {
		return tea.Batch(cmds...)
	}
	m.snapSeq, m.snap, m.haveSnap = s.seq, s.snap, true
	m.keys.Touch.SetEnabled(len(s.snap.YubiKeys) > 0)

	arrived := false
	seen := make(map[string]bool, len(s.snap.Pending))
	for _, r := range s.snap.Pending {
		if !m.seen[r.ID] {
			arrived = true
		}
		seen[r.ID] = true
	}
	elsewhere := m.answeredElsewhere(seen, s.snap.Decided)
	m.seen = seen
	if arrived {
		cmds = append(cmds, bellCmd())
	}

	prev := m.queue.selected
	m.queue.setRequests(s.snap.Pending)
	if m.queue.moved && prev == m.own.id && m.own.seen[m.queue.selected] {
		// The person's own decision took the request away, and the new
		// selection was on screen when they pressed the key.
		m.queue.moved, m.ownMoved = false, true
	}
	switch r, ok := m.queue.current(); {
	case m.queue.moved && prev != m.queue.selected && ok:
		msg := "The selected request is no longer waiting; now selected: " + requestTitle(r)
		if elsewhere != "" {
			msg = elsewhere + "; now selected: " + requestTitle(r)
		}
		m.setStatus(statusHint, msg)
	case elsewhere != "":
		m.setStatus(statusInfo, elsewhere)
	}
	if d := &m.touchDlg; d.open {
		if r, ok := m.pendingByID(d.req.ID); ok {
			d.req = r
		} else if d.phase != touchWaiting {
			m.addErr("\"" + requestTitle(d.req) + "\" is no longer waiting (decided, timed out or withdrawn): nothing approved")
			d.close()
		}
	}
	if d := &m.rememberDlg; d.open && !d.busy && !seen[d.req.ID] {
		m.addErr("\"" + requestTitle(d.req) + "\" is no longer waiting (decided, timed out or withdrawn): nothing remembered")
		d.close()
	}
	if m.code.open && m.code.release && !m.code.busy && !s.snap.KillSwitch {
		m.code.close()
		m.setStatus(statusInfo, "the kill switch was released elsewhere")
	}
	if m.code.open && !m.code.release && !m.code.busy && !seen[m.code.req.ID] {
		m.addErr("\"" + requestTitle(m.code.req) + "\" is no longer waiting (decided, timed out or withdrawn): nothing approved")
		m.code.close()
	}

	// Keep only the dismissals of problems the engine still reports.
	if len(m.acked) > 0 {
		acked := make(map[string]bool, len(m.acked))
		for _, p := range s.snap.Problems {
			if k := problemKey(p); m.acked[k] {
				acked[k] = true
			}
		}
		m.acked = acked
	}
	return tea.Batch(cmds...)
}

// pendingByID finds a waiting request in the current snapshot.
func (m *Model) pendingByID(id string) (engine.Request, bool) {
	for _, r := range m.snap.Pending {
		if r.ID == id {
			return r, true
		}
	}
	return engine.Request{}, false
}

// onDecided shows the outcome of an approve or deny.
func (m *Model) onDecided(msg decidedMsg) tea.Cmd {
	m.inflight = ""
	if msg.err != nil && m.own.id == msg.id {
		// Not decided here after all (another console, the deadline): a
		// selection that moved was not the person's doing.
		m.own = ownDecision{}
		if m.ownMoved {
			m.queue.moved, m.ownMoved = true, false
		}
	}
	cmd := m.applySnapshot(msg.snap)
	if m.own.id == msg.id {
		m.own, m.ownMoved = ownDecision{}, false
	}
	if msg.touch {
		m.onTouched(msg)
		return cmd
	}
	forCode := m.code.open && m.code.req.ID == msg.id
	switch err := msg.err; {
	case err == nil:
		if forCode {
			m.code.close()
		}
		if msg.approve {
			how := ""
			if msg.withCode {
				how = " with code"
			}
			m.setStatus(statusSuccess, "approved ✓"+how+": "+msg.title)
		} else {
			m.setStatus(statusSuccess, "denied ✗: "+msg.title)
		}
	case errors.Is(err, engine.ErrBadCode):
		if _, still := m.pendingByID(msg.id); forCode && still {
			// Wrong code: keep the dialog open for another try.
			m.code.busy = false
			m.code.err = err.Error()
			m.code.input.Reset()
			return cmd
		}
		if forCode {
			m.code.close()
		}
		m.addErr(err.Error())
	case errors.Is(err, engine.ErrFactorRequired):
		// A hardened install: a keypress alone never approves. Say why,
		// and ask for the code at once when there is a code device.
		r, still := m.pendingByID(msg.id)
		if still && m.snap.CodeEnrolled && msg.approve {
			m.setStatus(statusHint, "hardened install: a keypress alone cannot approve (code the agent runs could press keys): type the 6-digit code")
			return tea.Batch(cmd, m.code.openFor(r))
		}
		if forCode {
			m.code.close()
		}
		m.addErr("hardened install: a keypress alone cannot approve, and no code device is enrolled: approve with a YubiKey touch or on the phone, or enrol a code (sudo -u ony ony-tui enroll totp --system)")
	case errors.Is(err, engine.ErrCodeRequired):
		r, still := m.pendingByID(msg.id)
		if still && m.snap.CodeEnrolled && msg.approve {
			return tea.Batch(cmd, m.code.openFor(r))
		}
		if forCode {
			m.code.close()
		}
		m.addErr(err.Error())
	case errors.Is(err, engine.ErrNotPending):
		if forCode {
			m.code.close()
		}
		m.addErr("\"" + msg.title + "\" is no longer waiting (decided, timed out or withdrawn)")
	case errors.Is(err, engine.ErrKillSwitch):
		if forCode {
			m.code.close()
		}
		m.addErr("the kill switch is engaged: nothing can be approved until it is released")
	default:
		if forCode {
			m.code.close()
		}
		m.addErr("deciding \"" + msg.title + "\": " + err.Error())
	}
	return cmd
}

// onKillSwitch shows the outcome of engaging or releasing the kill switch.
// The engine reports its own failures as problems, shown in the error area.
func (m *Model) onKillSwitch(msg killSwitchMsg) tea.Cmd {
	cmd := m.applySnapshot(msg.snap)
	forCode := m.code.open && m.code.release
	switch {
	case !msg.engage && errors.Is(msg.err, engine.ErrFactorRequired) && !msg.withCode && m.snap.CodeEnrolled:
		m.setStatus(statusHint, "hardened install: only the 6-digit code releases the kill switch")
		return tea.Batch(cmd, m.code.openForRelease())
	case !msg.engage && forCode && errors.Is(msg.err, engine.ErrBadCode) && m.snap.KillSwitch:
		m.code.busy, m.code.err = false, msg.err.Error()
		m.code.input.Reset()
		return cmd
	case !msg.engage && errors.Is(msg.err, engine.ErrReleaseNeedsTouch):
		why := strings.TrimPrefix(msg.err.Error(), engine.ErrReleaseNeedsTouch.Error()+": ")
		m.setStatus(statusHint, "kill switch still engaged, touch required: "+why)
	case msg.err != nil && msg.engage:
		m.setStatus(statusHint, "kill switch ENGAGED, with an error (below)")
	case msg.err != nil:
		m.setStatus(statusHint, "kill switch still engaged: release failed (below)")
	case msg.engage:
		m.setStatus(statusSuccess, "kill switch ENGAGED: "+plural(msg.denied, "waiting request")+" denied")
	default:
		m.setStatus(statusSuccess, "kill switch released: requests follow the normal policy again")
	}
	if forCode {
		m.code.close()
	}
	return cmd
}

// onAway shows the outcome of changing the away state.
func (m *Model) onAway(msg awayMsg) tea.Cmd {
	cmd := m.applySnapshot(msg.snap)
	switch {
	case msg.err != nil:
		m.setStatus(statusHint, "away state changed, but recording it failed (below)")
	case msg.away && m.snap.PhoneConfigured:
		m.setStatus(statusInfo, "away: requests nobody answers here go to the phone")
	case msg.away:
		m.setStatus(statusInfo, "away: no phone is configured, so requests wait here until their deadline")
	default:
		m.setStatus(statusInfo, "back at the console")
	}
	return cmd
}

// onChain takes a read of the ledger and, for the polling loop, schedules
// the next one.
func (m *Model) onChain(msg chainMsg) tea.Cmd {
	if msg.err != nil {
		m.ledger.err = msg.err
	} else {
		m.ledger.err = nil
		m.ledger.loaded = true
		m.ledger.entries = msg.entries
		m.ledger.setLive(msg.status)
	}
	if msg.rearm && m.deps.Chain != nil {
		return pollChainCmd(m.ctx, m.deps.Chain, m.chainLines(), m.poll)
	}
	return nil
}

// startReverify starts a whole-chain re-verification.
func (m *Model) startReverify() tea.Cmd {
	switch {
	case m.deps.Chain == nil:
		m.setStatus(statusHint, "no ledger is attached to this console")
		return nil
	case m.ledger.running() || m.ledger.starting:
		m.setStatus(statusHint, "a re-verification is already running")
		return nil
	}
	m.ledger.starting = true
	return startReverifyCmd(m.ctx, m.deps.Chain)
}

func (m *Model) onReverifyStarted(msg reverifyStartedMsg) tea.Cmd {
	m.ledger.starting = false
	m.ledger.run, m.ledger.done, m.ledger.total = msg.run, 0, 0
	return waitReverifyCmd(msg.run)
}

func (m *Model) onReverifyProgress(msg reverifyProgressMsg) tea.Cmd {
	if msg.run != m.ledger.run {
		return nil
	}
	m.ledger.done, m.ledger.total = msg.done, msg.total
	return waitReverifyCmd(msg.run)
}

func (m *Model) onReverifyDone(msg reverifyDoneMsg) tea.Cmd {
	if msg.run != m.ledger.run {
		return nil
	}
	m.ledger.run = nil
	if msg.err != nil {
		m.addErr("re-verifying the chain failed: " + msg.err.Error())
		return nil
	}
	m.ledger.setReverified(msg.status)
	if s := msg.status; s.Broken() {
		m.addErr("re-verification: chain BROKEN at " + seqLabel(s.BreakSeq) + ": " + s.BreakReason)
	} else {
		m.setStatus(statusSuccess, "chain re-verified from genesis: "+humanize.Count(s.Verified)+" entries ✓")
	}
	return chainNowCmd(m.ctx, m.deps.Chain, m.chainLines())
}

// answeredElsewhere says who answered the requests that left the queue
// since the last snapshot when another console, the phone or a YubiKey at
// another console did: "Force-push approved at pts/4 on jump (keypad)".
func (m *Model) answeredElsewhere(now map[string]bool, decided []engine.Decided) string {
	var out []string
	for i := len(decided) - 1; i >= 0 && len(out) < 2; i-- {
		d := decided[i]
		if !m.seen[d.ID] || now[d.ID] || d.Via == device.KindEngine || (d.By == m.deps.Label && d.Via != device.KindPhone) {
			continue
		}
		verb := "approved"
		if d.Decision != "approve" {
			verb = "denied"
		}
		where := "on the phone"
		if d.Via != device.KindPhone {
			where = "at " + orDash(d.By) + " (" + string(d.Via) + ")"
		}
		out = append(out, requestTitle(engine.Request{Class: d.Class})+" "+verb+" "+where)
	}
	return strings.Join(out, "; ")
}
