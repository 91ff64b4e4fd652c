package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Phase is where a call is, as the events tell it.
type Phase string

// Phases. Dialing is set by the client when the dial is sent; the others
// are RELAY call states.
const (
	PhaseDialing  Phase = "dialing"
	PhaseCreated  Phase = "created"
	PhaseRinging  Phase = "ringing"
	PhaseAnswered Phase = "answered"
	PhaseEnding   Phase = "ending"
	PhaseEnded    Phase = "ended"
)

// DialParams describe one outbound call to a phone number.
type DialParams struct {
	To, From string // E.164
	// Ring is how long the phone rings before the call counts as not
	// answered (the device's timeout, in whole seconds).
	Ring time.Duration
	// MaxDuration caps the whole call (rounded up to minutes); 0 for none.
	MaxDuration time.Duration
	// OnState is told every phase change. It runs on the client's read
	// loop: it must return at once.
	OnState func(Phase)
}

// DialError says why a call was not answered. Reason is RELAY's end reason
// (busy, noAnswer, decline, error, ...) or "failed" or "timeout".
type DialError struct{ Reason string }

func (e *DialError) Error() string { return "the call was not answered: " + describeReason(e.Reason) }

// EndedError says the call ended (the callee hung up) while waiting.
type EndedError struct{ Reason string }

func (e *EndedError) Error() string { return "the call ended: " + describeReason(e.Reason) }

func describeReason(r string) string {
	switch r {
	case "busy":
		return "busy"
	case "noAnswer", "timeout":
		return "no answer"
	case "decline":
		return "declined"
	case "hangup":
		return "hung up"
	case "":
		return "no reason given"
	}
	return cleanText(r, 32)
}

// Call is one outbound call. Its methods are safe for concurrent use.
type Call struct {
	c       *Client
	tag     string
	onState func(Phase)

	mu        sync.Mutex
	callID    string
	nodeID    string
	phase     Phase
	dialState string
	endReason string
	isLost    bool
	changed   chan struct{} // coalescing, buffer 1
	ended     chan struct{}
	lost      chan struct{}
	collects  map[string]chan CollectEvent
	plays     map[string]chan PlayEvent
}

func newCall(c *Client, tag string, onState func(Phase)) *Call {
	return &Call{c: c, tag: tag, onState: onState, changed: make(chan struct{}, 1), ended: make(chan struct{}),
		lost: make(chan struct{}), collects: map[string]chan CollectEvent{}, plays: map[string]chan PlayEvent{}}
}

// Tag is the tag the call was dialled with.
func (call *Call) Tag() string { return call.tag }

// ID is the call id, once an event has named it.
func (call *Call) ID() string {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.callID
}

// Phase is the call's current phase.
func (call *Call) Phase() Phase {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.phase
}

// EndReason is RELAY's reason for the end, once ended.
func (call *Call) EndReason() string {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.endReason
}

// Ended is closed when the call has ended.
func (call *Call) Ended() <-chan struct{} { return call.ended }

// Lost is closed when the connection the call was placed on dropped: its
// outcome can no longer be trusted.
func (call *Call) Lost() <-chan struct{} { return call.lost }

func (call *Call) notify() {
	select {
	case call.changed <- struct{}{}:
	default:
	}
}

func (call *Call) setPhase(p Phase) {
	call.mu.Lock()
	if call.phase == PhaseEnded || call.phase == p {
		call.mu.Unlock()
		return
	}
	call.phase = p
	call.mu.Unlock()
	// Observers hear of the phase before anyone waiting on Ended wakes.
	if call.onState != nil {
		call.onState(p)
	}
	if p == PhaseEnded {
		close(call.ended) // once: the phase cannot leave ended
	}
	call.notify()
}

func (call *Call) markLost() {
	call.mu.Lock()
	if !call.isLost {
		call.isLost = true
		close(call.lost)
	}
	call.mu.Unlock()
	call.notify()
}

