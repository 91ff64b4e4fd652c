package relayfake

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Pickup is what the called phone does.
type Pickup int

// Pickups.
const (
	Answer   Pickup = iota // rings for RingFor, then answers
	NoAnswer               // rings until the dial's timeout
	Busy                   // ends at once: busy
	Decline                // rings, then the callee declines
)

// Callee scripts the person called. The zero value answers and stays
// silent.
type Callee struct {
	Pickup Pickup
	// RingFor is how long it rings before answering or declining (20 ms).
	RingFor time.Duration
	// Keys answers each prompt; nil is silence.
	Keys func(p Prompt) Reply
}

// Prompt is one play_and_collect as the callee hears it.
type Prompt struct {
	CallID      string
	Text        string
	Language    string
	Max         int
	Terminators string
	// N counts the prompts of this call, from 0.
	N int
}

// Reply is the callee's answer to a prompt.
type Reply struct {
	// Digits are the keys pressed, in order (a terminator such as # ends
	// them). Empty means silence: no_input after the initial timeout.
	Digits string
	// HangUp hangs up instead of answering.
	HangUp bool
	// Delay waits this long (real time) first.
	Delay time.Duration
	// Do runs just before the reply is delivered (a test may drop the
	// connection there).
	Do func()
}

// Presses returns a Keys script that answers the prompts with seq in
// order, then stays silent.
func Presses(seq ...string) func(Prompt) Reply {
	var mu sync.Mutex
	i := 0
	return func(Prompt) Reply {
		mu.Lock()
		defer mu.Unlock()
		if i >= len(seq) {
			return Reply{}
		}
		i++
		return Reply{Digits: seq[i-1]}
	}
}

// fcall is a call the fake placed.
type fcall struct {
	id, node, tag string
	to, from      string
	sess          *session
	state         string
	prompts       int
	actions       map[string]context.CancelFunc // live play/collect by control id
	ctx           context.Context
	cancel        context.CancelFunc
}

func (s *Server) calleeFor(number string) Callee {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.callees[number]; ok {
		return c
	}
	return s.opts.Callee
}

func (s *Server) dial(c *fconn, id string, p obj) {
	p.only("tag", "devices", "max_duration", "region", "node_id")
	tag, _ := p.uuid("tag")
	if _, ok := p.m["max_duration"]; ok {
		if d, ok := p.integer("max_duration", false); ok && d <= 0 {
			p.bad(`"max_duration" must be positive minutes`)
		}
	}
	groups, ok := p.array("devices", true)
	var to, from string
	ring := 0
	if ok {
		if len(groups) != 1 {
			p.bad("one serial group expected, got %d", len(groups))
		}
		for _, g := range groups {
			var devs []json.RawMessage
			if len(g) == 0 || g[0] != '[' || json.Unmarshal(g, &devs) != nil || len(devs) != 1 {
				p.bad("each device group must be an array of one device object")
				continue
			}
			d, ok := parseObject(devs[0], p.path+".devices[0][0]", p.errs)
			if !ok {
				continue
			}
			d.only("type", "params")
			if typ, _ := d.str("type", true); typ != "phone" {
				d.bad("device type %q, want phone", typ)
			}
			dp, ok := d.object("params", true)
			if !ok {
				continue
			}
			dp.only("to_number", "from_number", "timeout", "max_duration")
			to, _ = dp.str("to_number", true)
			from, _ = dp.str("from_number", true)
			if !e164RE.MatchString(to) || !e164RE.MatchString(from) {
				dp.bad("to_number and from_number must be E.164")
			}
			if to == from {
				dp.bad("to_number equals from_number")
			}
			ring, _ = dp.integer("timeout", true)
			if ring < 1 || ring > 600 {
				dp.bad(`"timeout" %d is not 1..600 seconds`, ring)
			}
		}
	}
	if len(*p.errs) > 0 {
		replyError(c, id, -32602, "Invalid params")
		return
	}
	reply(c, id, map[string]any{"code": "200", "message": "Dialing"})
	ctx, cancel := context.WithCancel(s.ctx)
	call := &fcall{id: newUUID(), node: "node-fake-1", tag: tag, to: to, from: from, sess: c.sess,
		state: "created", actions: map[string]context.CancelFunc{}, ctx: ctx, cancel: cancel}
	s.mu.Lock()
	s.calls[call.id] = call
	s.dials = append(s.dials, Dial{Tag: tag, To: to, From: from, Ring: ring, CallID: call.id})
	s.mu.Unlock()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.ring(call, s.calleeFor(to), ring) }()
}

