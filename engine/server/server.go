// Package server is the engine's Unix socket: it accepts hook connections
// from the owning user only, reads one framed request per connection, and
// answers with the request id and then the signed verdict.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// Options tune the server. The connection limits are explained in
// limit.go; a hook whose connection is shed or refused denies.
type Options struct {
	// ReadTimeout bounds how long a client may take to send its request.
	ReadTimeout time.Duration
	// MaxConns bounds concurrent connections (default 4096).
	MaxConns int
	// MaxConnsPerPeer bounds one peer process's connections, waiting
	// requests included (default 1024).
	MaxConnsPerPeer int
	// MaxHalfOpen bounds connections that have not delivered a complete
	// request; over it the oldest is shed (default 512).
	MaxHalfOpen int
	// MaxHalfOpenPerPeer bounds one peer process's half-open connections;
	// over it that peer's oldest is shed (default 128: a burst of hooks
	// forwarded by one sshd must fit).
	MaxHalfOpenPerPeer int
	// MaxParked bounds shed connections kept open until their deadline;
	// over it the oldest is closed at once (default: what the file
	// descriptor limit leaves beside MaxConns, at most 65536).
	MaxParked int
	// FloodReport is the least time between two reports of shed or
	// refused connections to the console (default 10s).
	FloodReport time.Duration
	// Build is reported in pong messages.
	Build string
	// Peers are the uids allowed to connect (SO_PEERCRED); empty means
	// this process's uid only. The engine of a system install runs as its
	// own user and serves the owner's uid.
	Peers []int
	// HookGroup, when positive, makes the socket a system install's: mode
	// 0660 with this group (the group the owner's user is in), in a
	// directory the engine owns that others cannot write to, instead of
	// 0600 in a private directory.
	HookGroup int
}

// Server serves one engine on one socket.
type Server struct {
	eng   *engine.Engine
	ln    *net.UnixListener
	path  string
	opts  Options
	conns *tracker
	peers []int
	wg    sync.WaitGroup

	lastReport time.Time // owned by the accept loop
}

// Listen creates the socket at path, in a directory that must be private
// (0700, owned by this user), or for a system install (Options.HookGroup)
// owned by this user and closed to writes by others. A leftover socket file
// is replaced; a symlink, a non-socket or a file owned by someone else is
// refused. Call it while holding the home's Lock.
func Listen(path string, eng *engine.Engine, opts Options) (*Server, error) {
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 4096
	}
	if opts.MaxConnsPerPeer <= 0 {
		opts.MaxConnsPerPeer = 1024
	}
	if opts.MaxHalfOpen <= 0 {
		opts.MaxHalfOpen = 512
	}
	if opts.MaxHalfOpenPerPeer <= 0 {
		opts.MaxHalfOpenPerPeer = 128
	}
	if opts.FloodReport <= 0 {
		opts.FloodReport = 10 * time.Second
	}
	if opts.MaxParked <= 0 {
		opts.MaxParked = defaultMaxParked(opts.MaxConns)
	}
	peers := opts.Peers
	if len(peers) == 0 {
		peers = []int{os.Getuid()}
	}
	ln, err := paths.Listen(path, opts.HookGroup, "socket")
	if err != nil {
		return nil, err
	}
	return &Server{eng: eng, ln: ln, path: path, opts: opts, conns: newTracker(opts), peers: peers}, nil
}

func uidList(uids []int) string {
	s := make([]string, len(uids))
	for i, u := range uids {
		s[i] = strconv.Itoa(u)
	}
	return strings.Join(s, ", ")
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve accepts connections until ctx ends or Close is called. It returns
// nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.ln.Close()
	}()
	swept := make(chan struct{})
	stopSweep := make(chan struct{})
	go func() { defer close(swept); s.sweep(stopSweep) }()
	defer func() {
		close(stopSweep)
		<-swept
		closeAll(s.conns.expire(time.Time{}))
	}()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				s.wg.Wait()
				return nil
			}
			s.eng.Problem(fmt.Sprintf("socket accept failed: %v", err))
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cs := s.admit(c)
		if cs == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(ctx, cs)
		}()
	}
}

// admit checks who connected and applies the connection limits. It runs
// in the accept loop, so it never blocks: a refused connection is closed,
// and the connections shed to make room are closed too.
func (s *Server) admit(c *net.UnixConn) *connState {
	cred, err := wire.PeerCred(c)
	if err != nil || !slices.Contains(s.peers, cred.UID) {
		// Reported before the close, so that whoever sees the connection
		// end can already read why.
		s.eng.Problem(fmt.Sprintf("refused a socket connection from uid %d: only uid %s may connect", cred.UID, uidList(s.peers)))
		c.Close()
		return nil
	}
	before := s.conns.stats().Shed
	now := time.Now()
	_ = c.SetReadDeadline(now.Add(s.opts.ReadTimeout))
	cs, evicted := s.conns.admit(c, cred.PID, now)
	closeAll(evicted) // parked connections over MaxParked: those hooks deny
	if cs == nil {
		c.Close() // refused: that hook denies
	}
	if cs == nil || s.conns.stats().Shed != before {
		s.reportFlood()
	}
	return cs
}

func closeAll(cs []*net.UnixConn) {
	for _, c := range cs {
		c.Close()
	}
}

