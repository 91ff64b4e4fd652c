package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// ErrNoEngine reports that no engine listens on the console socket.
var ErrNoEngine = errors.New("no engine is running")

// ErrDetached reports a command sent while the connection to the engine is
// down; nothing was done.
var ErrDetached = errors.New("not connected to the engine")

// ClientOptions configure a Client.
type ClientOptions struct {
	// Label names this console to the others.
	Label string
	// Build is this binary's version.
	Build string
	// EngineUID is the uid the engine must run as (the socket's owner and
	// the peer): the owner's own uid, or the system engine's user.
	EngineUID int
	// Reconnect is the longest wait between reconnection attempts; 0
	// means 2 s.
	Reconnect time.Duration
	// Now is the clock for the problems the client reports; nil is
	// time.Now.
	Now func() time.Time
}

// Client is a console attached to an engine over the console socket. It
// keeps the engine's latest state and ledger view, and reconnects when the
// engine restarts. Its methods are safe for concurrent use.
type Client struct {
	path string
	opts ClientOptions
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}

	mu        sync.Mutex
	conn      *net.UnixConn
	connected bool
	consoleID string
	snap      engine.Snapshot
	lost      *engine.Problem // the connection problem shown while detached or after a reconnect
	chain     Chain
	haveChain bool
	nextID    uint64
	waiting   map[uint64]chan Result
	progress  map[uint64]func(done, total uint64)

	wmu   sync.Mutex
	watch engine.Notifier // Subscribe's notifications
}

