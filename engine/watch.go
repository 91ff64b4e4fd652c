package engine

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// Subscribe returns a channel that receives a value whenever the engine's
// state changes (a request arrives or is decided, the kill switch or away
// state moves, a console attaches, a problem is reported), and a function
// that ends the subscription. Notifications coalesce: read Snapshot after
// each one. Every console and the phone scheduler subscribe on their own.
func (e *Engine) Subscribe() (<-chan struct{}, func()) { return e.watch.Subscribe() }

func (e *Engine) notify() { e.watch.Notify() }

// Notifier hands coalescing change notifications to any number of
// subscribers: each has a channel with a buffer of one, so a slow reader
// misses nothing but the repeats. The zero value is ready to use.
type Notifier struct {
	mu   sync.Mutex
	seq  int
	subs map[int]chan struct{}
}

// Subscribe returns a channel that receives a value after each Notify, and
// a function that ends the subscription.
func (n *Notifier) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	if n.subs == nil {
		n.subs = map[int]chan struct{}{}
	}
	n.seq++
	id := n.seq
	n.subs[id] = ch
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.subs, id)
		n.mu.Unlock()
	}
}

// Notify wakes every subscriber that is not already due to wake.
func (n *Notifier) Notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ch := range n.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Console is a console attached to the engine: the one in this process, or
// one attached over the console socket.
type Console struct {
	ID       string
	Label    string // where it runs, e.g. "pts/3 on jumphost (ssh from 10.0.0.5)"
	Attached time.Time
}

// AttachConsole records that a console shows the engine's queue, and
// returns the function that records it left. The engine counts the
// attached consoles: with none, nobody is at a console.
func (e *Engine) AttachConsole(label string) (Console, func()) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	c := Console{ID: "con_" + hex.EncodeToString(b[:]), Label: label, Attached: e.now()}
	e.mu.Lock()
	e.consoles[c.ID] = c
	e.mu.Unlock()
	e.notify()
	return c, func() {
		e.mu.Lock()
		_, ok := e.consoles[c.ID]
		delete(e.consoles, c.ID)
		e.mu.Unlock()
		if ok {
			e.notify()
		}
	}
}

// Activity records that a person pressed a key at a console. A high or
// critical request that waits with no key pressed for the configured time
// makes the engine unattended.
func (e *Engine) Activity() {
	e.mu.Lock()
	e.activity = e.now()
	e.mu.Unlock()
}

// Unattended reports whether nobody is answering at a console: none is
// attached, the owner marked away, or a high or critical request has
// waited idle (no key pressed at any console since it arrived) for after.
// after <= 0 leaves the idle condition out.
func (e *Engine) Unattended(after time.Duration) bool {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.consoles) == 0 || e.away {
		return true
	}
	if after <= 0 {
		return false
	}
	for _, id := range e.order {
		p := e.pending[id]
		if p.class.Risk.OrCritical() < risk.High {
			continue
		}
		since := p.arrived
		if e.activity.After(since) {
			since = e.activity
		}
		if now.Sub(since) >= after {
			return true
		}
	}
	return false
}

// Decided is the outcome of a request that waited for a human, as the
// consoles show it: who answered, and how.
type Decided struct {
	ID       string
	Class    Classification
	Decision string // "approve" or "deny"
	Reason   string
	Via      device.Kind // the deviceKind that decided (engine: a deadline, the kill switch, a stop)
	By       string      // the console's label, when a console decided
	At       time.Time
}

// maxDecided is how many decisions the snapshot keeps.
const maxDecided = 32

// noteDecided keeps the outcome of a held request for the consoles.
func (e *Engine) noteDecided(d Decided) {
	e.mu.Lock()
	e.decided = append(e.decided, d)
	if len(e.decided) > maxDecided {
		e.decided = append(e.decided[:0:0], e.decided[len(e.decided)-maxDecided:]...)
	}
	e.mu.Unlock()
}
