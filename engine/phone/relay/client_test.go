package relay_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/phone/relay"
	"github.com/ony-dev/ony-tui/engine/phone/relayfake"
)

const (
	project = "4a3d1f2e-0000-4000-8000-00000000c0de"
	token   = "PT0123456789abcdefSECRETTOKEN"
	owner   = "+14155550123"
	from    = "+14155550199"
)

// logs collects what the client logs, to check the token never appears.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// newFake starts a fake with the credentials above.
func newFake(t *testing.T, o relayfake.Options) *relayfake.Server {
	return relayfake.New(t, o)
}

func opts(srv *relayfake.Server, lg *logs) relay.Options {
	return relay.Options{URL: srv.URL, Project: project, Token: token, RequestTimeout: 2 * time.Second,
		HandshakeTimeout: 2 * time.Second, PingInterval: 50 * time.Millisecond,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Logf: lg.logf}
}

func connect(t *testing.T, srv *relayfake.Server, lg *logs) *relay.Client {
	t.Helper()
	c, err := relay.Connect(context.Background(), opts(srv, lg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// phases records the phases a call reports.
type phases struct {
	mu sync.Mutex
	ps []relay.Phase
}

func (p *phases) add(ph relay.Phase) { p.mu.Lock(); p.ps = append(p.ps, ph); p.mu.Unlock() }
func (p *phases) list() []relay.Phase {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]relay.Phase(nil), p.ps...)
}

func dial(t *testing.T, c *relay.Client, ph *phases) (*relay.Call, error) {
	t.Helper()
	var on func(relay.Phase)
	if ph != nil {
		on = ph.add
	}
	return c.Dial(ctx(t), relay.DialParams{To: owner, From: from, Ring: 30 * time.Second, OnState: on})
}

func prompt(text string, max int) relay.Prompt {
	return relay.Prompt{Text: text, Language: "en-US", MaxDigits: max, Terminators: "#",
		InitialTimeout: 10 * time.Second, DigitTimeout: 5 * time.Second}
}

func TestCallAnsweredPressesOne(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token, PingEvery: 10 * time.Millisecond,
		Callee: relayfake.Callee{Keys: relayfake.Presses("1")}})
	lg := &logs{}
	c := connect(t, srv, lg)
	ph := &phases{}
	call, err := dial(t, c, ph)
	if err != nil {
		t.Fatal(err)
	}
	d := srv.Dials()
	if len(d) != 1 || d[0].To != owner || d[0].From != from || d[0].Ring != 30 {
		t.Fatalf("dials: %+v", d)
	}
	// The fake sends the answered state before the dial event: the call
	// id must still be the one the events named.
	if call.ID() != d[0].CallID {
		t.Fatalf("call id %q, the server's %q", call.ID(), d[0].CallID)
	}
	got, err := call.PlayAndCollect(ctx(t), prompt("Press 1 to approve.", 1))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "digit" || got.Digits != "1" {
		t.Fatalf("collected %+v", got)
	}
	if err := call.Say(ctx(t), "Approved. Goodbye.", "en-US"); err != nil {
		t.Fatal(err)
	}
	if err := call.End(ctx(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Ended():
	case <-time.After(5 * time.Second):
		t.Fatal("the call never ended")
	}
	want := []relay.Phase{relay.PhaseDialing, relay.PhaseCreated, relay.PhaseRinging, relay.PhaseAnswered, relay.PhaseEnding, relay.PhaseEnded}
	if got := ph.list(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("phases %v, want %v", got, want)
	}
	if e := srv.Ends(); len(e) != 1 || e[0] != call.ID() {
		t.Fatalf("ends %v", e)
	}
	if ps := srv.Prompts(); len(ps) != 1 || ps[0].Text != "Press 1 to approve." || ps[0].Max != 1 {
		t.Fatalf("prompts %+v", ps)
	}
	// Server pings and events were answered all along: the fake reports
	// any left unanswered longer than its grace (500 ms) when the
	// connection closes, so keep it open past that.
	time.Sleep(700 * time.Millisecond)
	if v := srv.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
}

func TestCallNotAnswered(t *testing.T) {
	for _, tc := range []struct {
		pickup relayfake.Pickup
		reason string
	}{
		{relayfake.Busy, "busy"},
		{relayfake.NoAnswer, "noAnswer"},
		{relayfake.Decline, "decline"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			srv := newFake(t, relayfake.Options{Project: project, Token: token,
				Callee: relayfake.Callee{Pickup: tc.pickup}})
			c := connect(t, srv, &logs{})
			call, err := dial(t, c, nil)
			var de *relay.DialError
			if !errors.As(err, &de) || de.Reason != tc.reason || call != nil {
				t.Fatalf("dial: %v %v", call, err)
			}
		})
	}
}

