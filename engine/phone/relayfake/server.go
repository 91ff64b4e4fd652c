// Package relayfake is a local fake of SignalWire's RELAY WebSocket service
// for tests: the edge of the world the phone channel cannot reach here.
//
// It checks every frame a client sends against the protocol (JSON-RPC 2.0;
// signalwire.connect first, with event_acks and the credentials; UUID ids
// never reused; the exact params of each calling.* command; answers to its
// pings and ACKs of its events) and reports each violation to the test. It
// reproduces the behaviour a client must cope with: events re-sent until
// ACKed, call state events before the dial event, server pings, refused
// authentication, failure codes, a connection dropped mid-call with the
// session restored on reconnect, and a callee scripted per test.
package relayfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Options configure the fake.
type Options struct {
	// Project and Token are the credentials it accepts.
	Project, Token string
	// PingEvery makes the server ping each connection; 0 means 200 ms,
	// negative never.
	PingEvery time.Duration
	// PingTimeout is how long a ping may go unanswered before the server
	// drops the connection and reports a violation (2 s).
	PingTimeout time.Duration
	// ResendEvery re-sends each event not yet ACKed (100 ms); MaxResends
	// bounds that, after which the missing ACK is a violation (20).
	ResendEvery time.Duration
	MaxResends  int
	// AckGrace is how long an event or a ping may stay unanswered on a
	// connection that then closes before it counts as never answered
	// (500 ms).
	AckGrace time.Duration
	// Duplicate sends every event twice at once, as a resend racing an ACK
	// does.
	Duplicate bool
	// TimeScale multiplies the timeouts the client asks for (ring time,
	// initial and digit timeouts) to simulate them quickly (0.01).
	TimeScale float64
	// EchoToken makes authentication refusals quote the token presented,
	// as a careless server might: the client must not repeat it.
	EchoToken bool
	// Callee answers calls to any number without its own callee.
	Callee Callee
	// OnViolation receives protocol violations; nil reports them with
	// t.Errorf.
	OnViolation func(string)
}

// Server is a running fake.
type Server struct {
	// URL is the RELAY endpoint, ws://127.0.0.1:port/api/relay/ws.
	URL string

	t    testing.TB
	opts Options
	hs   *httptest.Server
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu         sync.Mutex
	conns      map[*fconn]struct{}
	sessions   map[string]*session // by protocol
	calls      map[string]*fcall   // by call id
	callees    map[string]Callee   // by number
	fail       map[string][]failure
	stall      map[string]int
	refuse     bool
	frames     [][]byte
	dials      []Dial
	prompts    []Prompt
	says       []string
	ends       []string
	connects   []Connect
	violations []string
}

// Connect records one signalwire.connect.
type Connect struct {
	Protocol, AuthorizationState string // presented by the client (reconnects)
	Restored                     bool   // the server restored the session
	Accepted                     bool
}

// Dial records one calling.dial.
type Dial struct {
	Tag, To, From string
	Ring          int // seconds
	CallID        string
}

type failure struct {
	code    string // a result code, or "" for a JSON-RPC error
	rpcCode int
	message string
}

// New starts a fake on a loopback port; it stops when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.PingEvery == 0 {
		o.PingEvery = 200 * time.Millisecond
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 2 * time.Second
	}
	if o.ResendEvery <= 0 {
		o.ResendEvery = 100 * time.Millisecond
	}
	if o.MaxResends <= 0 {
		o.MaxResends = 20
	}
	if o.AckGrace <= 0 {
		o.AckGrace = 500 * time.Millisecond
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 0.01
	}
	s := &Server{t: t, opts: o, conns: map[*fconn]struct{}{}, sessions: map[string]*session{}, calls: map[string]*fcall{},
		callees: map[string]Callee{}, fail: map[string][]failure{}, stall: map[string]int{}}
	s.ctx, s.stop = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("/api/relay/ws", s.serveWS)
	s.hs = httptest.NewServer(mux)
	s.URL = "ws://" + s.hs.Listener.Addr().String() + "/api/relay/ws"
	t.Cleanup(s.Close)
	return s
}

// Close stops the fake and every goroutine it runs.
func (s *Server) Close() {
	s.stop()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.ws.CloseNow()
	}
	s.mu.Unlock()
	s.hs.CloseClientConnections()
	s.hs.Close()
	s.wg.Wait()
}

// violation reports a protocol violation.
func (s *Server) violation(format string, args ...any) {
	msg := "relayfake: " + fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
	if s.opts.OnViolation != nil {
		s.opts.OnViolation(msg)
		return
	}
	if s.ctx.Err() == nil {
		s.t.Errorf("%s", msg)
	}
}

