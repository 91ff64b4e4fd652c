package console

import (
	"time"

	"github.com/ony-dev/ony-tui/engine"
)

// Phone is the phone channel on the wire: the owner's number, masked, and
// the call in progress or the last one. It never holds a code: keys are
// described ("1 approve, code accepted"), never repeated.
type Phone struct {
	To   string     `json:"to"`
	Call *PhoneCall `json:"call,omitempty"`
}

// PhoneCall is one call's live state.
type PhoneCall struct {
	Phase    string    `json:"phase"` // dialling, ringing, answered, ended
	Requests []string  `json:"requests"`
	Current  string    `json:"current"`
	Keys     []string  `json:"keys"`
	Outcome  string    `json:"outcome"`
	Started  time.Time `json:"started"`
	Changed  time.Time `json:"changed"`
}

// fromPhone converts the engine's phone status; nil when there is nothing
// to show (no phone enrolled and no call yet).
func fromPhone(p engine.PhoneStatus) *Phone {
	if !p.Enrolled && p.Call == nil {
		return nil
	}
	out := &Phone{To: p.To}
	if c := p.Call; c != nil {
		out.Call = &PhoneCall{Phase: string(c.Phase), Requests: append([]string{}, c.Requests...), Current: c.Current,
			Keys: append([]string{}, c.Keys...), Outcome: c.Outcome, Started: c.Started, Changed: c.Changed}
	}
	return out
}

// toPhone converts a received phone state. An unknown phase is shown as
// ended: the console never claims a call it cannot describe is live.
func toPhone(p *Phone, configured bool) engine.PhoneStatus {
	out := engine.PhoneStatus{Enrolled: configured}
	if p == nil {
		return out
	}
	out.To = cleanLabel(p.To)
	if c := p.Call; c != nil {
		phase := engine.CallPhase(c.Phase)
		switch phase {
		case engine.CallDialling, engine.CallRinging, engine.CallAnswered, engine.CallEnded:
		default:
			phase = engine.CallEnded
		}
		call := &engine.CallStatus{Phase: phase, Current: c.Current, Outcome: cleanLabel(c.Outcome), Started: c.Started, Changed: c.Changed}
		for _, r := range c.Requests {
			call.Requests = append(call.Requests, cleanLabel(r))
		}
		for _, k := range c.Keys {
			call.Keys = append(call.Keys, cleanLabel(k))
		}
		out.Call = call
	}
	return out
}