func TestAuthRefusedNeverShowsTheToken(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: "another-token", EchoToken: true})
	lg := &logs{}
	_, err := relay.Connect(context.Background(), opts(srv, lg))
	if !errors.Is(err, relay.ErrAuth) {
		t.Fatalf("connect with a wrong token: %v", err)
	}
	if !strings.Contains(err.Error(), "-32002") || !strings.Contains(err.Error(), "Authentication failed") {
		t.Fatalf("the server's code and message are lost: %v", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(lg.text(), token) {
		t.Fatalf("the token leaked: %v\n%s", err, lg.text())
	}
	if !srv.Contains(token) {
		t.Fatal("the connect frame did not carry the token at all")
	}
}

func TestURLRules(t *testing.T) {
	for u, ok := range map[string]bool{
		"wss://example.signalwire.com/api/relay/ws": true,
		"wss://relay.signalwire.com":                true,
		"ws://127.0.0.1:8080/api/relay/ws":          true,
		"ws://[::1]:8080/api/relay/ws":              true,
		"ws://example.signalwire.com/api/relay/ws":  false,
		"ws://localhost:8080/":                      false, // a name can be re-pointed
		"ws://10.0.0.1/":                            false,
		"https://example.signalwire.com":            false,
		"wss://user:pw@example.signalwire.com":      false,
		"wss:///nohost":                             false,
		"::not a url":                               false,
	} {
		_, err := relay.CheckURL(u)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", u, err, ok)
		}
	}
	_, err := relay.Connect(context.Background(), relay.Options{URL: "ws://192.0.2.1/", Project: project, Token: token})
	if !errors.Is(err, relay.ErrURL) {
		t.Fatalf("connect to a non-loopback ws:// URL: %v", err)
	}
}

func TestFailureCodes(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token,
		Callee: relayfake.Callee{Keys: relayfake.Presses("1")}})
	c := connect(t, srv, &logs{})

	srv.FailNext("calling.dial", "500", "Internal error "+token)
	_, err := dial(t, c, nil)
	var se *relay.ServerError
	if !errors.As(err, &se) || se.Code != "500" || !strings.Contains(err.Error(), "Internal error") {
		t.Fatalf("dial answered 500: %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("a server message echoing the token reached the error: %v", err)
	}
	srv.FailNext("calling.dial", "202", "Accepted but not 200")
	if _, err := dial(t, c, nil); !errors.As(err, &se) || se.Code != "202" {
		t.Fatalf("dial answered 202 is not a success: %v", err)
	}
	srv.FailNextRPC("calling.dial", -32602, "Invalid params")
	if _, err := dial(t, c, nil); !errors.As(err, &se) || se.Code != "-32602" {
		t.Fatalf("dial answered a JSON-RPC error: %v", err)
	}
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("calling.play_and_collect", "403", "Forbidden")
	if _, err := call.PlayAndCollect(ctx(t), prompt("x", 1)); !errors.As(err, &se) || se.Code != "403" {
		t.Fatalf("play_and_collect answered 403: %v", err)
	}
	srv.FailNext("calling.end", "404", "Call not found")
	if err := call.End(ctx(t)); err != nil {
		t.Fatalf("ending a call already gone is not an error: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token})
	o := opts(srv, &logs{})
	o.RequestTimeout = 100 * time.Millisecond
	c, err := relay.Connect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.StallNext("calling.dial", 1)
	start := time.Now()
	_, err = c.Dial(ctx(t), relay.DialParams{To: owner, From: from, Ring: 30 * time.Second})
	if !errors.Is(err, relay.ErrTimeout) {
		t.Fatalf("a dial the server never answers: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestHangUpDuringPrompt(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token,
		Callee: relayfake.Callee{Keys: func(relayfake.Prompt) relayfake.Reply { return relayfake.Reply{HangUp: true} }}})
	c := connect(t, srv, &logs{})
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = call.PlayAndCollect(ctx(t), prompt("Press 1.", 1))
	var ee *relay.EndedError
	if !errors.As(err, &ee) || ee.Reason != "hangup" {
		t.Fatalf("hang-up during the prompt: %v", err)
	}
}

func TestSilence(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token})
	c := connect(t, srv, &logs{})
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := call.PlayAndCollect(ctx(t), prompt("Press 1.", 1))
	if err != nil || got.Kind != "no_input" || got.Digits != "" {
		t.Fatalf("silence: %+v %v", got, err)
	}
}

func TestCodeDigitsWithTerminator(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token,
		Callee: relayfake.Callee{Keys: relayfake.Presses("123456#")}})
	c := connect(t, srv, &logs{})
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := call.PlayAndCollect(ctx(t), prompt("Enter the code.", 6))
	if err != nil || got.Digits != "123456" || got.Terminator != "#" {
		t.Fatalf("code: %+v %v", got, err)
	}
}

