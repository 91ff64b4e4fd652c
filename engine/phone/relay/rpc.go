package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Execute sends one request on the current connection and waits for its
// result. A JSON-RPC error, and for calling.* methods a result code other
// than "200", is a *ServerError. A lost connection is ErrDisconnected.
func (c *Client) Execute(ctx context.Context, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	cn, closed := c.cur, c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if cn == nil {
		return nil, fmt.Errorf("relay: %s: %w", method, ErrDisconnected)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	return c.executeOn(ctx, cn, method, params)
}

func (c *Client) executeOn(ctx context.Context, cn *conn, method string, params any) (json.RawMessage, error) {
	id := newUUID()
	b, err := json.Marshal(request{JSONRPC: "2.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, fmt.Errorf("relay: encoding %s: %w", method, err)
	}
	ch := make(chan Frame, 1)
	c.mu.Lock()
	if c.cur != cn {
		c.mu.Unlock()
		return nil, fmt.Errorf("relay: %s: %w", method, ErrDisconnected)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.write(ctx, cn, b); err != nil {
		return nil, fmt.Errorf("relay: %s: %w", method, err)
	}
	select {
	case f := <-ch:
		return c.result(method, f)
	case <-cn.ctx.Done():
		return nil, fmt.Errorf("relay: %s: %w", method, ErrDisconnected)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("relay: %s: %w", method, ErrTimeout)
		}
		return nil, ctx.Err()
	}
}

// result turns a response frame into a result or an error.
func (c *Client) result(method string, f Frame) (json.RawMessage, error) {
	if f.Error != nil {
		return nil, &ServerError{Method: method, Code: strconv.Itoa(f.Error.Code), Message: c.scrub(f.Error.Message)}
	}
	if !strings.HasPrefix(method, "calling.") {
		return f.Result, nil
	}
	var r struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if err := json.Unmarshal(f.Result, &r); err != nil {
		return nil, &ServerError{Method: method, Code: "?", Message: "the result is not an object with a code"}
	}
	var code string
	if len(r.Code) == 0 || json.Unmarshal(r.Code, &code) != nil {
		code = "?"
	}
	if code != "200" {
		return nil, &ServerError{Method: method, Code: cleanText(code, 16), Message: c.scrub(cleanText(r.Message, maxMessage))}
	}
	return f.Result, nil
}

// write sends one frame; writes are serialised.
func (c *Client) write(ctx context.Context, cn *conn, b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, c.opts.WriteTimeout)
	defer cancel()
	if err := cn.ws.Write(wctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%w (%v)", ErrDisconnected, c.scrub(err.Error()))
	}
	return nil
}

func (c *Client) writeLogged(cn *conn, b []byte) {
	if err := c.write(cn.ctx, cn, b); err != nil {
		c.logf("relay: answering the server: %v", err)
	}
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      string `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

type resultReply struct {
	JSONRPC string `json:"jsonrpc"`
	ID      string `json:"id"`
	Result  any    `json:"result"`
}

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type errorReply struct {
	JSONRPC string `json:"jsonrpc"`
	ID      string `json:"id"`
	Error   rpcErr `json:"error"`
}

func pong(id string) []byte {
	b, _ := json.Marshal(resultReply{JSONRPC: "2.0", ID: id, Result: map[string]int64{"timestamp": time.Now().Unix()}})
	return b
}

func ack(id string) []byte {
	b, _ := json.Marshal(resultReply{JSONRPC: "2.0", ID: id, Result: struct{}{}})
	return b
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("relay: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// idRing remembers the last event ids seen, to drop re-sent events.
type idRing struct {
	ids  [512]string
	next int
	set  map[string]struct{}
}

// add records id and reports whether it was new.
func (r *idRing) add(id string) bool {
	if r.set == nil {
		r.set = make(map[string]struct{}, len(r.ids))
	}
	if _, ok := r.set[id]; ok {
		return false
	}
	if old := r.ids[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ids[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ids)
	return true
}
