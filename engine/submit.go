package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// Outcome is the final answer to one request.
type Outcome struct {
	RequestID string
	Decision  verdict.Decision
	Reason    string
	// Verdict is the signed verdict JSON, exactly as sent to the hook. It is
	// nil only when nothing could sign; the hook then denies.
	Verdict []byte
	// Err says why Verdict is nil.
	Err error
}

// Ticket is the handle of a submitted request.
type Ticket struct {
	RequestID string
	Class     Classification
	Need      config.Requirement
	done      <-chan Outcome
}

// Ready returns the outcome if the request is already decided, as requests
// decided on arrival (automatic allows, kill switch, policy) are.
func (t *Ticket) Ready() (Outcome, bool) {
	select {
	case o := <-t.done:
		return o, true
	default:
		return Outcome{}, false
	}
}

// Wait blocks until the request is decided or ctx ends. If ctx ends first
// the caller must call Engine.Abandon so the request is denied and recorded.
func (t *Ticket) Wait(ctx context.Context) (Outcome, error) {
	select {
	case o := <-t.done:
		return o, nil
	case <-ctx.Done():
		// An outcome delivered as ctx ended still wins.
		if o, ok := t.Ready(); ok {
			return o, nil
		}
		return Outcome{}, ctx.Err()
	}
}

// Reasons given to the agent. They say what happened and what to do.
const (
	ReasonKillSwitch  = "denied: the Ony kill switch is engaged at the console; ask the user to release it"
	ReasonTimeout     = "approval timed out: ask the user"
	ReasonDenied      = "denied by owner at the console"
	ReasonPolicy      = "denied by Ony policy for this action"
	ReasonNoCode      = "denied: critical actions need a 6-digit code and none is enrolled; ask the user to run `ony-tui enroll totp`"
	ReasonTooMany     = "denied: too many requests are waiting at the Ony console; try again later"
	ReasonHookGone    = "denied: the hook went away before a decision"
	ReasonStopped     = "denied: the Ony console stopped before a decision"
	ReasonCodeLimit   = "denied: too many wrong codes for this request"
	ReasonLedgerError = "denied: the Ony audit ledger could not record this decision"
	// ReasonSameCall starts the reason of a harness's follow-up question
	// about a call a person approved moments ago.
	ReasonSameCall = "approved moments ago for the same call"
)

// MinRemaining is the least time the engine keeps between its own deadline
// and the hook's, so its deny reaches the hook before the hook gives up.
const MinRemaining = 2 * time.Second

// ErrInvalidRequest reports a request the engine refuses to consider.
var ErrInvalidRequest = errors.New("invalid request")