// Dial places a call and waits until it is answered. A call that is not
// answered is a *DialError. If Dial returns an error together with a
// non-nil call (the context ended, the connection dropped, it rang too
// long), the phone may still ring: End it.
func (c *Client) Dial(ctx context.Context, p DialParams) (*Call, error) {
	tag := newUUID()
	call := newCall(c, tag, p.OnState)
	c.mu.Lock()
	c.calls[tag] = call
	c.mu.Unlock()
	ring := max(1, int((p.Ring+time.Second-1)/time.Second))
	params := map[string]any{
		"tag": tag,
		"devices": [][]map[string]any{{{
			"type":   "phone",
			"params": map[string]any{"to_number": p.To, "from_number": p.From, "timeout": ring},
		}}},
	}
	if p.MaxDuration > 0 {
		params["max_duration"] = int((p.MaxDuration + time.Minute - 1) / time.Minute)
	}
	call.setPhase(PhaseDialing)
	if _, err := c.Execute(ctx, MethodDial, params); err != nil {
		c.forget(call)
		return nil, fmt.Errorf("placing the call: %w", err)
	}
	limit := time.NewTimer(time.Duration(ring)*time.Second + c.opts.RequestTimeout)
	defer limit.Stop()
	for {
		call.mu.Lock()
		ds, phase, reason, id, lost := call.dialState, call.phase, call.endReason, call.callID, call.isLost
		call.mu.Unlock()
		switch {
		case lost:
			return call, fmt.Errorf("placing the call: %w", ErrDisconnected)
		case ds == "answered" && id != "" && phase != PhaseEnded:
			return call, nil
		case ds == "failed" || phase == PhaseEnded:
			c.forget(call)
			if reason == "" {
				reason = "failed"
			}
			return nil, &DialError{Reason: reason}
		}
		select {
		case <-call.changed:
		case <-ctx.Done():
			return call, ctx.Err()
		case <-limit.C:
			return call, &DialError{Reason: "timeout"}
		}
	}
}

// forget drops a call from the client's tables.
func (c *Client) forget(call *Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls[call.tag] == call {
		delete(c.calls, call.tag)
	}
	call.mu.Lock()
	id := call.callID
	call.mu.Unlock()
	if id != "" && c.byID[id] == call {
		delete(c.byID, id)
	}
}

// dispatch routes an event to its call. State events may come before the
// dial event: a call is found by its tag until its id is known.
func (c *Client) dispatch(ev Event) {
	switch ev.Type {
	case EventAuthorizationState:
		var a AuthStateEvent
		if err := decodeInto(ev, &a); err != nil {
			c.logf("relay: %v", err)
			return
		}
		if a.AuthorizationState != "" {
			c.mu.Lock()
			c.authState = a.AuthorizationState
			c.mu.Unlock()
		}
	case EventCallDial:
		var d DialEvent
		if err := decodeInto(ev, &d); err != nil {
			c.logf("relay: %v", err)
			return
		}
		c.mu.Lock()
		call := c.calls[d.Tag]
		if call != nil && d.Call.CallID != "" {
			c.byID[d.Call.CallID] = call
		}
		c.mu.Unlock()
		if call != nil {
			call.onDial(&d)
		}
	case EventCallState:
		var s StateEvent
		if err := decodeInto(ev, &s); err != nil {
			c.logf("relay: %v", err)
			return
		}
		c.mu.Lock()
		call := c.byID[s.CallID]
		if call == nil && s.Tag != "" && s.CallID != "" {
			if call = c.calls[s.Tag]; call != nil && call.adopt(s.CallID, s.NodeID) {
				c.byID[s.CallID] = call
			} else {
				call = nil
			}
		}
		c.mu.Unlock()
		if call != nil {
			call.onStateEvent(&s)
		}
	case EventCallCollect:
		var e CollectEvent
		if err := decodeInto(ev, &e); err != nil {
			c.logf("relay: %v", err)
			return
		}
		if call := c.callByID(e.CallID); call != nil && !e.Partial() {
			call.deliverCollect(e)
		}
	case EventCallPlay:
		var e PlayEvent
		if err := decodeInto(ev, &e); err != nil {
			c.logf("relay: %v", err)
			return
		}
		if call := c.callByID(e.CallID); call != nil && (e.State == "finished" || e.State == "error") {
			call.deliverPlay(e)
		}
	}
}

func (c *Client) callByID(id string) *Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

