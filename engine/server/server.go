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
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// Options tune the server.
type Options struct {
	// ReadTimeout bounds how long a client may take to send its request.
	ReadTimeout time.Duration
	// MaxConns bounds concurrent connections; more are closed at once (the
	// hook then denies).
	MaxConns int
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
	sem   chan struct{}
	peers []int
	wg    sync.WaitGroup
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
	if opts.HookGroup > 0 {
		if err := paths.CheckSocketDir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("socket directory: %w", err)
		}
	} else if err := paths.EnsurePrivateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	peers := opts.Peers
	if len(peers) == 0 {
		peers = []int{os.Getuid()}
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	mode := os.FileMode(0o600)
	if opts.HookGroup > 0 {
		mode = paths.SystemSocketMode
		if err := os.Lchown(path, -1, opts.HookGroup); err != nil {
			ln.Close()
			return nil, fmt.Errorf("giving socket %s the hook group %d: %w (the engine's user must be in that group)", path, opts.HookGroup, err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("securing socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	return &Server{eng: eng, ln: ln, path: path, opts: opts, sem: make(chan struct{}, opts.MaxConns), peers: peers}, nil
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking socket path %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("socket path %s is a symlink: refusing it; remove it and start again", path)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("socket path %s exists and is not a socket: refusing to replace it", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket %s is owned by uid %d, not you: refusing it", path, st.Uid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing stale socket %s: %w", path, err)
	}
	return nil
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
		select {
		case s.sem <- struct{}{}:
		default:
			c.Close() // the hook denies on its own
			s.eng.Problem("too many hook connections: one refused")
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

// Close stops accepting and removes the socket file.
func (s *Server) Close() error { return s.ln.Close() }

func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	// A bug must not take the console down: the connection closes without
	// a verdict (the hook denies) and the console shows the problem.
	defer func() {
		if r := recover(); r != nil {
			s.eng.Problem(fmt.Sprintf("internal error handling a hook request (denied): %v", r))
		}
	}()
	uid, err := wire.PeerUID(c)
	if err != nil || !slices.Contains(s.peers, uid) {
		s.eng.Problem(fmt.Sprintf("refused a socket connection from uid %d: only uid %s may connect", uid, uidList(s.peers)))
		return
	}
	s.eng.ConnOpened()
	defer s.eng.ConnClosed()
	_ = c.SetReadDeadline(time.Now().Add(s.opts.ReadTimeout))
	body, err := wire.ReadFrame(c, wire.MaxFrame)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.reply(c, wire.Error{V: wire.Version, Type: wire.TypeError, Message: "bad frame: " + err.Error()})
		}
		return
	}
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