// sweep closes parked connections as their deadlines pass, until stop.
func (s *Server) sweep(stop <-chan struct{}) {
	t := time.NewTicker(min(s.opts.ReadTimeout/4, 500*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			closeAll(s.conns.expire(now))
		}
	}
}

// defaultMaxParked leaves room, within the file descriptor limit, for
// maxConns connections being served and the engine's own files.
func defaultMaxParked(maxConns int) int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return int(max(64, min(65536, int64(rl.Cur)-int64(maxConns)-512)))
}

// reportFlood tells the console about shed and refused connections, at
// most once per FloodReport.
func (s *Server) reportFlood() {
	now := time.Now()
	if now.Sub(s.lastReport) < s.opts.FloodReport {
		return
	}
	s.lastReport = now
	shed, refused := s.conns.takeCounts()
	st := s.conns.stats()
	s.eng.Problem(fmt.Sprintf("socket flood: closed %d connections that sent no request and refused %d (%d open from %d processes): hooks caught in it were denied",
		shed, refused, st.Total, st.Peers))
}

// Close stops accepting and removes the socket file.
func (s *Server) Close() error { return s.ln.Close() }

func (s *Server) handle(ctx context.Context, cs *connState) {
	c := cs.c
	defer func() {
		if s.conns.release(cs) {
			c.Close()
		}
	}()
	// A bug must not take the console down: the connection closes without
	// a verdict (the hook denies) and the console shows the problem.
	defer func() {
		if r := recover(); r != nil {
			s.eng.Problem(fmt.Sprintf("internal error handling a hook request (denied): %v", r))
		}
	}()
	body, err := wire.ReadFrame(c, wire.MaxFrame) // the read deadline was set at accept
	if !s.conns.requested(cs, err == nil) {
		return // shed while it was read: the tracker has it now
	}
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: "bad frame: " + err.Error()})
		}
		return
	}
	// Counted for the console once it delivered a request: a flood of idle
	// connections does not wake the console for each one.
	s.eng.ConnOpened()
	defer s.eng.ConnClosed()
	env, err := wire.DecodeEnvelope(body)
	if err != nil {
		s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: err.Error()})
		return
	}
	switch env.Type {
	case wire.TypePing:
		var p wire.Ping
		err := wire.DecodeStrict(body, &p)
		if err == nil {
			err = wire.CheckRouting(env, p.V, p.Type)
		}
		if err != nil {
			s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: err.Error()})
			return
		}
		snap := s.eng.Snapshot()
		s.reply(c, wire.Pong{V: wire.Version, Type: wire.TypePong, Build: s.opts.Build,
			KillSwitch: snap.KillSwitch, Away: snap.Away, Pending: len(snap.Pending)})
	case wire.TypeRequest:
		s.request(ctx, c, env, body)
	default:
		s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: fmt.Sprintf("unknown message type %q", env.Type)})
	}
}

func (s *Server) request(ctx context.Context, c *net.UnixConn, env wire.Envelope, body []byte) {
	var req wire.Request
	err := wire.DecodeStrict(body, &req)
	if err == nil {
		err = wire.CheckRouting(env, req.V, req.Type)
	}
	if err != nil {
		s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: err.Error()})
		return
	}
	t, err := s.eng.Submit(ctx, req)
	if err != nil {
		s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: err.Error()})
		return
	}
	accepted := wire.Accepted{V: wire.Version, Type: wire.TypeAccepted, RequestID: t.RequestID}
	if o, ok := t.Ready(); ok {
		// Decided on arrival: both frames in one write, no waiting.
		s.answer(c, &accepted, o)
		return
	}
	if !s.reply(c, accepted) {
		s.eng.Abandon(t.RequestID)
		return
	}
	// Watch for the hook going away while it waits: it sends nothing more,
	// so any read result means the connection ended.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_ = c.SetReadDeadline(time.Time{})
		var b [1]byte
		_, _ = c.Read(b[:])
		cancel()
	}()
	o, err := t.Wait(waitCtx)
	if err != nil {
		s.eng.Abandon(t.RequestID)
		return
	}
	s.answer(c, nil, o)
}

// answer writes the outcome (after the accepted message, if given) in one
// write: the verdict, or an error when nothing could sign one.
func (s *Server) answer(c *net.UnixConn, accepted *wire.Accepted, o engine.Outcome) {
	var buf bytes.Buffer
	if accepted != nil {
		if err := wire.WriteFrame(&buf, *accepted); err != nil {
			return
		}
	}
	if o.Verdict == nil {
		msg := "no verdict could be signed"
		if o.Err != nil {
			msg += ": " + o.Err.Error()
		}
		_ = wire.WriteFrame(&buf, wire.Error{V: wire.Version, Type: wire.TypeError, Message: msg})
	} else if err := wire.WriteVerdictFrame(&buf, o.Verdict); err != nil {
		_ = wire.WriteFrame(&buf, wire.Error{V: wire.Version, Type: wire.TypeError, Message: err.Error()})
	}
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write(buf.Bytes())
}

// reply writes one frame with a write deadline; it reports success.
func (s *Server) reply(c *net.UnixConn, msg any) bool {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return wire.WriteFrame(c, msg) == nil
}
