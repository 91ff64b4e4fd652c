package relayfake

import (
	"strings"
)

// Violations returns the violations reported so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Frames returns every frame clients sent, in order.
func (s *Server) Frames() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.frames))
	for i, f := range s.frames {
		out[i] = append([]byte(nil), f...)
	}
	return out
}

// Dials returns the calls placed.
func (s *Server) Dials() []Dial {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Dial(nil), s.dials...)
}

// Prompts returns the prompts played with play_and_collect.
func (s *Server) Prompts() []Prompt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Prompt(nil), s.prompts...)
}

// Says returns the texts played with calling.play.
func (s *Server) Says() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.says...)
}

// Ends returns the call ids the client ended with calling.end.
func (s *Server) Ends() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ends...)
}

// Connects returns every signalwire.connect received.
func (s *Server) Connects() []Connect {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Connect(nil), s.connects...)
}

// SetCallee scripts who answers calls to a number.
func (s *Server) SetCallee(number string, c Callee) {
	s.mu.Lock()
	s.callees[number] = c
	s.mu.Unlock()
}

// RefuseAuth makes every later signalwire.connect fail, as revoked
// credentials would.
func (s *Server) RefuseAuth(refuse bool) {
	s.mu.Lock()
	s.refuse = refuse
	s.mu.Unlock()
}

// FailNext makes the next request of method answer a result with code (a
// RELAY failure such as "404" or "500") and message.
func (s *Server) FailNext(method, code, message string) {
	s.mu.Lock()
	s.fail[method] = append(s.fail[method], failure{code: code, message: message})
	s.mu.Unlock()
}

// FailNextRPC makes the next request of method answer a JSON-RPC error.
func (s *Server) FailNextRPC(method string, code int, message string) {
	s.mu.Lock()
	s.fail[method] = append(s.fail[method], failure{rpcCode: code, message: message})
	s.mu.Unlock()
}

// StallNext makes the server never answer the next n requests of method,
// as an overloaded or half-open server would.
func (s *Server) StallNext(method string, n int) {
	s.mu.Lock()
	s.stall[method] += n
	s.mu.Unlock()
}

// AskReconnect sends signalwire.disconnect on every connection: the server
// is going away and the client should reconnect.
func (s *Server) AskReconnect() {
	s.mu.Lock()
	conns := make([]*fconn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		id := newUUID()
		s.mu.Lock()
		c.asked[id] = "signalwire.disconnect"
		s.mu.Unlock()
		c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": "signalwire.disconnect", "params": map[string]any{}})
	}
}

// Disconnect drops every connection at once, as a network failure or a
// server restart would. Sessions and calls survive for a reconnect.
func (s *Server) Disconnect() {
	s.mu.Lock()
	conns := make([]*fconn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.CloseNow()
	}
}

// AuthStateDelivered reports whether every connected client has ACKed the
// authorization state of its session (and so must present it when it
// reconnects).
func (s *Server) AuthStateDelivered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.sess == nil || !c.sess.authKnown {
			return false
		}
	}
	return len(s.conns) > 0
}

// Connections returns how many clients are connected.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Contains reports whether any frame a client sent contains needle.
func (s *Server) Contains(needle string) bool {
	for _, f := range s.Frames() {
		if strings.Contains(string(f), needle) {
			return true
		}
	}
	return false
}
