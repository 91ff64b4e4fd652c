package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// pending is a request the engine knows about, waiting or being decided.
type pending struct {
	id        string
	call      wire.ToolCall
	class     Classification
	need      config.Requirement
	nonce     string
	digest    string
	arrived   time.Time
	deadline  time.Time
	timer     *time.Timer
	codeFails int
	held      bool            // it waited in the queue for a human
	via       device.Kind     // who decided it, set before finish
	by        string          // the deciding console's label
	notes     []string        // what the engine adds for the console (written.go)
	done      chan Outcome    // buffered 1; written once by finish
	touch     *touching       // set while a YubiKey signs an approval for it
	remember  *StandingAnswer // the standing answer its approval gives (standing.go)
}

// record is the audit entry of an event about p. Its target is the
// redacted one; the agent's risk hint and the detail pass through the same
// redaction, since both may carry text from the call.
func (e *Engine) record(p *pending, kind ledger.Kind, decision, deviceID string, factors []string, step uint64, detail string) ledger.Entry {
	return ledger.Entry{
		Kind: kind, RequestID: p.id, SessionID: p.call.SessionID, Harness: p.call.Harness,
		Action: p.class.Action, Target: p.class.Target, Risk: p.class.Risk.String(), RiskHint: redact.String(p.call.RiskHint),
		Decision: decision, DeviceID: deviceID, Factors: factors, RequestDigest: p.digest, Step: step, Detail: redact.String(detail),
	}
}

// finish records and signs the verdict for p and delivers it. p must have
// been claimed (or never queued). An approval that cannot be recorded or
// signed becomes a deny; a deny that cannot be recorded is still sent,
// because a deny is always safe.
func (e *Engine) finish(ctx context.Context, p *pending, dec verdict.Decision, reason string, kind ledger.Kind, signerKind device.Kind, factors []string, step uint64) {
	reason = redact.String(reason)
	signer, serr := e.signer(signerKind)
	if serr != nil && signerKind != device.KindEngine {
		e.problem("cannot sign with the %s device (%v): request %s denied", signerKind, serr, p.id)
		dec, reason, factors, step = verdict.Deny, fmt.Sprintf("denied: the %s device cannot sign", signerKind), nil, 0
		signer, serr = e.signer(device.KindEngine)
	}
	if serr != nil {
		e.problem("cannot sign verdicts (%v): request %s denied without a verdict", serr, p.id)
		e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Deny, Reason: reason, Err: serr})
		return
	}
	if factors == nil {
		factors = []string{}
	}
	seq, err := e.opts.Journal.Append(ctx, e.record(p, kind, string(dec), signer.DeviceID(), factors, step, reason))
	if err != nil {
		e.problem("ledger append failed for request %s: %v", p.id, err)
		if dec == verdict.Approve {
			dec, reason, factors = verdict.Deny, ReasonLedgerError, []string{}
			signer, serr = e.signer(device.KindEngine)
			if serr != nil {
				e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Deny, Reason: reason, Err: serr})
				return
			}
		}
		seq = 0
	}
	v := e.verdictFor(p, dec, reason, factors, seq)
	if err := verdict.Sign(v, signer); err != nil {
		e.problem("signing verdict for %s failed: %v", p.id, err)
		e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Deny, Reason: reason, Err: err})
		return
	}
	b, err := verdict.Marshal(v)
	if err != nil {
		e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Deny, Reason: reason, Err: err})
		return
	}
	e.deliver(p, Outcome{RequestID: p.id, Decision: dec, Reason: reason, Verdict: b})
}

// verdictFor is the unsigned verdict for p, valid from now.
func (e *Engine) verdictFor(p *pending, dec verdict.Decision, reason string, factors []string, seq uint64) *verdict.Verdict {
	now := e.now()
	return &verdict.Verdict{
		RequestID: p.id, AgentSessionID: p.call.SessionID, Action: p.class.Action, Target: p.class.Target,
		Risk: p.class.Risk.String(), Decision: dec, Reason: reason,
		IssuedAt: verdict.At(now), ExpiresAt: verdict.At(now.Add(e.opts.Config.VerdictTTL)),
		Nonce: p.nonce, RequestDigest: p.digest, Factors: factors, LedgerSeq: seq,
	}
}

func (e *Engine) deliver(p *pending, o Outcome) {
	if o.Decision == verdict.Approve && o.Err == nil {
		// Whatever way it was approved, the files it writes are now the
		// session's own code (written.go).
		e.written.record(sessionOf(&p.call), p.class.Writes, e.now())
		e.keepStanding(p)
	}
	if p.held {
		via := p.via
		if via == "" {
			via = device.KindEngine
		}
		e.noteDecided(Decided{ID: p.id, Class: p.class, Decision: string(o.Decision), Reason: o.Reason,
			Via: via, By: p.by, At: e.now()})
	}
	select {
	case p.done <- o:
	default: // already delivered: impossible after claim, kept as a guard
	}
	e.notify()
}

// signer returns the signer of the active device of a kind. It asks the
// registry which device is active every time, so a revocation by another
// process is honoured at once; the signer itself is kept per device id,
// since a device's key never changes (rotation creates a new device).
func (e *Engine) signer(kind device.Kind) (verdict.Signer, error) {
	d, err := e.opts.Devices.ActiveOf(kind)
	if err != nil {
		return nil, err
	}
	if s, ok := e.signers.Load(d.ID); ok {
		return s.(verdict.Signer), nil
	}
	s, err := e.opts.Devices.Signer(d.ID)
	if err != nil {
		return nil, err
	}
	e.signers.Store(d.ID, s)
	return s, nil
}
