package relayfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// push sends an event to a session, and keeps it until ACKed.
func (s *Server) push(sess *session, eventType string, params map[string]any) string {
	id := newUUID()
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "signalwire.event",
		"params": map[string]any{"event_type": eventType, "event_channel": sess.protocol,
			"timestamp": float64(time.Now().UnixMicro()) / 1e6, "params": params}})
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	c := sess.conn
	sess.unacked[id] = &pushed{frame: b, last: time.Now(), first: time.Now(), conn: c}
	sess.order = append(sess.order, id)
	s.mu.Unlock()
	if c != nil {
		c.writeRaw(b)
		if s.opts.Duplicate {
			c.writeRaw(b)
		}
	}
	return id
}

// flush re-sends every event not ACKed, in order (after a restore).
func (s *Server) flush(sess *session) {
	s.mu.Lock()
	c := sess.conn
	var frames [][]byte
	for _, id := range sess.order {
		if p, ok := sess.unacked[id]; ok {
			frames = append(frames, p.frame)
			p.last, p.first, p.conn = time.Now(), time.Now(), c
		}
	}
	s.mu.Unlock()
	if c == nil {
		return
	}
	for _, b := range frames {
		c.writeRaw(b)
	}
}

// resender re-sends events c has not ACKed.
func (s *Server) resender(c *fconn) {
	t := time.NewTicker(s.opts.ResendEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		sess := c.sess
		var frames [][]byte
		var never []string
		if sess != nil && sess.conn == c {
			kept := sess.order[:0]
			for _, id := range sess.order {
				p, ok := sess.unacked[id]
				if !ok {
					continue
				}
				kept = append(kept, id)
				if time.Since(p.last) < s.opts.ResendEvery {
					continue
				}
				p.resends++
				p.last = time.Now()
				if p.conn != c {
					p.conn, p.first = c, time.Now()
				}
				if p.resends > s.opts.MaxResends {
					never = append(never, id)
					delete(sess.unacked, id)
					continue
				}
				frames = append(frames, p.frame)
			}
			sess.order = kept
		}
		s.mu.Unlock()
		for _, id := range never {
			s.violation("event %s was never ACKed (re-sent %d times)", id, s.opts.MaxResends)
		}
		for _, b := range frames {
			c.writeRaw(b)
		}
	}
}

// pinger pings c and drops it if a ping goes unanswered.
func (s *Server) pinger(c *fconn) {
	if s.opts.PingEvery < 0 {
		return
	}
	t := time.NewTicker(s.opts.PingEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		s.mu.Lock()
		var late string
		for id, at := range c.pings {
			if now.Sub(at) > s.opts.PingTimeout {
				late = id
			}
		}
		authed := c.sess != nil
		id := newUUID()
		if authed {
			c.pings[id] = now
		}
		s.mu.Unlock()
		if late != "" {
			s.violation("ping %s not answered within %s", late, s.opts.PingTimeout)
			_ = c.ws.CloseNow()
			return
		}
		if authed {
			c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": "signalwire.ping",
				"params": map[string]any{"timestamp": float64(now.UnixMilli()) / 1000}})
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func newUUID() string {
	h := randHex(16)
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	h = string(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// scaled converts seconds asked for by the client into the fake's time.
func (s *Server) scaled(secs float64) time.Duration {
	return time.Duration(secs * s.opts.TimeScale * float64(time.Second))
}
