// Package relay is a client of SignalWire's RELAY WebSocket API: JSON-RPC
// 2.0 over one outbound WebSocket, enough to place a call, speak to the
// person who answers, collect the keys they press and hang up. No webhook
// and no public URL are involved.
//
// The client authenticates with signalwire.connect (project and token,
// event_acks on), answers the server's signalwire.ping, ACKs every
// signalwire.event (and drops re-sent duplicates), times out every request,
// treats any result code other than "200" as a failure carrying the
// server's message, serialises its writes, and reconnects with exponential
// backoff, presenting the stored protocol and authorization_state so the
// server can restore the session.
//
// The API token is sent in the connect frame only. It never appears in an
// error or a log line this package produces; server messages that echo it
// are scrubbed.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Options configure a Client.
type Options struct {
	// URL is the RELAY endpoint, wss://<space>.signalwire.com/api/relay/ws.
	// ws:// is accepted only for a loopback address (tests).
	URL string
	// Project and Token are the SignalWire project id and API token.
	Project string
	Token   string
	// Agent names this client in the connect frame.
	Agent string

	// RequestTimeout bounds each request's wait for its result (10 s).
	RequestTimeout time.Duration
	// HandshakeTimeout bounds connecting and authenticating (10 s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each frame written (5 s).
	WriteTimeout time.Duration
	// PingInterval is how often the client pings the server; three pings
	// in a row unanswered within the longer of PingInterval and
	// RequestTimeout drop the connection (20 s; negative disables).
	PingInterval time.Duration
	// BackoffMin and BackoffMax bound the wait between reconnect attempts
	// (1 s doubling to 30 s).
	BackoffMin, BackoffMax time.Duration

	// HTTPClient makes the WebSocket handshake; nil means the default.
	HTTPClient *http.Client
	// Logf receives diagnostics (never the token); nil discards them.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Agent == "" {
		o.Agent = "ony-tui"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RequestTimeout, 10*time.Second)
	def(&o.HandshakeTimeout, 10*time.Second)
	def(&o.WriteTimeout, 5*time.Second)
	def(&o.BackoffMin, time.Second)
	def(&o.BackoffMax, 30*time.Second)
	if o.PingInterval == 0 {
		o.PingInterval = 20 * time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
}

// Errors.
var (
	// ErrAuth: the server refused the project and token.
	ErrAuth = errors.New("SignalWire refused the project id and API token")
	// ErrDisconnected: the WebSocket dropped while waiting.
	ErrDisconnected = errors.New("the connection to SignalWire was lost")
	// ErrTimeout: the server did not answer in time.
	ErrTimeout = errors.New("SignalWire did not answer in time")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("relay client closed")
	// ErrURL: the RELAY URL is not acceptable.
	ErrURL = errors.New("relay URL")
)

// ServerError is a request the server answered with an error: a JSON-RPC
// error (Code is its integer, as text) or a result whose code is not "200".
type ServerError struct {
	Method  string
	Code    string
	Message string
}

func (e *ServerError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("%s: SignalWire answered %s: %s", e.Method, e.Code, msg)
}

// Gone reports a code saying the call no longer exists.
func (e *ServerError) Gone() bool { return e.Code == "404" || e.Code == "410" }

// CheckURL accepts wss:// URLs, and ws:// only when the host is a loopback
// IP address.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot parse it", ErrURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: must not carry credentials", ErrURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrURL, u.Redacted())
	}
	switch u.Scheme {
	case "wss":
		return u, nil
	case "ws":
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return u, nil
		}
		return nil, fmt.Errorf("%w: %s is not encrypted: ws:// is accepted only on a loopback address, use wss://", ErrURL, u.Redacted())
	default:
		return nil, fmt.Errorf("%w: scheme %q: use wss://", ErrURL, u.Scheme)
	}
}

