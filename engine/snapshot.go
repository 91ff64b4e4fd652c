package engine

import (
	"sort"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// Request is a waiting request as the console shows it.
type Request struct {
	ID string
	// Call is the tool call exactly as the hook sent it: it may hold
	// secrets. Show it only through redact.String (the console masks it
	// unless the owner reveals it); never record or speak it.
	Call wire.ToolCall
	// Class is the redacted classification (Classification.Redacted):
	// what may be shown, recorded, signed and spoken.
	Class     Classification
	Need      config.Requirement
	Arrived   time.Time
	Deadline  time.Time
	CodeFails int
	// Notes are what the engine adds to the classification for the
	// console ("runs x.py, written by this session 2 min ago").
	Notes []string
	// Touching is set while a YubiKey signs an approval of the request:
	// since when, and on which card.
	Touching    bool
	TouchSince  time.Time
	TouchSerial uint32
}

// YubiKey is an enrolled YubiKey as the console shows it.
type YubiKey struct {
	DeviceID string
	Label    string
	Serial   uint32
	NeedsPIN bool // PIN policy once: the console asks for the PIN
	Slot     string
}

// Snapshot is the engine's state at one moment.
type Snapshot struct {
	Pending      []Request // in arrival order
	KillSwitch   bool
	Away         bool
	Conns        int // live hook connections
	Sessions     int // agent sessions with waiting requests
	Problems     []Problem
	CodeEnrolled bool
	// Consoles are the consoles attached now; none means nobody is at a
	// console.
	Consoles []Console
	// LastActivity is when a key was last pressed at any console (zero if
	// never).
	LastActivity time.Time
	// Decided are the newest outcomes of requests that waited for a human,
	// oldest first, so every console can show who answered.
	Decided []Decided
	// PhoneConfigured reports whether phone calls are set up, so away mode
	// hands waiting requests to the phone.
	PhoneConfigured bool
	// Phone is the phone channel and its call, as the phone service
	// reports it.
	Phone PhoneStatus
	// YubiKeys are the enrolled, active YubiKeys (Y approves with one).
	YubiKeys []YubiKey
	// RequireTouch is approvals.require_touch: the lowest risk the keypad
	// alone cannot approve (the zero level when off).
	RequireTouch risk.Level
}

// Snapshot returns a copy of the engine's state.
func (e *Engine) Snapshot() Snapshot {
	enrolled := e.opts.Codes != nil && e.opts.Codes.Enrolled() // may read files: outside the lock
	var keys []YubiKey
	if e.opts.Cards != nil {
		devs, _ := e.yubiKeys() // an unreadable registry shows no key; Y then reports why
		for _, d := range devs {
			keys = append(keys, YubiKey{DeviceID: d.ID, Label: d.Label, Serial: d.YubiKey.Serial,
				NeedsPIN: d.YubiKey.PINPolicy != "never", Slot: d.YubiKey.Slot})
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{CodeEnrolled: enrolled, KillSwitch: e.kill, Away: e.away, Conns: e.conns, Sessions: len(e.sessions),
		Problems: append([]Problem(nil), e.errs...), LastActivity: e.activity,
		Decided: append([]Decided(nil), e.decided...), PhoneConfigured: e.phone.Enrolled,
		Phone: e.phone.clone(), YubiKeys: keys, RequireTouch: e.opts.Config.RequireTouch}
	s.Consoles = make([]Console, 0, len(e.consoles))
	for _, c := range e.consoles {
		s.Consoles = append(s.Consoles, c)
	}
	sort.Slice(s.Consoles, func(i, j int) bool { return s.Consoles[i].Attached.Before(s.Consoles[j].Attached) })
	s.Pending = make([]Request, 0, len(e.order))
	for _, id := range e.order {
		p := e.pending[id]
		r := Request{ID: p.id, Call: p.call, Class: p.class, Need: p.need,
			Arrived: p.arrived, Deadline: p.deadline, CodeFails: p.codeFails, Notes: p.notes}
		if t := p.touch; t != nil {
			r.Touching, r.TouchSince, r.TouchSerial = true, t.since, t.serial
		}
		s.Pending = append(s.Pending, r)
	}
	return s
}

// Config returns the configuration the engine runs with.
func (e *Engine) Config() config.Config { return e.opts.Config }
