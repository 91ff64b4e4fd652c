package relayfake_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ony-dev/ony-tui/engine/phone/relayfake"
)

// The fake's checks are what the client's tests rely on: a client that
// breaks the protocol must be reported. These tests break it on purpose
// with raw frames.

type recorder struct {
	mu sync.Mutex
	vs []string
}

func (r *recorder) add(v string) { r.mu.Lock(); r.vs = append(r.vs, v); r.mu.Unlock() }

func (r *recorder) has(sub string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.vs {
		if strings.Contains(v, sub) {
			return true
		}
	}
	return false
}

func raw(t *testing.T, srv *relayfake.Server) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// read returns the next frame's members.
func read(t *testing.T, c *websocket.Conn) map[string]json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

const (
	project = "p-0000-0000"
	token   = "tok-123456789"
	id1     = "0b2f6c1e-7c1a-4d7e-9a55-3f1d2c4b5a69"
	id2     = "1b2f6c1e-7c1a-4d7e-9a55-3f1d2c4b5a69"
)

func connectFrame(id string, acks bool) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "method": "signalwire.connect", "params": map[string]any{
		"version": map[string]int{"major": 2, "minor": 0, "revision": 0}, "agent": "raw", "event_acks": acks,
		"authentication": map[string]string{"project": project, "token": token}}}
}

func wait(t *testing.T, r *recorder, sub string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !r.has(sub) {
		if time.Now().After(deadline) {
			t.Fatalf("no violation %q; got %v", sub, r.vs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestViolationsAreReported(t *testing.T) {
	cases := []struct {
		name  string
		run   func(t *testing.T, c *websocket.Conn)
		wants string
	}{
		{"command before connect", func(t *testing.T, c *websocket.Conn) {
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id1, "method": "calling.dial", "params": map[string]any{}})
		}, "sent before signalwire.connect"},
		{"no event acks", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, false))
		}, `"event_acks" must be true`},
		{"not a uuid", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame("1", true))
		}, "not a version 4 UUID"},
		{"id reused", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id1, "method": "signalwire.ping", "params": map[string]any{}})
		}, "used twice"},
		{"unknown method", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id2, "method": "blade.execute", "params": map[string]any{}})
		}, "unknown method"},
		{"dial to a bad number", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id2, "method": "calling.dial", "params": map[string]any{
				"tag": id1, "devices": [][]map[string]any{{{"type": "phone", "params": map[string]any{
					"to_number": "4155550123", "from_number": "+14155550199", "timeout": 30}}}}}})
		}, "must be E.164"},
		{"answer to nothing", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": "nope", "result": map[string]any{}})
		}, "never sent"},
		{"event never acked", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c) // the result; the authorization state event follows and is never ACKed
			time.Sleep(300 * time.Millisecond)
			_ = c.Close(websocket.StatusNormalClosure, "")
		}, "never ACKed"},
		{"markup in speech", func(t *testing.T, c *websocket.Conn) {
			send(t, c, connectFrame(id1, true))
			read(t, c)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id2, "method": "calling.play", "params": map[string]any{
				"node_id": "n", "call_id": "c", "control_id": id1,
				"play": []map[string]any{{"type": "tts", "params": map[string]any{"text": "<speak>hi</speak>"}}}}})
		}, "markup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			srv := relayfake.New(t, relayfake.Options{Project: project, Token: token, PingEvery: -1,
				AckGrace: 100 * time.Millisecond, OnViolation: r.add})
			tc.run(t, raw(t, srv))
			wait(t, r, tc.wants)
		})
	}
}

// A client that follows the protocol draws no violation.
func TestCleanSessionHasNoViolations(t *testing.T) {
	r := &recorder{}
	srv := relayfake.New(t, relayfake.Options{Project: project, Token: token, PingEvery: -1, OnViolation: r.add})
	c := raw(t, srv)
	send(t, c, connectFrame(id1, true))
	for i := 0; i < 2; i++ { // the result and the authorization state event
		m := read(t, c)
		if m["method"] != nil {
			var id string
			_ = json.Unmarshal(m["id"], &id)
			send(t, c, map[string]any{"jsonrpc": "2.0", "id": id, "result": map[string]any{}})
		}
	}
	time.Sleep(200 * time.Millisecond)
	_ = c.Close(websocket.StatusNormalClosure, "")
	time.Sleep(100 * time.Millisecond)
	if len(r.vs) != 0 {
		t.Fatal(r.vs)
	}
}
