package server

import (
	"container/list"
	"net"
	"sync"
	"time"
)

// Connection limits under a flood.
//
// A hook is a process of its own: it connects, writes its whole request at
// once and then waits. So a connection that has not yet delivered a complete
// request (half-open) is either a hook the server has not read yet, which
// lasts microseconds, or a connection held open to exhaust the server. The
// tracker bounds the half-open connections it reads, and sheds the oldest
// first, so that a flood of idle connections cannot keep a real hook from
// being read:
//
//   - per peer process: at most MaxHalfOpenPerPeer half-open connections;
//     a peer over it loses its own oldest one;
//   - overall: at most MaxHalfOpen; over it, the oldest of all is shed;
//   - per peer process: at most MaxConnsPerPeer connections being served
//     (waiting requests included); a peer at the limit with nothing
//     half-open to shed has the new connection refused;
//   - overall: at most MaxConns; at the limit the oldest half-open one is
//     shed, and with none the new connection is refused.
//
// A shed connection is parked, not closed: its reader stops (its goroutine
// ends) and the connection is closed when its read deadline passes, as any
// idle connection's would be, or at once when more than MaxParked are
// parked. Closing it at once would invite the flooder to reconnect at once,
// and a reconnect storm keeps the kernel's accept queue full, where real
// hooks wait behind it in arrival order; parked, a flood of N connections
// costs one reconnect per connection per ReadTimeout. A parked connection
// that turns out to have delivered its request after all is served.
//
// The peer is the pid SO_PEERCRED reports. The server accepts only the
// owner's uid (or the few uids of a system install; others are refused), and
// the agent runs as the owner, so a per-uid limit would be a global one;
// each hook is its own short-lived process with one connection, so per-pid
// separates a flooding process from the hooks.
// Threads share the pid, so a many-threaded flooder is one peer; a flooder
// that forks is held by the overall bounds and their oldest-first shedding.
// Hooks forwarded over SSH (ssh -R) all arrive from one sshd process, which
// is why the per-peer bounds are generous.
//
// A shed or refused hook fails closed: it denies at once when refused, or
// when its parked connection is closed.

// connState is one accepted connection as the tracker sees it.
type connState struct {
	c        *net.UnixConn
	pid      int
	deadline time.Time // when an unanswered connection is closed
	state    connPhase
	all      *list.Element // in tracker.half while half-open
	mine     *list.Element // in peer.half while half-open
	parked   *list.Element // in tracker.parked while parked
}

// connPhase is where a connection is; its reader owns it while it is
// half-open or served, the tracker once it is parked or closed.
type connPhase uint8

const (
	phaseHalfOpen connPhase = iota // being read, counted
	phaseServed                    // delivered its request, counted
	phaseParked                    // shed: not read, closed at its deadline
	phaseClosed                    // closed by the tracker
	phaseDone                      // released by its reader
)

type peer struct {
	conns int
	half  list.List // *connState, oldest first
}

// tracker counts connections per peer, and parks or refuses the ones over
// the bounds.
type tracker struct {
	opts Options

	mu     sync.Mutex
	half   list.List // *connState being read, oldest first
	parked list.List // *connState shed, oldest first
	peers  map[int]*peer
	total  int // connections being served (half-open or requested)

	shed, refused uint64 // since the last takeCounts
}

func newTracker(o Options) *tracker { return &tracker{opts: o, peers: map[int]*peer{}} }

// admit registers a new connection from pid. It returns its state, or nil
// when it must be refused (the caller closes it), and the connections to
// close now (parked ones evicted to stay within MaxParked).
func (t *tracker) admit(c *net.UnixConn, pid int, now time.Time) (*connState, []*net.UnixConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.peers[pid]
	if p == nil {
		p = &peer{}
		t.peers[pid] = p
	}
	var closeNow []*net.UnixConn
	shedFirst := func(l *list.List) bool {
		if l.Len() == 0 {
			return false
		}
		closeNow = append(closeNow, t.park(l.Front().Value.(*connState))...)
		return true
	}
	if p.conns >= t.opts.MaxConnsPerPeer && !shedFirst(&p.half) || t.total >= t.opts.MaxConns && !shedFirst(&t.half) {
		t.refused++
		if p.conns == 0 {
			delete(t.peers, pid)
		}
		return nil, closeNow
	}
	cs := &connState{c: c, pid: pid, deadline: now.Add(t.opts.ReadTimeout)}
	cs.all = t.half.PushBack(cs)
	cs.mine = p.half.PushBack(cs)
	p.conns++
	t.total++
	if p.half.Len() > t.opts.MaxHalfOpenPerPeer {
		shedFirst(&p.half)
	}
	if t.half.Len() > t.opts.MaxHalfOpen {
		shedFirst(&t.half)
	}
	return cs, closeNow
}