// Dial attaches to the engine on the console socket at path. It fails with
// ErrNoEngine when none listens there (the caller may start one); once
// attached, the client reconnects by itself until Close.
func Dial(ctx context.Context, path string, opts ClientOptions) (*Client, error) {
	if opts.Reconnect <= 0 {
		opts.Reconnect = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{path: path, opts: opts, done: make(chan struct{}),
		waiting: map[uint64]chan Result{}, progress: map[uint64]func(uint64, uint64){}}
	conn, err := c.attach(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	go c.run(conn)
	return c, nil
}

// Close detaches from the engine. The engine keeps running; requests keep
// waiting there until their deadline.
func (c *Client) Close() error {
	c.stop()
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.mu.Unlock()
	<-c.done
	return nil
}

// attach connects, checks who answers, says hello and reads the welcome and
// the first state.
func (c *Client) attach(ctx context.Context) (*net.UnixConn, error) {
	if err := c.checkSocket(); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	nc, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
		}
		return nil, fmt.Errorf("connecting to the engine: %w", err)
	}
	conn := nc.(*net.UnixConn)
	uid, err := wire.PeerUID(conn)
	if err != nil || uid != c.opts.EngineUID {
		conn.Close()
		return nil, fmt.Errorf("the process on %s runs as uid %d, not the engine's uid %d: refusing it", c.path, uid, c.opts.EngineUID)
	}
	_ = conn.SetDeadline(time.Now().Add(helloTimeout))
	if err := wire.WriteFrame(conn, Hello{V: Version, Type: TypeHello, Label: c.opts.Label, Build: c.opts.Build}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("attaching: %w", err)
	}
	typ, body, err := readMsg(conn)
	if err == nil && typ == TypeError {
		var r Refusal
		_ = wire.DecodeStrict(body, &r)
		err = fmt.Errorf("the engine refused this console: %s", r.Message)
	} else if err == nil && typ != TypeWelcome {
		err = fmt.Errorf("expected welcome, got %q", typ)
	}
	var w Welcome
	if err == nil {
		err = decodeAs(TypeWelcome, body, &w, &w.V, &w.Type)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("attaching: %w", err)
	}
	// The first state follows the welcome at once.
	if err := c.readOne(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("attaching: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	c.mu.Lock()
	c.conn, c.connected, c.consoleID = conn, true, w.ConsoleID
	c.mu.Unlock()
	return conn, nil
}

// checkSocket refuses a socket path that is missing, a symlink, not a
// socket, or owned by anyone but the engine's uid.
func (c *Client) checkSocket() error {
	fi, err := os.Lstat(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no console socket at %s", ErrNoEngine, c.path)
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 || fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s is not a socket: refusing it", c.path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != c.opts.EngineUID {
		return fmt.Errorf("console socket %s is owned by uid %d, not the engine's uid %d: refusing it", c.path, st.Uid, c.opts.EngineUID)
	}
	return nil
}

// run reads frames until the connection drops, then reconnects, until
// Close.
func (c *Client) run(conn *net.UnixConn) {
	defer close(c.done)
	for {
		for c.readOne(conn) == nil {
		}
		conn.Close()
		c.detached()
		if conn = c.reconnect(); conn == nil {
			return
		}
	}
}

// readOne reads and applies one frame.
func (c *Client) readOne(conn *net.UnixConn) error {
	typ, body, err := readMsg(conn)
	if err != nil {
		return err
	}
	switch typ {
	case TypeState:
		var s State
		if err := decodeAs(TypeState, body, &s, &s.V, &s.Type); err != nil {
			return err
		}
		c.mu.Lock()
		c.snap = ToSnapshot(s.State)
		c.mu.Unlock()
		c.notify()
	case TypeChain:
		var ch Chain
		if err := decodeAs(TypeChain, body, &ch, &ch.V, &ch.Type); err != nil {
			return err
		}
		c.mu.Lock()
		c.chain, c.haveChain = ch, true
		c.mu.Unlock()
	case TypeProgress:
		var p Progress
		if err := decodeAs(TypeProgress, body, &p, &p.V, &p.Type); err != nil {
			return err
		}
		c.mu.Lock()
		f := c.progress[p.ID]
		c.mu.Unlock()
		if f != nil {
			f(p.Done, p.Total)
		}
	case TypeResult:
		var r Result
		if err := decodeAs(TypeResult, body, &r, &r.V, &r.Type); err != nil {
			return err
		}
		c.mu.Lock()
		ch := c.waiting[r.ID]
		delete(c.waiting, r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	case TypeError:
		var r Refusal
		_ = wire.DecodeStrict(body, &r)
		return fmt.Errorf("the engine closed the connection: %s", r.Message)
	default:
		return fmt.Errorf("unknown message type %q", typ)
	}
	return nil
}

// detached marks the connection lost: nothing can be decided from here
// until it is back, and every command waiting for a result fails.
func (c *Client) detached() {
	c.mu.Lock()
	c.connected, c.conn = false, nil
	c.snap.Pending = nil
	c.lost = &engine.Problem{Time: c.opts.Now(), Message: "lost the connection to the engine: reconnecting (requests keep waiting there until their deadline)"}
	for id, ch := range c.waiting {
		ch <- Result{ID: id, Error: &Error{Code: CodeFailed, Message: ErrDetached.Error()}}
		delete(c.waiting, id)
	}
	c.progress = map[uint64]func(uint64, uint64){}
	c.mu.Unlock()
	c.notify()
}

// reconnect tries to attach again with a growing pause, until it succeeds
// or the client is closed.
func (c *Client) reconnect() *net.UnixConn {
	wait := 100 * time.Millisecond
	for {
		select {
		case <-c.ctx.Done():
			return nil
		case <-time.After(wait):
		}
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		conn, err := c.attach(ctx)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.lost = &engine.Problem{Time: c.opts.Now(), Message: "reconnected to the engine (it restarted, or the connection dropped)"}
			c.mu.Unlock()
			c.notify()
			return conn
		}
		if wait *= 2; wait > c.opts.Reconnect {
			wait = c.opts.Reconnect
		}
	}
}

// Connected reports whether the client is attached now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// Snapshot returns the engine's latest state as received, with the
// connection's own problem added.
func (c *Client) Snapshot() engine.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.Pending = append([]engine.Request(nil), s.Pending...)
	s.Problems = append([]engine.Problem(nil), s.Problems...)
	if c.lost != nil {
		s.Problems = append(s.Problems, *c.lost)
	}
	return s
}

// Subscribe returns a channel notified after each state received.
func (c *Client) Subscribe() (<-chan struct{}, func()) { return c.watch.Subscribe() }

func (c *Client) notify() { c.watch.Notify() }

// call sends a command and waits for its result.
func (c *Client) call(ctx context.Context, build func(id uint64) any, progress func(done, total uint64)) (Result, error) {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return Result{}, ErrDetached
	}
	c.nextID++
	id := c.nextID
	ch := make(chan Result, 1)
	c.waiting[id] = ch
	if progress != nil {
		c.progress[id] = progress
	}
	conn := c.conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, id)
		delete(c.progress, id)
		c.mu.Unlock()
	}()
	c.wmu.Lock()
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	err := wire.WriteFrame(conn, build(id))
	c.wmu.Unlock()
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrDetached, err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// remoteError is an engine error carried over the socket: its message as
// the engine wrote it, and the engine's sentinel for errors.Is.
type remoteError struct {
	sentinel error
	msg      string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func resultErr(r Result) error {
	if r.Error == nil {
		return nil
	}
	var s error
	switch r.Error.Code {
	case CodeNotPending:
		s = engine.ErrNotPending
	case CodeCodeRequired:
		s = engine.ErrCodeRequired
	case CodeFactorRequired:
		s = engine.ErrFactorRequired
	case CodeBadCode:
		s = engine.ErrBadCode
	case CodeKillSwitch:
		s = engine.ErrKillSwitch
	case CodeTouchNeeded:
		s = engine.ErrTouchRequired
	case CodeReleaseTouch:
		s = engine.ErrReleaseNeedsTouch
	case CodeProtected:
		s = engine.ErrProtected
	case CodeUnknownAnswer:
		s = engine.ErrUnknownAnswer
	case CodeTouchFailed, CodeTouchDenied:
		return &engine.TouchError{Err: errors.New(r.Error.Message), Denied: r.Error.Code == CodeTouchDenied}
	default:
		if r.Error.Message == ErrDetached.Error() {
			s = ErrDetached
		}
	}
	return &remoteError{sentinel: s, msg: r.Error.Message}
}

// Decide approves or denies a waiting request at the engine. The approval
// counts as given at this console (its label); a.By is ignored.
func (c *Client) Decide(ctx context.Context, id string, a engine.Approval) error {
	via := a.Via
	if via == "" {
		via = device.KindConsole
	}
	r, err := c.call(ctx, func(n uint64) any {
		return Decide{V: Version, Type: TypeDecide, ID: n, RequestID: id, Approve: a.Approve, Code: a.Code, Via: string(via), PIN: a.PIN}
	}, nil)
	if err != nil {
		return err
	}
	return resultErr(r)
}

// EngageKillSwitch engages the engine's kill switch.
func (c *Client) EngageKillSwitch(ctx context.Context) error { return c.kill(ctx, true, "") }

// ReleaseKillSwitch releases it; a hardened install needs the 6-digit code.
func (c *Client) ReleaseKillSwitch(ctx context.Context, code string) error {
	return c.kill(ctx, false, code)
}

func (c *Client) kill(ctx context.Context, engage bool, code string) error {
	r, err := c.call(ctx, func(n uint64) any { return Kill{V: Version, Type: TypeKill, ID: n, Engage: engage, Code: code} }, nil)
	if err != nil {
		return err
	}
	return resultErr(r)
}

// SetAway marks the owner away, or back.
func (c *Client) SetAway(ctx context.Context, away bool) error {
	r, err := c.call(ctx, func(n uint64) any { return Away{V: Version, Type: TypeAway, ID: n, Away: away} }, nil)
	if err != nil {
		return err
	}
	return resultErr(r)
}

// Activity tells the engine a key was pressed here. It never blocks for
// long: a lost connection drops it.
func (c *Client) Activity() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = wire.WriteFrame(conn, Activity{V: Version, Type: TypeActivity})
}