// session is one RELAY session: it outlives its connections.
type session struct {
	protocol  string
	authState string
	authEvent string // the event that carried authState
	authKnown bool   // the client ACKed it, so it must present it

	conn    *fconn // nil while disconnected
	unacked map[string]*pushed
	order   []string // unacked ids in push order
	acked   map[string]bool
}

type pushed struct {
	frame   []byte
	resends int
	last    time.Time
	first   time.Time // first written to conn
	conn    *fconn
}

// fconn is one WebSocket connection.
type fconn struct {
	ws      *websocket.Conn
	writeMu sync.Mutex
	sess    *session
	ids     map[string]bool      // request ids the client used
	pings   map[string]time.Time // server pings awaiting an answer
	asked   map[string]string    // other server requests awaiting an answer
	ctx     context.Context
	cancel  context.CancelFunc
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(s.ctx)
	c := &fconn{ws: ws, ids: map[string]bool{}, pings: map[string]time.Time{}, asked: map[string]string{}, ctx: ctx, cancel: cancel}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.pinger(c) }()
	go func() { defer s.wg.Done(); s.resender(c) }()
	defer func() {
		cancel()
		now := time.Now()
		var late []string
		s.mu.Lock()
		delete(s.conns, c)
		if c.sess != nil {
			if c.sess.conn == c {
				c.sess.conn = nil
			}
			for id, p := range c.sess.unacked {
				if p.conn == c && now.Sub(p.first) > s.opts.AckGrace {
					late = append(late, "event "+id+" was never ACKed")
				}
			}
		}
		for id, at := range c.pings {
			if now.Sub(at) > s.opts.AckGrace {
				late = append(late, "ping "+id+" was never answered")
			}
		}
		s.mu.Unlock()
		for _, l := range late {
			s.violation("%s", l)
		}
		_ = ws.CloseNow()
	}()
	for {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, append([]byte(nil), b...))
		s.mu.Unlock()
		if typ != websocket.MessageText {
			s.violation("a binary frame: RELAY frames are JSON text")
			continue
		}
		s.frame(c, b)
	}
}

// write sends one frame on c; writes are serialised.
func (c *fconn) write(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	c.writeRaw(b)
}

func (c *fconn) writeRaw(b []byte) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	_ = c.ws.Write(ctx, websocket.MessageText, b)
}

func reply(c *fconn, id string, result any) {
	c.write(map[string]any{"jsonrpc": "2.0", "id": id, "result": result})
}

func replyError(c *fconn, id string, code int, msg string) {
	c.write(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}})
}

// frame checks and handles one frame from the client.
func (s *Server) frame(c *fconn, b []byte) {
	var errs []string
	defer func() {
		for _, e := range errs {
			s.violation("%s", e)
		}
	}()
	f, ok := parseObject(b, "frame", &errs)
	if !ok {
		return
	}
	if v, _ := f.str("jsonrpc", true); v != "2.0" {
		f.bad(`"jsonrpc" must be "2.0"`)
	}
	id, _ := f.str("id", true)
	if f.has("method") {
		f.only("jsonrpc", "id", "method", "params")
		method, _ := f.str("method", true)
		if !uuidRE.MatchString(id) {
			f.bad("request id %q is not a version 4 UUID", id)
		}
		if c.ids[id] {
			f.bad("request id %s used twice on one connection", id)
		}
		c.ids[id] = true
		params, ok := f.object("params", true)
		if !ok {
			return
		}
		params.path = method
		s.request(c, id, method, params)
		return
	}
	// An answer to the server's ping or event.
	f.only("jsonrpc", "id", "result", "error")
	if f.has("result") == f.has("error") {
		f.bad("an answer needs exactly one of result and error")
		return
	}
	s.mu.Lock()
	_, wasPing := c.pings[id]
	delete(c.pings, id)
	_, wasAsked := c.asked[id]
	delete(c.asked, id)
	var sess = c.sess
	var wasEvent, wasAcked bool
	if sess != nil {
		_, wasEvent = sess.unacked[id]
		wasAcked = sess.acked[id]
		if wasEvent {
			delete(sess.unacked, id)
			sess.acked[id] = true
			if id == sess.authEvent {
				sess.authKnown = true
			}
		}
	}
	s.mu.Unlock()
	if f.has("error") {
		f.bad("the client answered %s with an error", id)
		return
	}
	res, ok := f.object("result", true)
	if !ok {
		return
	}
	switch {
	case wasPing:
		res.only("timestamp")
		if _, ok := res.num("timestamp", true); !ok {
			return
		}
	case wasEvent || wasAcked || wasAsked:
		// ACK of an event: {} (a second ACK of a re-sent event is fine).
		res.only()
	default:
		f.bad("an answer to %q, which the server never sent", id)
	}
}

