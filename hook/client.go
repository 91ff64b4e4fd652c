package hook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine/host"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// ErrUnreachable reports that no console answered on the socket.
var ErrUnreachable = errors.New("ony console not reachable")

// Answer is the verified outcome of one exchange with the engine.
type Answer struct {
	RequestID string
	Verdict   *verdict.Verdict
}

// Peer is the engine a hook asks: its socket, and the uid the socket's
// owner and the process answering on it must have.
type Peer struct {
	Socket string
	UID    int
}

// Exchange sends call to the engine at socket, which must run as this user,
// and returns the verdict once it has verified it against kr and the
// request it sent. Any failure is an error; the caller denies.
func Exchange(ctx context.Context, socket string, call *wire.ToolCall, kr verdict.Keyring, deadline time.Time) (*Answer, error) {
	return ExchangeWith(ctx, Peer{Socket: socket, UID: os.Getuid()}, call, kr, deadline)
}

// ExchangeWith is Exchange with an engine that runs as peer.UID.
func ExchangeWith(ctx context.Context, peer Peer, call *wire.ToolCall, kr verdict.Keyring, deadline time.Time) (*Answer, error) {
	conn, err := dial(ctx, peer)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// A cancelled ctx (the hook was interrupted) ends the wait at once, and
	// the engine sees the hook leave. The deadline is the connection's own.
	defer context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			_ = conn.Close()
		}
	})()
	_ = conn.SetDeadline(deadline)
	var nb [16]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	nonce := hex.EncodeToString(nb[:])
	digest := call.DigestHex()
	req := wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: nonce, Call: *call,
		DeadlineMS: time.Until(deadline).Milliseconds(), Host: host.ID()}
	if err := wire.WriteFrame(conn, req); err != nil {
		return nil, fmt.Errorf("sending request: %w", err)
	}
	// First the request id, then the verdict.
	body, err := readMsg(conn, wire.TypeAccepted)
	if err != nil {
		return nil, err
	}
	var acc wire.Accepted
	if err := wire.DecodeStrict(body, &acc); err != nil || acc.RequestID == "" ||
		wire.CheckRouting(wire.Envelope{V: wire.Version, Type: wire.TypeAccepted}, acc.V, acc.Type) != nil {
		return nil, fmt.Errorf("bad accepted message: %v", err)
	}
	body, err = readMsg(conn, wire.TypeVerdict)
	if err != nil {
		return nil, err
	}
	var vm wire.VerdictMsg
	if err := wire.DecodeStrict(body, &vm); err != nil {
		return nil, fmt.Errorf("bad verdict message: %w", err)
	}
	if err := wire.CheckRouting(wire.Envelope{V: wire.Version, Type: wire.TypeVerdict}, vm.V, vm.Type); err != nil {
		return nil, fmt.Errorf("bad verdict message: %w", err)
	}
	v, err := verdict.Parse(vm.Verdict)
	if err != nil {
		return nil, err
	}
	if err := verdict.Verify(v, kr, verdict.Expect{RequestID: acc.RequestID, Nonce: nonce, RequestDigest: digest, Now: time.Now()}); err != nil {
		return nil, fmt.Errorf("verdict rejected: %w", err)
	}
	return &Answer{RequestID: acc.RequestID, Verdict: v}, nil
}

// readMsg reads one frame and checks its type. An error message from the
// engine becomes an error carrying its text.
func readMsg(conn net.Conn, want string) ([]byte, error) {
	body, err := wire.ReadFrame(conn, wire.MaxFrame)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errTimeout
		}
		return nil, fmt.Errorf("reading %s from the console: %w", want, err)
	}
	env, err := wire.DecodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	if env.Type == wire.TypeError {
		var m wire.Error
		_ = wire.DecodeStrict(body, &m)
		return nil, fmt.Errorf("console refused the request: %s", m.Message)
	}
	if env.Type != want {
		return nil, fmt.Errorf("console sent %q, expected %q", env.Type, want)
	}
	return body, nil
}

var errTimeout = errors.New("approval timed out")

// dial connects to the socket after checking that it is a socket owned by
// the peer's uid (not a symlink), and that the process answering runs as
// that uid.
func dial(ctx context.Context, peer Peer) (*net.UnixConn, error) {
	socket := peer.Socket
	fi, err := os.Lstat(socket)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no socket at %s", ErrUnreachable, socket)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("socket %s is a symlink: refusing it", socket)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return nil, fmt.Errorf("%s is not a socket: refusing it", socket)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != peer.UID {
		return nil, fmt.Errorf("socket %s is owned by uid %d, not %s: refusing it", socket, st.Uid, whom(peer.UID))
	}
	c, err := dialRetry(ctx, socket, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	uc := c.(*net.UnixConn)
	uid, err := wire.PeerUID(uc)
	if err != nil {
		uc.Close()
		return nil, err
	}
	if uid != peer.UID {
		uc.Close()
		return nil, fmt.Errorf("the process on %s runs as uid %d, not %s: refusing it", socket, uid, whom(peer.UID))
	}
	return uc, nil
}

// whom names the uid a socket must belong to, for the hook log.
func whom(uid int) string {
	if uid == os.Getuid() {
		return fmt.Sprintf("you (uid %d)", uid)
	}
	return fmt.Sprintf("the engine's user (uid %d)", uid)
}

// dialRetry connects to socket. A full accept queue (EAGAIN: a flood of
// connections is being shed by the engine) is retried, briefly, until
// timeout; any other error is returned at once.
func dialRetry(ctx context.Context, socket string, timeout time.Duration) (net.Conn, error) {
	var d net.Dialer
	return retryEAGAIN(ctx, timeout, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", socket) })
}

// retryEAGAIN calls dial until it succeeds, fails with anything but EAGAIN,
// or timeout passes (then the last error is returned).
func retryEAGAIN(ctx context.Context, timeout time.Duration, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 5*time.Millisecond) {
		c, err := dial(ctx)
		if err == nil || !errors.Is(err, syscall.EAGAIN) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}