// adopt takes the call id of the first leg seen; it reports whether id is
// this call's leg.
func (call *Call) adopt(id, node string) bool {
	call.mu.Lock()
	defer call.mu.Unlock()
	if call.callID == "" {
		call.callID, call.nodeID = id, node
	}
	return call.callID == id
}

func (call *Call) onDial(d *DialEvent) {
	call.mu.Lock()
	call.dialState = d.DialState
	if d.DialState == "answered" && d.Call.CallID != "" {
		call.callID = d.Call.CallID
		if d.Call.NodeID != "" {
			call.nodeID = d.Call.NodeID
		} else if call.nodeID == "" {
			call.nodeID = d.NodeID
		}
	}
	call.mu.Unlock()
	if d.DialState == "answered" {
		call.setPhase(PhaseAnswered)
	}
	call.notify()
}

func (call *Call) onStateEvent(s *StateEvent) {
	call.mu.Lock()
	if s.CallID != call.callID {
		call.mu.Unlock()
		return
	}
	if call.nodeID == "" {
		call.nodeID = s.NodeID
	}
	if s.EndReason != "" {
		call.endReason = s.EndReason
	}
	call.mu.Unlock()
	switch p := Phase(s.CallState); p {
	case PhaseCreated, PhaseRinging, PhaseAnswered, PhaseEnding, PhaseEnded:
		call.setPhase(p)
	}
}

func (call *Call) deliverCollect(e CollectEvent) {
	call.mu.Lock()
	ch := call.collects[e.ControlID]
	call.mu.Unlock()
	if ch != nil {
		select {
		case ch <- e:
		default:
		}
	}
}

func (call *Call) deliverPlay(e PlayEvent) {
	call.mu.Lock()
	ch := call.plays[e.ControlID]
	call.mu.Unlock()
	if ch != nil {
		select {
		case ch <- e:
		default:
		}
	}
}

// ids returns the call and node ids, or an error if the call cannot take
// commands.
func (call *Call) ids() (string, string, error) {
	call.mu.Lock()
	defer call.mu.Unlock()
	switch {
	case call.isLost:
		return "", "", ErrDisconnected
	case call.phase == PhaseEnded:
		return "", "", &EndedError{Reason: call.endReason}
	case call.callID == "":
		return "", "", errors.New("the call has no id yet")
	}
	return call.callID, call.nodeID, nil
}

// Prompt is what to say and which keys to collect.
type Prompt struct {
	Text     string // spoken with text-to-speech
	Language string // e.g. en-US
	// MaxDigits ends collection after this many keys; Terminators (e.g.
	// "#") ends it earlier.
	MaxDigits   int
	Terminators string
	// InitialTimeout is how long to wait for the first key after the
	// speech; DigitTimeout how long between keys.
	InitialTimeout, DigitTimeout time.Duration
}