// request handles a request from the client.
func (s *Server) request(c *fconn, id, method string, p obj) {
	if method != "signalwire.connect" && c.sess == nil {
		p.bad("sent before signalwire.connect succeeded")
		replyError(c, id, -32000, "not authenticated")
		return
	}
	s.mu.Lock()
	stalled := s.stall[method] > 0
	if stalled {
		s.stall[method]--
	}
	s.mu.Unlock()
	if stalled {
		return
	}
	if fl, ok := s.takeFailure(method); ok {
		if fl.code == "" {
			replyError(c, id, fl.rpcCode, fl.message)
		} else {
			reply(c, id, map[string]any{"code": fl.code, "message": fl.message})
		}
		return
	}
	switch method {
	case "signalwire.connect":
		s.connect(c, id, p)
	case "signalwire.ping":
		p.only("timestamp")
		reply(c, id, map[string]any{"timestamp": float64(time.Now().UnixMilli()) / 1000})
	case "calling.dial":
		s.dial(c, id, p)
	case "calling.play_and_collect":
		s.playAndCollect(c, id, p)
	case "calling.play":
		s.play(c, id, p)
	case "calling.play_and_collect.stop":
		s.stopAction(c, id, p)
	case "calling.end":
		s.end(c, id, p)
	default:
		p.bad("unknown method %q", method)
		replyError(c, id, -32601, "Method not found")
	}
}

func (s *Server) takeFailure(method string) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.fail[method]
	if len(q) == 0 {
		return failure{}, false
	}
	s.fail[method] = q[1:]
	return q[0], true
}

func (s *Server) connect(c *fconn, id string, p obj) {
	if c.sess != nil {
		p.bad("signalwire.connect twice on one connection")
	}
	p.only("version", "agent", "event_acks", "authentication", "contexts", "protocol", "authorization_state")
	if v, ok := p.object("version", true); ok {
		v.only("major", "minor", "revision")
		major, _ := v.integer("major", true)
		v.integer("minor", true)
		v.integer("revision", true)
		if major != 2 && major != 3 {
			v.bad("major version %d: RELAY speaks 2 or 3", major)
		}
	}
	if a, _ := p.str("agent", true); a == "" {
		p.bad(`"agent" is empty`)
	}
	if acks, ok := p.boolean("event_acks", true); ok && !acks {
		p.bad(`"event_acks" must be true: this client must ACK events`)
	}
	var project, token string
	if a, ok := p.object("authentication", true); ok {
		a.only("project", "token")
		project, _ = a.str("project", true)
		token, _ = a.str("token", true)
	}
	proto, hasProto := p.str("protocol", false)
	state, hasState := p.str("authorization_state", false)

	s.mu.Lock()
	refuse := s.refuse || project != s.opts.Project || token != s.opts.Token
	rec := Connect{Protocol: proto, AuthorizationState: state}
	if refuse {
		s.connects = append(s.connects, rec)
		s.mu.Unlock()
		msg := "Authentication failed"
		if s.opts.EchoToken {
			msg = "Authentication failed for project " + project + " with token " + token
		}
		replyError(c, id, -32002, msg)
		_ = c.ws.Close(websocket.StatusPolicyViolation, "authentication failed")
		return
	}
	sess, restored := s.sessions[proto], false
	if hasProto {
		switch {
		case sess == nil:
			// An unknown or expired protocol: a fresh session.
		case state == sess.authState:
			restored = true
		case sess.authKnown:
			s.mu.Unlock()
			p.bad("reconnect with protocol %s but without its latest authorization_state", proto)
			s.mu.Lock()
			sess = nil
		default:
			// The client never got the state (it dropped first): no
			// restore, no fault.
			sess = nil
		}
	} else if hasState {
		s.mu.Unlock()
		p.bad("authorization_state without protocol")
		s.mu.Lock()
	}
	if !restored {
		sess = &session{protocol: "signalwire_" + randHex(16), unacked: map[string]*pushed{}, acked: map[string]bool{}}
		s.sessions[sess.protocol] = sess
	}
	if old := sess.conn; old != nil && old != c {
		_ = old.ws.CloseNow()
	}
	sess.conn = c
	c.sess = sess
	rec.Restored, rec.Accepted = restored, true
	s.connects = append(s.connects, rec)
	s.mu.Unlock()

	reply(c, id, map[string]any{
		"identity":         "fake@" + sess.protocol,
		"authorization":    map[string]any{"project": project, "scopes": []string{"calling"}, "expires_at": time.Now().Add(time.Hour).Unix()},
		"protocol":         sess.protocol,
		"sessionid":        newUUID(),
		"nodeid":           "node-fake-1",
		"session_restored": restored,
	})
	state = randHex(24)
	s.mu.Lock()
	sess.authState, sess.authKnown = state, false
	s.mu.Unlock()
	sess.authEvent = s.push(sess, "signalwire.authorization.state", map[string]any{"authorization_state": state})
	if restored {
		s.flush(sess)
	}
}