func (s *Server) device(call *fcall) map[string]any {
	return map[string]any{"type": "phone", "params": map[string]any{"from_number": call.from, "to_number": call.to}}
}

func (s *Server) stateEvent(call *fcall, state, reason string) {
	s.mu.Lock()
	if call.state == "ended" {
		s.mu.Unlock()
		return
	}
	call.state = state
	for _, stop := range call.actions {
		if state == "ended" || state == "ending" {
			stop()
		}
	}
	s.mu.Unlock()
	p := map[string]any{"call_id": call.id, "node_id": call.node, "tag": call.tag, "call_state": state,
		"direction": "outbound", "device": s.device(call)}
	if reason != "" {
		p["end_reason"] = reason
	}
	s.push(call.sess, "calling.call.state", p)
	if state == "ended" {
		call.cancel()
	}
}

func (s *Server) dialEvent(call *fcall, state string) {
	p := map[string]any{"tag": call.tag, "node_id": call.node, "dial_state": state}
	if state == "answered" {
		p["call"] = map[string]any{"call_id": call.id, "node_id": call.node, "tag": call.tag,
			"device": s.device(call), "dial_winner": true}
	}
	s.push(call.sess, "calling.call.dial", p)
}

// ring plays out the dial. State events come before the dial event, as
// on the real service.
func (s *Server) ring(call *fcall, who Callee, ringSecs int) {
	ringFor := who.RingFor
	if ringFor <= 0 {
		ringFor = 20 * time.Millisecond
	}
	s.stateEvent(call, "created", "")
	s.dialEvent(call, "dialing")
	if who.Pickup == Busy {
		s.stateEvent(call, "ended", "busy")
		s.dialEvent(call, "failed")
		return
	}
	s.stateEvent(call, "ringing", "")
	switch who.Pickup {
	case NoAnswer:
		if !sleep(call.ctx, s.scaled(float64(ringSecs))) {
			return
		}
		s.stateEvent(call, "ending", "noAnswer")
		s.stateEvent(call, "ended", "noAnswer")
		s.dialEvent(call, "failed")
	case Decline:
		if !sleep(call.ctx, ringFor) {
			return
		}
		s.stateEvent(call, "ended", "decline")
		s.dialEvent(call, "failed")
	default:
		if !sleep(call.ctx, ringFor) {
			return
		}
		s.stateEvent(call, "answered", "")
		s.dialEvent(call, "answered")
	}
}

// liveCall finds an answered call named by params, or reports why not.
func (s *Server) liveCall(p obj) (*fcall, string, bool) {
	id, _ := p.str("call_id", true)
	node, _ := p.str("node_id", true)
	s.mu.Lock()
	defer s.mu.Unlock()
	call := s.calls[id]
	switch {
	case call == nil:
		p.bad("call_id %q was never dialled", id)
		return nil, "404", false
	case node != call.node:
		p.bad("node_id %q is not the call's node %q", node, call.node)
		return nil, "404", false
	case call.state == "ended" || call.state == "ending":
		return nil, "404", false // a race with the hang-up, not a violation
	case call.state != "answered":
		p.bad("command on a call that is %s, not answered", call.state)
		return nil, "404", false
	}
	return call, "", true
}