// Client is one RELAY session. Its methods are safe for concurrent use.
type Client struct {
	opts Options
	host string

	writeMu sync.Mutex // one frame at a time on the socket

	mu        sync.Mutex
	cur       *conn // nil while disconnected
	up        chan struct{}
	protocol  string
	authState string
	restored  bool
	pending   map[string]chan Frame
	calls     map[string]*Call // by tag
	byID      map[string]*Call // by call id
	seen      idRing
	closed    bool
	observe   func(Event) // tests: every event dispatched

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// conn is one WebSocket connection of the session.
type conn struct {
	ws   *websocket.Conn
	ctx  context.Context // ends when the connection is lost
	stop context.CancelFunc
}

// Connect opens the WebSocket and authenticates. An authentication refusal
// is an error wrapping ErrAuth; the client does not retry it.
func Connect(ctx context.Context, o Options) (*Client, error) {
	o.defaults()
	u, err := CheckURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Project == "" || o.Token == "" {
		return nil, errors.New("relay: a project id and an API token are required")
	}
	c := &Client{opts: o, host: u.Host, pending: map[string]chan Frame{}, calls: map[string]*Call{},
		byID: map[string]*Call{}, up: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cn, err := c.dial(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.start(cn)
	return c, nil
}

// Close ends the session: it closes the WebSocket and stops reconnecting.
// Calls in progress are not ended; end them first.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cn := c.cur
	c.mu.Unlock()
	if cn != nil {
		_ = cn.ws.Close(websocket.StatusNormalClosure, "")
		cn.stop()
	}
	c.cancel()
	c.wg.Wait()
	return nil
}

// Restored reports whether the server restored the session at the last
// (re)connect.
func (c *Client) Restored() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restored
}

// Connected reports whether the WebSocket is up now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// WaitConnected waits until the WebSocket is up (at once if it is).
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		up, cur, closed := c.up, c.cur, c.closed
		c.mu.Unlock()
		if closed {
			return ErrClosed
		}
		if cur != nil {
			return nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ctx.Done():
			return ErrClosed
		}
	}
}

func (c *Client) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf("%s", c.scrub(fmt.Sprintf(format, args...)))
	}
}

// scrub removes the token (and the project id) from text that may echo
// them: server messages, transport errors.
func (c *Client) scrub(s string) string {
	if c.opts.Token != "" {
		s = strings.ReplaceAll(s, c.opts.Token, "[token]")
	}
	if len(c.opts.Project) >= 8 {
		s = strings.ReplaceAll(s, c.opts.Project, "[project]")
	}
	return s
}

type scrubbed struct {
	msg string
	err error
}

func (s scrubbed) Error() string { return s.msg }
func (s scrubbed) Unwrap() error { return s.err }

// scrubErr keeps err's identity for errors.Is, with a message scrubbed.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return scrubbed{msg: c.scrub(err.Error()), err: err}
}

// dial opens a WebSocket and runs signalwire.connect on it, presenting the
// stored protocol and authorization state if there are any.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	hctx, cancel := context.WithTimeout(ctx, c.opts.HandshakeTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(hctx, c.opts.URL, &websocket.DialOptions{HTTPClient: c.opts.HTTPClient})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("relay: connecting to %s: %w", c.host, err))
	}
	ws.SetReadLimit(MaxFrameSize)
	cctx, stop := context.WithCancel(c.ctx)
	cn := &conn{ws: ws, ctx: cctx, stop: stop}
	if err := c.authenticate(hctx, cn); err != nil {
		_ = ws.Close(websocket.StatusNormalClosure, "")
		stop()
		return nil, err
	}
	return cn, nil
}

// authenticate sends signalwire.connect and reads frames until its answer,
// answering pings meanwhile.
func (c *Client) authenticate(ctx context.Context, cn *conn) error {
	c.mu.Lock()
	params := map[string]any{
		"version":        map[string]int{"major": 2, "minor": 0, "revision": 0},
		"agent":          c.opts.Agent,
		"event_acks":     true,
		"authentication": map[string]string{"project": c.opts.Project, "token": c.opts.Token},
	}
	if c.protocol != "" {
		params["protocol"] = c.protocol
	}
	if c.authState != "" {
		params["authorization_state"] = c.authState
	}
	c.mu.Unlock()
	id := newUUID()
	b, err := json.Marshal(request{JSONRPC: "2.0", ID: id, Method: MethodConnect, Params: params})
	if err != nil {
		return fmt.Errorf("relay: encoding connect: %w", err)
	}
	if err := c.write(ctx, cn, b); err != nil {
		return err
	}
	for {
		typ, raw, err := cn.ws.Read(ctx)
		if err != nil {
			return c.scrubErr(fmt.Errorf("relay: authenticating to %s: %w", c.host, err))
		}
		if typ != websocket.MessageText {
			continue
		}
		f, err := DecodeFrame(raw)
		if err != nil {
			c.logf("relay: ignoring a frame during authentication: %v", err)
			continue
		}
		if f.IsRequest() {
			if f.Method == MethodPing {
				_ = c.write(ctx, cn, pong(f.ID))
			}
			continue
		}
		if f.ID != id {
			continue
		}
		if f.Error != nil {
			return fmt.Errorf("relay: %w (%s: %s)", ErrAuth, strconv.Itoa(f.Error.Code), c.scrub(f.Error.Message))
		}
		var res struct {
			Protocol        string `json:"protocol"`
			SessionRestored bool   `json:"session_restored"`
		}
		if err := json.Unmarshal(f.Result, &res); err != nil || res.Protocol == "" || !validID(res.Protocol) {
			return errors.New("relay: the connect result has no protocol")
		}
		c.mu.Lock()
		c.protocol, c.restored = res.Protocol, res.SessionRestored
		c.mu.Unlock()
		return nil
	}
}

