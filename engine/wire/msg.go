package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Message types.
const (
	TypeRequest  = "request"  // hook → engine: a tool call to decide
	TypeAccepted = "accepted" // engine → hook: the request id assigned
	TypeVerdict  = "verdict"  // engine → hook: the signed verdict
	TypeError    = "error"    // engine → hook: the request could not be taken
	TypePing     = "ping"     // client → engine: are you there
	TypePong     = "pong"     // engine → client: status
)

// Envelope holds the fields every message has; it is decoded first to learn
// the type.
type Envelope struct {
	V    int    `json:"v"`
	Type string `json:"type"`
}

// Request asks the engine to decide a tool call. Nonce is the hook's own
// fresh random 128-bit value in lowercase hex; the verdict must echo it.
type Request struct {
	V     int      `json:"v"`
	Type  string   `json:"type"`
	Nonce string   `json:"nonce"`
	Call  ToolCall `json:"call"`
	// Deadline is how long, in milliseconds, the hook will wait for a verdict.
	// The engine denies at its own deadline or this one, whichever is sooner.
	DeadlineMS int64 `json:"deadline_ms,omitempty"`
	// Host is the identity of the machine the hook runs on (engine/host).
	// The engine classifies a call from any other host, or from a hook that
	// sends none, without reading its own file system or processes.
	Host string `json:"host,omitempty"`
}

// Accepted tells the hook which request id the engine gave its call.
type Accepted struct {
	V         int    `json:"v"`
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
}

// VerdictMsg carries the signed verdict as raw JSON, exactly as the engine
// encoded it; the hook parses and verifies it.
type VerdictMsg struct {
	V       int             `json:"v"`
	Type    string          `json:"type"`
	Verdict json.RawMessage `json:"verdict"`
}

// Error reports why the engine could not take a request. The hook treats it
// as a deny.
type Error struct {
	V       int    `json:"v"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Ping asks for the engine's status.
type Ping struct {
	V    int    `json:"v"`
	Type string `json:"type"`
}

// Pong is the engine's status.
type Pong struct {
	V          int    `json:"v"`
	Type       string `json:"type"`
	Build      string `json:"build"`
	KillSwitch bool   `json:"kill_switch"`
	Away       bool   `json:"away"`
	Pending    int    `json:"pending"`
}

// ErrVersion reports a message from another protocol version.
var ErrVersion = errors.New("protocol version mismatch")

// envelopePrefix starts every message this package encodes.
const envelopePrefix = `{"v":1,"type":"`

// DecodeEnvelope reads the version and type of a frame body. A body that
// starts the way this package writes messages has its type read from the
// prefix; anything else is parsed in full. Either way the caller decodes the
// body strictly afterwards (DecodeStrict), which is what validates it.
func DecodeEnvelope(body []byte) (Envelope, error) {
	if rest, ok := bytes.CutPrefix(body, []byte(envelopePrefix)); ok {
		if i := bytes.IndexByte(rest, '"'); i > 0 && i+1 < len(rest) && (rest[i+1] == ',' || rest[i+1] == '}') && isWord(rest[:i]) {
			return Envelope{V: Version, Type: string(rest[:i])}, nil
		}
	}
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("decoding message: %w", err)
	}
	if e.V != Version {
		return Envelope{}, fmt.Errorf("message version %d, want %d: %w", e.V, Version, ErrVersion)
	}
	if e.Type == "" {
		return Envelope{}, errors.New("decoding message: missing type")
	}
	return e, nil
}

// DecodeStrict decodes a frame body into v, refusing unknown fields and
// trailing data.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding message: %w", err)
	}
	if dec.More() {
		return errors.New("decoding message: trailing data after the object")
	}
	return nil
}

// isWord reports whether b is a message type: lowercase letters only.
func isWord(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return len(b) > 0
}

// CheckRouting reports an error unless a strictly decoded message's own v
// and type are the ones its envelope was routed by. With duplicate keys
// JSON keeps the last; this refuses a message whose keys disagree.
func CheckRouting(env Envelope, v int, typ string) error {
	if v != env.V || typ != env.Type {
		return fmt.Errorf("decoding message: version or type given twice (%d %q, then %d %q)", env.V, env.Type, v, typ)
	}
	return nil
}