// checkPlay checks a play list: tts only, with text.
func checkPlay(p obj) (string, string) {
	items, ok := p.array("play", true)
	if !ok || len(items) == 0 {
		p.bad(`"play" must be a non-empty array`)
		return "", ""
	}
	var texts []string
	lang := ""
	for i, it := range items {
		o, ok := parseObject(it, p.path+".play["+itoa(i)+"]", p.errs)
		if !ok {
			continue
		}
		o.only("type", "params")
		if typ, _ := o.str("type", true); typ != "tts" {
			o.bad("media type %q, want tts", typ)
		}
		pp, ok := o.object("params", true)
		if !ok {
			continue
		}
		pp.only("text", "language", "gender", "voice")
		t, _ := pp.str("text", true)
		if strings.TrimSpace(t) == "" || len(t) > 4096 {
			pp.bad(`"text" must be 1..4096 bytes`)
		}
		if strings.ContainsAny(t, "<>") {
			pp.bad(`"text" contains markup characters`)
		}
		if l, ok := pp.str("language", false); ok {
			lang = l
		}
		texts = append(texts, t)
	}
	return strings.Join(texts, " "), lang
}

func (s *Server) playAndCollect(c *fconn, id string, p obj) {
	p.only("node_id", "call_id", "control_id", "play", "collect", "volume")
	control, _ := p.uuid("control_id")
	text, lang := checkPlay(p)
	var max, initial, digitTimeout float64
	terms := ""
	if col, ok := p.object("collect", true); ok {
		col.only("initial_timeout", "digits", "partial_results")
		initial, _ = col.num("initial_timeout", true)
		if d, ok := col.object("digits", true); ok {
			d.only("max", "digit_timeout", "terminators")
			mx, _ := d.integer("max", true)
			max = float64(mx)
			digitTimeout, _ = d.num("digit_timeout", true)
			if t, ok := d.str("terminators", false); ok {
				terms = t
				if !digitRE.MatchString(t) || t == "" {
					d.bad(`"terminators" must be keys from 0-9, * and #`)
				}
			}
		}
		if initial <= 0 || max < 1 || max > 32 || digitTimeout <= 0 {
			col.bad("initial_timeout and digit_timeout must be positive and max 1..32")
		}
	}
	call, code, ok := s.liveCall(p)
	if len(*p.errs) > 0 {
		replyError(c, id, -32602, "Invalid params")
		return
	}
	if !ok {
		reply(c, id, map[string]any{"code": code, "message": "Call not found"})
		return
	}
	s.mu.Lock()
	if _, dup := call.actions[control]; dup {
		s.mu.Unlock()
		p.bad("control_id %s reused", control)
		replyError(c, id, -32602, "Invalid params")
		return
	}
	actx, stop := context.WithCancel(call.ctx)
	call.actions[control] = stop
	pr := Prompt{CallID: call.id, Text: text, Language: lang, Max: int(max), Terminators: terms, N: call.prompts}
	call.prompts++
	s.prompts = append(s.prompts, pr)
	who := s.calleeForLocked(call.to)
	s.mu.Unlock()
	reply(c, id, map[string]any{"code": "200", "message": "Playing and collecting"})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer stop()
		s.collect(actx, call, control, pr, who, initial)
	}()
}

func (s *Server) calleeForLocked(number string) Callee {
	if c, ok := s.callees[number]; ok {
		return c
	}
	return s.opts.Callee
}