// start makes cn the current connection and runs its loops.
func (c *Client) start(cn *conn) {
	c.mu.Lock()
	c.cur = cn
	close(c.up)
	c.mu.Unlock()
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.readLoop(cn) }()
	if c.opts.PingInterval > 0 {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.pinger(cn) }()
	}
}

func (c *Client) readLoop(cn *conn) {
	for {
		typ, b, err := cn.ws.Read(cn.ctx)
		if err != nil {
			c.lost(cn, err)
			return
		}
		if typ != websocket.MessageText {
			c.logf("relay: ignoring a binary frame")
			continue
		}
		f, err := DecodeFrame(b)
		if err != nil {
			c.logf("relay: ignoring a frame: %v", err)
			continue
		}
		c.handle(cn, f)
	}
}

func (c *Client) handle(cn *conn, f Frame) {
	if !f.IsRequest() {
		c.mu.Lock()
		ch := c.pending[f.ID]
		delete(c.pending, f.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- f // buffered 1, sent once
		}
		return
	}
	switch f.Method {
	case MethodPing:
		c.writeLogged(cn, pong(f.ID))
	case MethodEvent:
		c.writeLogged(cn, ack(f.ID))
		c.mu.Lock()
		dup := !c.seen.add(f.ID)
		c.mu.Unlock()
		if dup {
			return
		}
		ev, err := DecodeEvent(f.Params)
		if err != nil {
			c.logf("relay: ignoring an event: %v", err)
			return
		}
		c.mu.Lock()
		observe := c.observe
		c.mu.Unlock()
		if observe != nil {
			observe(ev)
		}
		c.dispatch(ev)
	case MethodDisconnect:
		// The server is going away: acknowledge, then reconnect.
		c.writeLogged(cn, ack(f.ID))
		_ = cn.ws.Close(websocket.StatusNormalClosure, "reconnecting")
	default:
		b, _ := json.Marshal(errorReply{JSONRPC: "2.0", ID: f.ID, Error: rpcErr{Code: -32601, Message: "method not found"}})
		c.writeLogged(cn, b)
	}
}

// lost handles the end of a connection not asked for by Close: waiters on
// it fail with ErrDisconnected, calls in progress are marked lost, and the
// client reconnects.
func (c *Client) lost(cn *conn, cause error) {
	c.mu.Lock()
	if c.cur != cn {
		c.mu.Unlock()
		return
	}
	c.cur = nil
	c.up = make(chan struct{})
	c.pending = map[string]chan Frame{}
	closed := c.closed
	calls := make([]*Call, 0, len(c.calls))
	for _, call := range c.calls {
		calls = append(calls, call)
	}
	c.mu.Unlock()
	cn.stop()
	_ = cn.ws.CloseNow()
	for _, call := range calls {
		call.markLost()
	}
	if closed {
		return
	}
	c.logf("relay: connection to %s lost (%v); reconnecting", c.host, cause)
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.reconnect() }()
}

func (c *Client) reconnect() {
	wait := c.opts.BackoffMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
		cn, err := c.dial(c.ctx)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			c.logf("relay: reconnect failed: %v (next try in %s)", err, min(wait*2, c.opts.BackoffMax))
			wait = min(wait*2, c.opts.BackoffMax)
			continue
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			_ = cn.ws.CloseNow()
			cn.stop()
			return
		}
		c.start(cn)
		c.logf("relay: reconnected to %s (session restored: %v)", c.host, c.Restored())
		return
	}
}

// pinger pings the server; after three unanswered pings in a row it drops
// the connection, which reconnects.
func (c *Client) pinger(cn *conn) {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-cn.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(cn.ctx, max(c.opts.PingInterval, c.opts.RequestTimeout))
		_, err := c.executeOn(ctx, cn, MethodPing, map[string]any{})
		cancel()
		switch {
		case err == nil:
			missed = 0
		case cn.ctx.Err() != nil:
			return
		default:
			if missed++; missed >= 3 {
				c.logf("relay: %d pings unanswered; dropping the connection", missed)
				_ = cn.ws.CloseNow()
				return
			}
		}
	}
}