func validate(req *wire.Request) error {
	if !isHex(req.Nonce, 32) {
		return fmt.Errorf("%w: nonce must be 32 lowercase hex digits", ErrInvalidRequest)
	}
	c := &req.Call
	if c.Harness == "" || c.ToolName == "" {
		return fmt.Errorf("%w: harness and tool name are required", ErrInvalidRequest)
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("%w: unknown tool kind %q", ErrInvalidRequest, c.Kind)
	}
	if !isHex(c.InputDigest, 64) {
		return fmt.Errorf("%w: input digest must be 64 lowercase hex digits", ErrInvalidRequest)
	}
	if req.DeadlineMS < 0 {
		return fmt.Errorf("%w: negative deadline", ErrInvalidRequest)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Submit takes a request from a hook. Requests that policy allows, and
// requests that must be denied at once (kill switch, policy, no code
// device), are decided before Submit returns; the rest wait for a human
// until their deadline. The returned ticket yields exactly one outcome.
func (e *Engine) Submit(ctx context.Context, req wire.Request) (*Ticket, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	id, err := newRequestID()
	if err != nil {
		return nil, err
	}
	now := e.now()
	from := HostRemote
	if req.Host != "" && req.Host == e.opts.HostID {
		from = HostLocal
	}
	p := &pending{
		id:      id,
		call:    req.Call,
		class:   e.opts.Classifier.Classify(&req.Call, from).Redacted(),
		nonce:   req.Nonce,
		digest:  req.Call.DigestHex(),
		arrived: now,
		done:    make(chan Outcome, 1),
	}
	if notes, ok := e.writtenCode(&p.call, &p.class, now); ok {
		p.notes = notes
		if floor := e.opts.Config.WrittenCode; floor.Valid() && p.class.Risk.OrCritical() < floor {
			p.class.Risk = floor
			p.notes = append(p.notes, "held at "+floor.String()+" by policy written_code")
		}
	}
	p.need = e.opts.Config.For(p.class.Action, p.class.Risk)
	p.deadline = now.Add(e.opts.Config.Deadline)
	if req.DeadlineMS > 0 {
		if hook := now.Add(time.Duration(req.DeadlineMS)*time.Millisecond - MinRemaining); hook.Before(p.deadline) {
			p.deadline = hook
		}
	}
	t := &Ticket{RequestID: id, Class: p.class, Need: p.need, done: p.done}

	e.mu.Lock()
	kill, full := e.kill, len(e.pending) >= e.opts.MaxPending
	e.mu.Unlock()
	prior, answered := e.takeRecent(&req.Call)
	switch {
	case kill:
		e.finish(ctx, p, verdict.Deny, ReasonKillSwitch, ledger.KindVerdict, device.KindEngine, nil, 0)
	case answered && p.need != config.Block:
		e.finish(ctx, p, verdict.Approve, ReasonSameCall+" (request "+prior.requestID+")",
			ledger.KindVerdict, device.KindEngine, prior.factors, 0)
	case p.need == config.Block:
		e.finish(ctx, p, verdict.Deny, ReasonPolicy, ledger.KindVerdict, device.KindEngine, nil, 0)
	case p.need == config.Auto:
		e.finish(ctx, p, verdict.Approve, "allowed by policy: "+p.class.Risk.String()+" risk", ledger.KindAutoAllow, device.KindEngine, []string{verdict.FactorAuto}, 0)
	case e.answerStanding(ctx, p):
	case p.need == config.ApproveCode && (e.opts.Codes == nil || !e.opts.Codes.Enrolled()):
		e.finish(ctx, p, verdict.Deny, ReasonNoCode, ledger.KindVerdict, device.KindEngine, nil, 0)
	case !p.deadline.After(now):
		e.finish(ctx, p, verdict.Deny, ReasonTimeout, ledger.KindVerdict, device.KindEngine, nil, 0)
	case full:
		e.finish(ctx, p, verdict.Deny, ReasonTooMany, ledger.KindVerdict, device.KindEngine, nil, 0)
	default:
		if _, err := e.opts.Journal.Append(ctx, e.record(p, ledger.KindRequest, "", "", nil, 0, "")); err != nil {
			e.problem("ledger append failed, request %s denied: %v", id, err)
			e.finish(ctx, p, verdict.Deny, ReasonLedgerError, ledger.KindVerdict, device.KindEngine, nil, 0)
			return t, nil
		}
		e.hold(p)
	}
	return t, nil
}

// hold puts p in the queue with its deadline timer. The kill switch may
// have been engaged since Submit looked; hold checks again under the lock.
func (e *Engine) hold(p *pending) {
	e.mu.Lock()
	if e.kill || e.closed {
		e.mu.Unlock()
		reason := ReasonKillSwitch
		if e.closed {
			reason = ReasonStopped
		}
		e.finish(context.Background(), p, verdict.Deny, reason, ledger.KindVerdict, device.KindEngine, nil, 0)
		return
	}
	p.held = true
	e.pending[p.id] = p
	e.order = append(e.order, p.id)
	e.sessions[p.call.SessionID]++
	p.timer = time.AfterFunc(p.deadline.Sub(e.now()), func() {
		if e.claim(p.id) != nil {
			e.finish(context.Background(), p, verdict.Deny, ReasonTimeout, ledger.KindVerdict, device.KindEngine, nil, 0)
		}
	})
	e.mu.Unlock()
	e.notify()
}

// claim removes a pending request so exactly one caller decides it. It
// returns nil if the request was already decided.
func (e *Engine) claim(id string) *pending {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.claimLocked(id)
}

func (e *Engine) claimLocked(id string) *pending {
	p, ok := e.pending[id]
	if !ok || p.touch != nil { // a card is signing it: it ends when the card returns
		return nil
	}
	delete(e.pending, id)
	for i, o := range e.order {
		if o == id {
			e.order = append(e.order[:i], e.order[i+1:]...)
			break
		}
	}
	if e.sessions[p.call.SessionID]--; e.sessions[p.call.SessionID] <= 0 {
		delete(e.sessions, p.call.SessionID)
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	return p
}

// Abandon denies a request whose hook went away, and records it. A
// request a card is signing is denied when the card returns.
func (e *Engine) Abandon(id string) {
	if p := e.claim(id); p != nil {
		e.finish(context.Background(), p, verdict.Deny, ReasonHookGone, ledger.KindVerdict, device.KindEngine, nil, 0)
		e.notify()
		return
	}
	e.endAfterTouch(id, ReasonHookGone, device.KindEngine, "")
}