// Latest returns the newest n ledger entries and the chain's status as the
// engine last sent them.
func (c *Client) Latest(_ context.Context, n int) ([]ChainEntry, ChainStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveChain {
		return nil, ChainStatus{}, errors.New("no ledger view from the engine yet")
	}
	es := c.chain.Entries
	if n >= 0 && len(es) > n {
		es = es[len(es)-n:]
	}
	return append([]ChainEntry(nil), es...), c.chain.Status, nil
}

// Reverify asks the engine to recompute the whole chain.
func (c *Client) Reverify(ctx context.Context, progress func(done, total uint64)) (ChainStatus, error) {
	r, err := c.call(ctx, func(n uint64) any { return Reverify{V: Version, Type: TypeReverify, ID: n} }, progress)
	if err != nil {
		return ChainStatus{}, err
	}
	if err := resultErr(r); err != nil {
		return ChainStatus{}, err
	}
	if r.Status == nil {
		return ChainStatus{}, errors.New("the engine sent no chain status")
	}
	return *r.Status, nil
}

// Stats asks the engine for the figures of what it has been deciding. The
// engine keeps them as running tallies, so asking again is cheap; figures
// that could not have come from an engine of this build are refused.
func (c *Client) Stats(ctx context.Context) (stats.Summary, error) {
	r, err := c.call(ctx, func(n uint64) any { return Stats{V: Version, Type: TypeStats, ID: n} }, nil)
	if err != nil {
		return stats.Summary{}, err
	}
	if err := resultErr(r); err != nil {
		return stats.Summary{}, err
	}
	if r.Stats == nil {
		return stats.Summary{}, errors.New("the engine sent no figures")
	}
	if err := r.Stats.Check(); err != nil {
		return stats.Summary{}, fmt.Errorf("the engine's figures: %w", err)
	}
	return *r.Stats, nil
}