// collect plays the prompt to the callee and reports what they did.
func (s *Server) collect(ctx context.Context, call *fcall, control string, pr Prompt, who Callee, initial float64) {
	base := map[string]any{"call_id": call.id, "node_id": call.node, "control_id": control}
	with := func(kv map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range kv {
			out[k] = v
		}
		return out
	}
	s.push(call.sess, "calling.call.play", with(map[string]any{"state": "playing"}))
	var r Reply
	if who.Keys != nil {
		r = who.Keys(pr)
	}
	if !sleep(ctx, r.Delay) {
		return
	}
	if r.Do != nil {
		r.Do()
	}
	if r.HangUp {
		s.stateEvent(call, "ending", "hangup")
		s.stateEvent(call, "ended", "hangup")
		return
	}
	// The speech ends first: play(finished) must not end the collect.
	s.push(call.sess, "calling.call.play", with(map[string]any{"state": "finished"}))
	digits, term := r.Digits, ""
	if i := strings.IndexAny(digits, pr.Terminators); pr.Terminators != "" && i >= 0 {
		digits, term = digits[:i], digits[i:i+1]
	}
	if len(digits) > pr.Max {
		digits = digits[:pr.Max]
	}
	if digits == "" && term == "" {
		if !sleep(ctx, s.scaled(initial)) {
			return
		}
		s.push(call.sess, "calling.call.collect", with(map[string]any{"result": map[string]any{"type": "no_input"},
			"final": true, "state": "finished"}))
		return
	}
	if ctx.Err() != nil {
		return
	}
	s.push(call.sess, "calling.call.collect", with(map[string]any{"state": "collecting", "final": false,
		"result": map[string]any{"type": "start_of_input"}}))
	s.push(call.sess, "calling.call.collect", with(map[string]any{"final": true, "state": "finished",
		"result": map[string]any{"type": "digit", "params": map[string]any{"digits": digits, "terminator": term}}}))
}

func (s *Server) play(c *fconn, id string, p obj) {
	p.only("node_id", "call_id", "control_id", "play", "volume")
	control, _ := p.uuid("control_id")
	text, _ := checkPlay(p)
	call, code, ok := s.liveCall(p)
	if len(*p.errs) > 0 {
		replyError(c, id, -32602, "Invalid params")
		return
	}
	if !ok {
		reply(c, id, map[string]any{"code": code, "message": "Call not found"})
		return
	}
	s.mu.Lock()
	s.says = append(s.says, text)
	actx, stop := context.WithCancel(call.ctx)
	call.actions[control] = stop
	s.mu.Unlock()
	reply(c, id, map[string]any{"code": "200", "message": "Playing"})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer stop()
		base := map[string]any{"call_id": call.id, "node_id": call.node, "control_id": control}
		s.push(call.sess, "calling.call.play", merge(base, map[string]any{"state": "playing"}))
		if sleep(actx, 10*time.Millisecond) {
			s.push(call.sess, "calling.call.play", merge(base, map[string]any{"state": "finished"}))
		}
	}()
}

func (s *Server) stopAction(c *fconn, id string, p obj) {
	p.only("node_id", "call_id", "control_id")
	control, _ := p.uuid("control_id")
	cid, _ := p.str("call_id", true)
	s.mu.Lock()
	call := s.calls[cid]
	var stop context.CancelFunc
	if call != nil {
		stop = call.actions[control]
	}
	s.mu.Unlock()
	if call == nil {
		p.bad("stop for call %q, which was never dialled", cid)
	}
	if stop == nil {
		reply(c, id, map[string]any{"code": "404", "message": "Action not found"})
		return
	}
	stop()
	reply(c, id, map[string]any{"code": "200", "message": "Stopped"})
}

func (s *Server) end(c *fconn, id string, p obj) {
	p.only("node_id", "call_id", "reason")
	cid, _ := p.str("call_id", true)
	node, _ := p.str("node_id", true)
	if r, _ := p.str("reason", true); r != "hangup" && r != "cancel" && r != "busy" && r != "decline" {
		p.bad("reason %q is not hangup, cancel, busy or decline", r)
	}
	s.mu.Lock()
	call := s.calls[cid]
	if call != nil {
		s.ends = append(s.ends, cid)
	}
	s.mu.Unlock()
	switch {
	case call == nil:
		p.bad("calling.end for call %q, which was never dialled", cid)
		reply(c, id, map[string]any{"code": "404", "message": "Call not found"})
		return
	case node != call.node:
		p.bad("node_id %q is not the call's node", node)
	}
	s.mu.Lock()
	gone := call.state == "ended"
	s.mu.Unlock()
	if gone {
		reply(c, id, map[string]any{"code": "404", "message": "Call not found"})
		return
	}
	reply(c, id, map[string]any{"code": "200", "message": "Ending"})
	s.stateEvent(call, "ending", "hangup")
	s.stateEvent(call, "ended", "hangup")
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
