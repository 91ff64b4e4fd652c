package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// ChainSource is the ledger as the engine shows it to consoles. The
// composition root implements it over the live ledger.
type ChainSource interface {
	// Latest returns the newest n entries, ascending, and the status.
	Latest(ctx context.Context, n int) ([]ChainEntry, ChainStatus, error)
	// Reverify recomputes the whole chain, reporting progress.
	Reverify(ctx context.Context, progress func(done, total uint64)) (ChainStatus, error)
}

// StatsSource computes the figures of what the engine decided, from the
// ledger, incrementally (engine/stats.Source).
type StatsSource interface {
	Summary(ctx context.Context) (stats.Summary, error)
}

// ServerOptions configure a Server.
type ServerOptions struct {
	// Owner is the only uid that may attach (SO_PEERCRED).
	Owner int
	// Build is this binary's version, sent in the welcome.
	Build string
	// Chain is the ledger to show; nil sends none.
	Chain ChainSource
	// Stats computes the figures a console's stats view shows; nil
	// answers a stats command with an error.
	Stats StatsSource
	// ChainEvery is how often the ledger is read for new entries; 0 means
	// 500 ms.
	ChainEvery time.Duration
	// ChainEntries is how many of the newest entries each chain message
	// carries; 0 means 64.
	ChainEntries int
	// MaxConsoles bounds the consoles attached at once; 0 means 32.
	MaxConsoles int
	// HookGroup, when positive, makes the socket a system install's: mode
	// 0660 with this group (which the owner's user is in), in a directory
	// the engine's user owns that others cannot write to. Owner is then the
	// owner's uid, not the engine's.
	HookGroup int
}

// Server serves one engine's consoles on one socket.
type Server struct {
	eng  *engine.Engine
	ln   *net.UnixListener
	path string
	opts ServerOptions
	sem  chan struct{}
	wg   sync.WaitGroup
}

// Listen creates the console socket at path (0600, in a private directory;
// for a system install 0660 with the hook group, see HookGroup) for eng. A
// leftover socket is replaced; a symlink or a file of another user is
// refused.
func Listen(path string, eng *engine.Engine, opts ServerOptions) (*Server, error) {
	if opts.ChainEvery <= 0 {
		opts.ChainEvery = 500 * time.Millisecond
	}
	if opts.ChainEntries <= 0 {
		opts.ChainEntries = 64
	}
	if opts.MaxConsoles <= 0 {
		opts.MaxConsoles = 32
	}
	ln, err := paths.Listen(path, opts.HookGroup, "console socket")
	if err != nil {
		return nil, err
	}
	return &Server{eng: eng, ln: ln, path: path, opts: opts, sem: make(chan struct{}, opts.MaxConsoles)}, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve accepts consoles until ctx ends or Close is called, then closes
// every console's connection and returns.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		s.ln.Close()
	}()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				cancel()
				s.wg.Wait()
				return nil
			}
			s.eng.Problem(fmt.Sprintf("console socket accept failed: %v", err))
			time.Sleep(50 * time.Millisecond)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			refuse(c, fmt.Sprintf("%d consoles are attached already", s.opts.MaxConsoles))
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.handle(ctx, c)
		}()
	}
}

// Close stops accepting consoles and removes the socket.
func (s *Server) Close() error { return s.ln.Close() }

func refuse(c *net.UnixConn, msg string) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_ = wire.WriteFrame(c, Refusal{V: Version, Type: TypeError, Message: msg})
	c.Close()
}

// helloTimeout is how long a console has to say hello.
const helloTimeout = 10 * time.Second

func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	defer func() {
		if r := recover(); r != nil {
			s.eng.Problem(fmt.Sprintf("internal error serving a console (disconnected): %v", r))
		}
	}()
	uid, err := wire.PeerUID(c)
	if err != nil || uid != s.opts.Owner {
		s.eng.Problem(fmt.Sprintf("refused a console from uid %d: only uid %d may attach", uid, s.opts.Owner))
		refuse(c, fmt.Sprintf("only uid %d may attach a console", s.opts.Owner))
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(helloTimeout))
	typ, body, err := readMsg(c)
	var h Hello
	if err == nil && typ != TypeHello {
		err = fmt.Errorf("expected hello, got %q", typ)
	}
	if err == nil {
		err = decodeAs(TypeHello, body, &h, &h.V, &h.Type)
	}
	if err != nil {
		refuse(c, "bad hello: "+err.Error())
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A stopping engine (or a push that failed) ends the read loop too.
	stopRead := context.AfterFunc(ctx, func() { c.Close() })
	defer stopRead()
	sess := &session{srv: s, c: c, ctx: ctx}
	con, detach := s.eng.AttachConsole(cleanLabel(h.Label))
	defer detach()
	sess.label = con.Label
	if !sess.send(Welcome{V: Version, Type: TypeWelcome, ConsoleID: con.ID, Build: s.opts.Build}) {
		return
	}
	go func() {
		defer cancel()
		sess.push()
	}()
	sess.read()
}