// Collected is what a prompt heard: Kind is digit, no_input, no_match or
// error; Digits the keys pressed (without the terminator).
type Collected struct {
	Kind       string
	Digits     string
	Terminator string
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func ttsPlay(text, lang string) []map[string]any {
	p := map[string]any{"text": text}
	if lang != "" {
		p["language"] = lang
	}
	return []map[string]any{{"type": "tts", "params": p}}
}

// speechTime estimates how long text takes to say (about 12 characters a
// second, generously).
func speechTime(text string) time.Duration {
	return time.Duration(len(text))*time.Second/10 + 5*time.Second
}

// PlayAndCollect speaks p.Text and collects keys (calling.play_and_collect).
// It returns when the collect result arrives; a play that finishes does not
// end it. If the call ends first it is an *EndedError; if the connection
// drops, ErrDisconnected; if ctx ends, the prompt is stopped and ctx's
// error returned.
func (call *Call) PlayAndCollect(ctx context.Context, p Prompt) (Collected, error) {
	id, node, err := call.ids()
	if err != nil {
		return Collected{}, err
	}
	control := newUUID()
	ch := make(chan CollectEvent, 1)
	call.mu.Lock()
	call.collects[control] = ch
	call.mu.Unlock()
	defer func() {
		call.mu.Lock()
		delete(call.collects, control)
		call.mu.Unlock()
	}()
	digits := map[string]any{"max": max(1, p.MaxDigits), "digit_timeout": seconds(p.DigitTimeout)}
	if p.Terminators != "" {
		digits["terminators"] = p.Terminators
	}
	params := map[string]any{
		"node_id": node, "call_id": id, "control_id": control,
		"play":    ttsPlay(p.Text, p.Language),
		"collect": map[string]any{"initial_timeout": seconds(p.InitialTimeout), "digits": digits},
	}
	if _, err := call.c.Execute(ctx, MethodPlayAndCollect, params); err != nil {
		return Collected{}, err
	}
	limit := time.NewTimer(speechTime(p.Text) + p.InitialTimeout + time.Duration(max(1, p.MaxDigits))*p.DigitTimeout + call.c.opts.RequestTimeout)
	defer limit.Stop()
	select {
	case e := <-ch:
		return Collected{Kind: e.Result.Type, Digits: e.Result.Params.Digits, Terminator: e.Result.Params.Terminator}, nil
	case <-call.ended:
		return Collected{}, &EndedError{Reason: call.EndReason()}
	case <-call.lost:
		return Collected{}, ErrDisconnected
	case <-ctx.Done():
		call.stop(id, node, control)
		return Collected{}, ctx.Err()
	case <-limit.C:
		call.stop(id, node, control)
		return Collected{}, fmt.Errorf("waiting for keys: %w", ErrTimeout)
	}
}

// stop stops a play_and_collect, best effort.
func (call *Call) stop(id, node, control string) {
	ctx, cancel := context.WithTimeout(context.Background(), call.c.opts.RequestTimeout)
	defer cancel()
	if _, err := call.c.Execute(ctx, MethodPlayAndCollectEnd, map[string]any{"node_id": node, "call_id": id, "control_id": control}); err != nil {
		var se *ServerError
		if !errors.As(err, &se) || !se.Gone() {
			call.c.logf("relay: stopping a prompt: %v", err)
		}
	}
}

// Say speaks text (calling.play) and waits until it has been played.
func (call *Call) Say(ctx context.Context, text, lang string) error {
	id, node, err := call.ids()
	if err != nil {
		return err
	}
	control := newUUID()
	ch := make(chan PlayEvent, 1)
	call.mu.Lock()
	call.plays[control] = ch
	call.mu.Unlock()
	defer func() {
		call.mu.Lock()
		delete(call.plays, control)
		call.mu.Unlock()
	}()
	if _, err := call.c.Execute(ctx, MethodPlay, map[string]any{"node_id": node, "call_id": id, "control_id": control,
		"play": ttsPlay(text, lang)}); err != nil {
		return err
	}
	limit := time.NewTimer(speechTime(text) + call.c.opts.RequestTimeout)
	defer limit.Stop()
	select {
	case e := <-ch:
		if e.State == "error" {
			return errors.New("SignalWire could not play the message")
		}
		return nil
	case <-call.ended:
		return &EndedError{Reason: call.EndReason()}
	case <-call.lost:
		return ErrDisconnected
	case <-ctx.Done():
		return ctx.Err()
	case <-limit.C:
		return fmt.Errorf("playing a message: %w", ErrTimeout)
	}
}

// End hangs up (calling.end). A call already gone is not an error. If the
// connection dropped it waits for the client to reconnect first; if the
// call id is not known yet it waits for it (or for the call's end).
func (call *Call) End(ctx context.Context) error {
	if err := call.c.WaitConnected(ctx); err != nil {
		return fmt.Errorf("ending the call: %w", err)
	}
	for {
		call.mu.Lock()
		id, node, phase := call.callID, call.nodeID, call.phase
		call.mu.Unlock()
		if phase == PhaseEnded {
			call.c.forget(call)
			return nil
		}
		if id != "" {
			_, err := call.c.Execute(ctx, MethodEnd, map[string]any{"node_id": node, "call_id": id, "reason": "hangup"})
			var se *ServerError
			if err != nil && !(errors.As(err, &se) && se.Gone()) {
				return fmt.Errorf("ending the call: %w", err)
			}
			return nil
		}
		select {
		case <-call.changed:
		case <-ctx.Done():
			return fmt.Errorf("ending the call: its id never arrived: %w", ctx.Err())
		}
	}
}