// Every event arrives twice; the client must ACK both and act once.
func TestDuplicateEvents(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token, Duplicate: true,
		Callee: relayfake.Callee{Keys: relayfake.Presses("2", "1")}})
	c := connect(t, srv, &logs{})
	var mu sync.Mutex
	collects := 0
	relay.Observe(c, func(e relay.Event) {
		if e.Type == relay.EventCallCollect {
			mu.Lock()
			collects++
			mu.Unlock()
		}
	})
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := call.PlayAndCollect(ctx(t), prompt("one", 1))
	if err != nil {
		t.Fatal(err)
	}
	second, err := call.PlayAndCollect(ctx(t), prompt("two", 1))
	if err != nil {
		t.Fatal(err)
	}
	if first.Digits != "2" || second.Digits != "1" {
		t.Fatalf("a duplicated collect event reached the next prompt: %q then %q", first.Digits, second.Digits)
	}
	time.Sleep(200 * time.Millisecond) // let re-sends run: unACKed ones are violations
	if v := srv.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
	mu.Lock()
	defer mu.Unlock()
	// Two prompts, each a partial and a final collect event, each sent twice.
	if collects != 4 {
		t.Fatalf("%d collect events dispatched, want 4 (duplicates dropped)", collects)
	}
}

// The connection drops while the owner is being asked. The prompt fails
// (no answer can be trusted), the client reconnects with the protocol and
// authorization state it stored, the server restores the session and
// re-sends the key pressed meanwhile, which must not answer anything. The
// call can still be ended.
func TestDisconnectMidCall(t *testing.T) {
	var srv *relayfake.Server
	srv = newFake(t, relayfake.Options{Project: project, Token: token,
		Callee: relayfake.Callee{Keys: func(relayfake.Prompt) relayfake.Reply {
			return relayfake.Reply{Digits: "1", Do: func() { srv.Disconnect() }}
		}}})
	lg := &logs{}
	c := connect(t, srv, lg)
	call, err := dial(t, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = call.PlayAndCollect(ctx(t), prompt("Press 1.", 1))
	if !errors.Is(err, relay.ErrDisconnected) {
		t.Fatalf("prompt over a dropped connection: %v", err)
	}
	if err := c.WaitConnected(ctx(t)); err != nil {
		t.Fatal(err)
	}
	cs := srv.Connects()
	if len(cs) != 2 || !cs[1].Restored || cs[1].Protocol == "" || cs[1].AuthorizationState == "" {
		t.Fatalf("reconnect did not present the stored protocol and authorization state: %+v", cs)
	}
	if !c.Restored() {
		t.Fatal("the client did not see the session restored")
	}
	if _, err := call.PlayAndCollect(ctx(t), prompt("again", 1)); !errors.Is(err, relay.ErrDisconnected) {
		t.Fatalf("a call from a lost connection took another prompt: %v", err)
	}
	if err := call.End(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if e := srv.Ends(); len(e) != 1 {
		t.Fatalf("ends %v", e)
	}
	if !strings.Contains(lg.text(), "reconnected") || strings.Contains(lg.text(), token) {
		t.Fatalf("log:\n%s", lg.text())
	}
}

func TestServerAsksToReconnect(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token})
	c := connect(t, srv, &logs{})
	for !srv.AuthStateDelivered() {
		time.Sleep(5 * time.Millisecond)
	}
	srv.AskReconnect()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Connects()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.WaitConnected(ctx(t)); err != nil || len(srv.Connects()) != 2 || !srv.Connects()[1].Restored {
		t.Fatalf("after signalwire.disconnect: %v %+v", err, srv.Connects())
	}
}

// A server that stops answering the client's pings is half-open: after
// three misses the client drops it and reconnects.
func TestUnansweredPingsReconnect(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token})
	o := opts(srv, &logs{})
	o.RequestTimeout = 100 * time.Millisecond
	c, err := relay.Connect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.StallNext("signalwire.ping", 3)
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Connects()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(srv.Connects()) < 2 {
		t.Fatalf("connects %+v", srv.Connects())
	}
	if err := c.WaitConnected(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// Many goroutines write at once; frames never interleave (the fake checks
// each one) and every request gets its own answer.
func TestConcurrentRequests(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token, PingEvery: time.Millisecond})
	c := connect(t, srv, &logs{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Execute(ctx(t), relay.MethodPing, map[string]any{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClosedClient(t *testing.T) {
	srv := newFake(t, relayfake.Options{Project: project, Token: token})
	c := connect(t, srv, &logs{})
	_ = c.Close()
	if _, err := c.Execute(ctx(t), relay.MethodPing, map[string]any{}); !errors.Is(err, relay.ErrClosed) {
		t.Fatalf("execute after close: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Connects()); n != 1 {
		t.Fatalf("a closed client reconnected: %d connects", n)
	}
}