// session is one attached console.
type session struct {
	srv   *Server
	c     *net.UnixConn
	ctx   context.Context
	label string

	wmu sync.Mutex // one frame at a time
	seq uint64     // the last state sent; under wmu
	cmd sync.WaitGroup
}

// writeTimeout bounds one frame to a console: a console that stops reading
// is disconnected rather than holding the engine.
const writeTimeout = 5 * time.Second

func (ss *session) send(msg any) bool {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	return ss.write(msg)
}

// sendState sends the engine's state now. The state is taken under the
// write lock, so states reach the console in the order they were taken and
// the last one it reads is the newest.
func (ss *session) sendState() bool {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	ss.seq++
	return ss.write(State{V: Version, Type: TypeState, Seq: ss.seq, State: FromSnapshot(ss.srv.eng.Snapshot())})
}

func (ss *session) write(msg any) bool {
	_ = ss.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := wire.WriteFrame(ss.c, msg); err != nil {
		ss.c.Close()
		return false
	}
	return true
}

// push sends the engine's state after every change and the ledger's
// newest entries whenever they change, until the console goes away.
func (ss *session) push() {
	changes, unsubscribe := ss.srv.eng.Subscribe()
	defer unsubscribe()
	var lastHead string
	var lastStatus ChainStatus
	sendChain := func(force bool) bool {
		ch := ss.srv.opts.Chain
		if ch == nil {
			return true
		}
		ctx, cancel := context.WithTimeout(ss.ctx, 5*time.Second)
		defer cancel()
		es, st, err := ch.Latest(ctx, ss.srv.opts.ChainEntries)
		if err != nil {
			return ss.ctx.Err() == nil // shown by the engine's own problems
		}
		if !force && st == lastStatus && st.Head == lastHead {
			return true
		}
		lastHead, lastStatus = st.Head, st
		return ss.send(Chain{V: Version, Type: TypeChain, Entries: es, Status: st})
	}
	if !ss.sendState() || !sendChain(true) {
		return
	}
	tick := time.NewTicker(ss.srv.opts.ChainEvery)
	defer tick.Stop()
	for {
		select {
		case <-ss.ctx.Done():
			return
		case <-changes:
			if !ss.sendState() {
				return
			}
		case <-tick.C:
			if !sendChain(false) {
				return
			}
		}
	}
}

// maxInflight bounds the commands of one console running at once (a
// YubiKey signature waits for a touch; the kill switch must not wait
// behind it).
const maxInflight = 8

// read handles the console's commands until it disconnects.
func (ss *session) read() {
	defer ss.cmd.Wait()
	sem := make(chan struct{}, maxInflight)
	for {
		typ, body, err := readMsg(ss.c)
		if err != nil {
			if ss.ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				ss.send(Refusal{V: Version, Type: TypeError, Message: err.Error()})
			}
			return
		}
		if typ == TypeActivity {
			var a Activity
			if decodeAs(TypeActivity, body, &a, &a.V, &a.Type) == nil {
				ss.srv.eng.Activity()
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			ss.send(Refusal{V: Version, Type: TypeError, Message: "too many commands at once"})
			return
		}
		ss.cmd.Add(1)
		go func() {
			defer ss.cmd.Done()
			defer func() { <-sem }()
			if !ss.command(typ, body) {
				ss.c.Close()
			}
		}()
	}
}

