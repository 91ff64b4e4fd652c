package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// What the phone channel (engine/phone) needs from the engine beyond
// Subscribe, Snapshot and Decide: a place to show the call's live state on
// every console, and a deny of the engine's own for the "deny now"
// fallback after a call that settled nothing.

// CallPhase is where a phone call is.
type CallPhase string

// Call phases, in order.
const (
	CallDialling CallPhase = "dialling"
	CallRinging  CallPhase = "ringing"
	CallAnswered CallPhase = "answered"
	CallEnded    CallPhase = "ended"
)

// PhoneStatus is the phone channel as the consoles show it.
type PhoneStatus struct {
	// Enrolled: a phone device is enrolled and Ony may call.
	Enrolled bool
	// To is the owner's number, masked.
	To string
	// Call is the call in progress, or the last one; nil before any.
	Call *CallStatus
}

// CallStatus is one call's live state. It never holds a code: a code
// entered on the keypad is described, never repeated.
type CallStatus struct {
	Phase    CallPhase
	Requests []string // request ids the call is about, oldest first
	Current  string   // the request being asked about now
	Keys     []string // what was pressed and what it meant ("<id> 1 approve", "<id> 1 approve, code accepted")
	Outcome  string   // once ended
	Started  time.Time
	Changed  time.Time
}

func (s PhoneStatus) clone() PhoneStatus {
	if s.Call != nil {
		c := *s.Call
		c.Requests = append([]string(nil), c.Requests...)
		c.Keys = append([]string(nil), c.Keys...)
		s.Call = &c
	}
	return s
}

// SetPhone publishes the phone channel's state for the consoles.
func (e *Engine) SetPhone(s PhoneStatus) {
	e.mu.Lock()
	e.phone = s.clone()
	e.mu.Unlock()
	e.notify()
}

// Phone returns the phone channel's state.
func (e *Engine) Phone() PhoneStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.phone.clone()
}

// DenyNow denies a waiting request at once, signed by the engine, with the
// engine's own reason: the fallback "deny now" after a call that obtained
// no answer.
func (e *Engine) DenyNow(ctx context.Context, id, reason string) error {
	p := e.claim(id)
	if p == nil {
		return fmt.Errorf("request %s: %w", id, ErrNotPending)
	}
	e.finish(ctx, p, verdict.Deny, reason, ledger.KindVerdict, device.KindEngine, nil, 0)
	return nil
}
