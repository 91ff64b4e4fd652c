package relay

import (
	"encoding/json"
)

// RELAY method and event names this client speaks.
const (
	MethodConnect           = "signalwire.connect"
	MethodPing              = "signalwire.ping"
	MethodEvent             = "signalwire.event"
	MethodDisconnect        = "signalwire.disconnect"
	MethodDial              = "calling.dial"
	MethodPlay              = "calling.play"
	MethodPlayAndCollect    = "calling.play_and_collect"
	MethodPlayAndCollectEnd = "calling.play_and_collect.stop"
	MethodEnd               = "calling.end"

	EventAuthorizationState = "signalwire.authorization.state"
	EventCallDial           = "calling.call.dial"
	EventCallState          = "calling.call.state"
	EventCallCollect        = "calling.call.collect"
	EventCallPlay           = "calling.call.play"
)

// Event is the payload of a signalwire.event frame.
type Event struct {
	Type   string
	Params json.RawMessage // a JSON object
}

// DecodeEvent reads the params of a signalwire.event frame:
// {"event_type": "...", "params": {...}}.
func DecodeEvent(params json.RawMessage) (Event, error) {
	if params == nil {
		return Event{}, frameErr("event without params")
	}
	m, err := object(params)
	if err != nil {
		return Event{}, err
	}
	var e Event
	if err := stringField(m, "event_type", &e.Type); err != nil {
		return Event{}, err
	}
	if !validMethod(e.Type) {
		return Event{}, frameErr(`"event_type" is not an event name`)
	}
	p, ok := m["params"]
	if !ok {
		return Event{}, frameErr(`event %q has no "params"`, e.Type)
	}
	if _, err := object(p); err != nil {
		return Event{}, frameErr(`event %q: "params" is not an object`, e.Type)
	}
	e.Params = p
	return e, nil
}

// DialEvent is calling.call.dial: the outcome of a dial, keyed by its tag.
// The winning leg is under "call".
type DialEvent struct {
	Tag       string `json:"tag"`
	NodeID    string `json:"node_id"`
	DialState string `json:"dial_state"` // dialing, answered, failed
	Call      struct {
		CallID     string `json:"call_id"`
		NodeID     string `json:"node_id"`
		Tag        string `json:"tag"`
		DialWinner bool   `json:"dial_winner"`
	} `json:"call"`
}

// StateEvent is calling.call.state: one leg's state. It may arrive before
// the dial event, so it carries the dial's tag too.
type StateEvent struct {
	CallID    string `json:"call_id"`
	NodeID    string `json:"node_id"`
	Tag       string `json:"tag"`
	CallState string `json:"call_state"` // created, ringing, answered, ending, ended
	EndReason string `json:"end_reason"` // hangup, cancel, busy, noAnswer, decline, error, ...
	Direction string `json:"direction"`
}

// CollectEvent is calling.call.collect: what a play_and_collect heard.
type CollectEvent struct {
	CallID    string `json:"call_id"`
	NodeID    string `json:"node_id"`
	ControlID string `json:"control_id"`
	Result    struct {
		Type   string `json:"type"` // digit, speech, no_input, no_match, error, start_of_input
		Params struct {
			Digits     string `json:"digits"`
			Terminator string `json:"terminator"`
		} `json:"params"`
	} `json:"result"`
	Final *bool  `json:"final"`
	State string `json:"state"` // collecting, finished, error
}

// Partial reports an intermediate result (partial results, start of
// input), which never ends a collection.
func (c *CollectEvent) Partial() bool {
	return (c.Final != nil && !*c.Final) || c.State == "collecting" || c.Result.Type == "start_of_input"
}

// PlayEvent is calling.call.play: the progress of a play.
type PlayEvent struct {
	CallID    string `json:"call_id"`
	NodeID    string `json:"node_id"`
	ControlID string `json:"control_id"`
	State     string `json:"state"` // playing, paused, finished, error
}

// AuthStateEvent is signalwire.authorization.state: an opaque blob to send
// back on reconnect.
type AuthStateEvent struct {
	AuthorizationState string `json:"authorization_state"`
}

// maxField bounds the identifiers and states taken from events.
const maxField = 128

// Decode reads an event's params into one of the typed events above and
// checks their fields: identifiers short and printable, digits only
// 0-9, * and #.
func decodeInto(e Event, dst any) error {
	if err := json.Unmarshal(e.Params, dst); err != nil {
		return frameErr("event %q has fields of the wrong type", e.Type)
	}
	var fields []string
	switch v := dst.(type) {
	case *DialEvent:
		fields = []string{v.Tag, v.NodeID, v.DialState, v.Call.CallID, v.Call.NodeID, v.Call.Tag}
	case *StateEvent:
		fields = []string{v.CallID, v.NodeID, v.Tag, v.CallState, v.EndReason, v.Direction}
	case *CollectEvent:
		fields = []string{v.CallID, v.NodeID, v.ControlID, v.Result.Type, v.State}
		if !validDigits(v.Result.Params.Digits) || !validDigits(v.Result.Params.Terminator) {
			return frameErr("event %q: digits are not 0-9, * or #", e.Type)
		}
	case *PlayEvent:
		fields = []string{v.CallID, v.NodeID, v.ControlID, v.State}
	case *AuthStateEvent:
		if len(v.AuthorizationState) > 16<<10 {
			return frameErr("authorization state larger than 16 KiB")
		}
	}
	for _, f := range fields {
		if f != "" && !validID(f) || len(f) > maxField {
			return frameErr("event %q has an identifier that is not 1 to 128 printable characters", e.Type)
		}
	}
	return nil
}

func validDigits(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '*' || c == '#') {
			return false
		}
	}
	return true
}