// park takes a half-open connection out of service: it is no longer
// counted, its reader is stopped (a read deadline in the past), and it
// waits in the parked list. It returns the parked connections to close to
// stay within MaxParked.
func (t *tracker) park(cs *connState) []*net.UnixConn {
	t.drop(cs)
	t.uncount(cs)
	t.shed++
	_ = cs.c.SetReadDeadline(time.Unix(1, 0))
	cs.state = phaseParked
	cs.parked = t.parked.PushBack(cs)
	var evict []*net.UnixConn
	for t.parked.Len() > t.opts.MaxParked {
		evict = append(evict, t.closeParked(t.parked.Front()))
	}
	return evict
}

// closeParked takes a parked connection off the list; the caller closes it.
func (t *tracker) closeParked(e *list.Element) *net.UnixConn {
	cs := t.parked.Remove(e).(*connState)
	cs.parked, cs.state = nil, phaseClosed
	return cs.c
}

// drop takes cs off the half-open lists.
func (t *tracker) drop(cs *connState) {
	if cs.all != nil {
		t.half.Remove(cs.all)
		cs.all = nil
	}
	if cs.mine != nil {
		t.peers[cs.pid].half.Remove(cs.mine)
		cs.mine = nil
	}
}

func (t *tracker) uncount(cs *connState) {
	t.total--
	if p := t.peers[cs.pid]; p != nil {
		if p.conns--; p.conns == 0 && p.half.Len() == 0 {
			delete(t.peers, cs.pid)
		}
	}
}

// requested is called by the reader when its read ended. With complete
// set, cs delivered a whole request: it is served (taken back from the
// parked list if it was parked meanwhile) and is never shed. It reports
// whether the reader should go on and answer; when not, the connection
// belongs to the tracker (parked or closed) and the reader must leave it.
func (t *tracker) requested(cs *connState, complete bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch cs.state {
	case phaseHalfOpen:
		t.drop(cs)
		cs.state = phaseServed
		return true
	case phaseParked:
		if !complete {
			return false
		}
		t.parked.Remove(cs.parked)
		cs.parked, cs.state = nil, phaseServed
		p := t.peers[cs.pid]
		if p == nil {
			p = &peer{}
			t.peers[cs.pid] = p
		}
		p.conns++
		t.total++
		_ = cs.c.SetReadDeadline(time.Time{})
		return true
	}
	return false
}

// release forgets cs once its reader is done with it. It reports whether
// the reader owns the connection (and closes it); a parked or closed one
// belongs to the tracker.
func (t *tracker) release(cs *connState) (owned bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cs.state != phaseHalfOpen && cs.state != phaseServed {
		return false
	}
	t.drop(cs)
	t.uncount(cs)
	cs.state = phaseDone
	return true
}

// expire returns the parked connections whose deadline has passed (all of
// them when now is zero), to be closed.
func (t *tracker) expire(now time.Time) []*net.UnixConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*net.UnixConn
	for e := t.parked.Front(); e != nil; e = t.parked.Front() {
		if !now.IsZero() && e.Value.(*connState).deadline.After(now) {
			break
		}
		out = append(out, t.closeParked(e))
	}
	return out
}

// stats are the tracker's counts, for tests and the flood report.
type stats struct {
	Total, HalfOpen, Parked, Peers int
	Shed, Refused                  uint64 // since the last takeCounts
}

func (t *tracker) stats() stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return stats{Total: t.total, HalfOpen: t.half.Len(), Parked: t.parked.Len(), Peers: len(t.peers), Shed: t.shed, Refused: t.refused}
}

// takeCounts returns and resets the shed and refused counts.
func (t *tracker) takeCounts() (shed, refused uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	shed, refused = t.shed, t.refused
	t.shed, t.refused = 0, 0
	return shed, refused
}
