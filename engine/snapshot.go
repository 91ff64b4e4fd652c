package engine

import (
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// Request is a waiting request as the console shows it.
type Request struct {
	ID        string
	Call      wire.ToolCall
	Class     Classification
	Need      config.Requirement
	Arrived   time.Time
	Deadline  time.Time
	CodeFails int
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
}

// Snapshot returns a copy of the engine's state.
func (e *Engine) Snapshot() Snapshot {
	enrolled := e.opts.Codes != nil && e.opts.Codes.Enrolled() // may read files: outside the lock
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{CodeEnrolled: enrolled, KillSwitch: e.kill, Away: e.away, Conns: e.conns, Sessions: len(e.sessions),
		Problems: append([]Problem(nil), e.errs...)}
	s.Pending = make([]Request, 0, len(e.order))
	for _, id := range e.order {
		p := e.pending[id]
		s.Pending = append(s.Pending, Request{ID: p.id, Call: p.call, Class: p.class, Need: p.need,
			Arrived: p.arrived, Deadline: p.deadline, CodeFails: p.codeFails})
	}
	return s
}

// Config returns the configuration the engine runs with.
func (e *Engine) Config() config.Config { return e.opts.Config }