// command runs one command and sends its result; false means the message
// was malformed and the console is disconnected.
func (ss *session) command(typ string, body []byte) bool {
	eng := ss.srv.eng
	switch typ {
	case TypeDecide:
		var d Decide
		if err := decodeAs(TypeDecide, body, &d, &d.V, &d.Type); err != nil {
			return ss.refuse(err)
		}
		via := device.Kind(d.Via)
		if via != device.KindConsole && via != device.KindYubiKey {
			return ss.result(d.ID, fmt.Errorf("a console decides with the keypad or a YubiKey, not %q", d.Via), nil)
		}
		err := eng.Decide(ss.ctx, d.RequestID, engine.Approval{Approve: d.Approve, Via: via, Code: d.Code, PIN: d.PIN, By: ss.label})
		return ss.result(d.ID, err, nil)
	case TypeKill:
		var k Kill
		if err := decodeAs(TypeKill, body, &k, &k.V, &k.Type); err != nil {
			return ss.refuse(err)
		}
		var err error
		if k.Engage {
			err = eng.EngageKillSwitch(ss.ctx)
		} else {
			err = eng.ReleaseKillSwitch(ss.ctx, k.Code)
		}
		return ss.result(k.ID, err, nil)
	case TypeAway:
		var a Away
		if err := decodeAs(TypeAway, body, &a, &a.V, &a.Type); err != nil {
			return ss.refuse(err)
		}
		return ss.result(a.ID, eng.SetAway(ss.ctx, a.Away), nil)
	case TypeReverify:
		var rv Reverify
		if err := decodeAs(TypeReverify, body, &rv, &rv.V, &rv.Type); err != nil {
			return ss.refuse(err)
		}
		ch := ss.srv.opts.Chain
		if ch == nil {
			return ss.result(rv.ID, errors.New("this engine has no ledger to verify"), nil)
		}
		var last time.Time
		st, err := ch.Reverify(ss.ctx, func(done, total uint64) {
			if now := time.Now(); done == total || now.Sub(last) >= 100*time.Millisecond {
				last = now
				ss.send(Progress{V: Version, Type: TypeProgress, ID: rv.ID, Done: done, Total: total})
			}
		})
		return ss.result(rv.ID, err, &st)
	case TypeStats:
		var q Stats
		if err := decodeAs(TypeStats, body, &q, &q.V, &q.Type); err != nil {
			return ss.refuse(err)
		}
		src := ss.srv.opts.Stats
		if src == nil {
			return ss.result(q.ID, errors.New("this engine keeps no figures (it has no ledger)"), nil)
		}
		ctx, cancel := context.WithTimeout(ss.ctx, statsTimeout)
		defer cancel()
		sum, err := src.Summary(ctx)
		if err != nil {
			return ss.result(q.ID, err, nil)
		}
		ss.sendState()
		ss.send(Result{V: Version, Type: TypeResult, ID: q.ID, Stats: &sum})
		return true
	default:
		if handled, ok := ss.standingCommand(typ, body); handled {
			return ok
		}
		return ss.refuse(fmt.Errorf("unknown message type %q", typ))
	}
}

// statsTimeout bounds one stats computation: the first reads the whole
// ledger (about a second per million entries), later ones only what is new.
const statsTimeout = 2 * time.Minute

func (ss *session) refuse(err error) bool {
	ss.send(Refusal{V: Version, Type: TypeError, Message: err.Error()})
	return false
}

// result sends a command's outcome. The engine's state is sent first, so a
// console that reads the result already shows the state after it.
func (ss *session) result(id uint64, err error, st *ChainStatus) bool {
	ss.sendState()
	r := Result{V: Version, Type: TypeResult, ID: id, Status: st}
	if err != nil {
		r.Error = &Error{Code: codeOf(err), Message: err.Error()}
	}
	ss.send(r)
	return true
}

func codeOf(err error) string {
	switch {
	case errors.Is(err, engine.ErrNotPending):
		return CodeNotPending
	case errors.Is(err, engine.ErrReleaseNeedsTouch):
		return CodeReleaseTouch
	case errors.Is(err, engine.ErrFactorRequired):
		return CodeFactorRequired
	case errors.Is(err, engine.ErrCodeRequired):
		return CodeCodeRequired
	case errors.Is(err, engine.ErrBadCode):
		return CodeBadCode
	case errors.Is(err, engine.ErrKillSwitch):
		return CodeKillSwitch
	case errors.Is(err, engine.ErrTouchRequired):
		return CodeTouchNeeded
	case errors.Is(err, engine.ErrProtected):
		return CodeProtected
	case errors.Is(err, engine.ErrUnknownAnswer):
		return CodeUnknownAnswer
	}
	var te *engine.TouchError
	if errors.As(err, &te) {
		if te.Denied {
			return CodeTouchDenied
		}
		return CodeTouchFailed
	}
	return CodeFailed
}
