package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// A YubiKey approval (the console's Y) has the card sign the same verdict
// bytes any device signs. The card waits for a touch, so the request is
// held while it signs: nobody else decides it meanwhile, and a deny asked
// for then (the owner's D, the kill switch, the deadline, the hook going
// away, the console stopping) takes effect as soon as the card returns.
//
// The ledger gets a touch-requested entry before the card is asked; the
// verdict carries its sequence number, since the verdict is signed before
// its verdict entry can exist. The verdict entry follows once the card has
// signed and before the verdict is released. A card that does not sign
// (no touch, card missing or busy, PIN blocked, pcscd down, ...) leaves a
// touch-failed entry, and the request waits again.

// CardSigner finds the card of an enrolled YubiKey. engine/yubikey
// implements it; the engine never talks to PC/SC itself.
type CardSigner interface {
	// CardSigner returns a signer for whichever of devs has its card
	// inserted; pin unlocks a key whose PIN policy needs it.
	CardSigner(ctx context.Context, devs []device.Device, pin string) (TouchSigner, error)
}

// TouchSigner signs verdicts on a card that waits for a touch.
type TouchSigner interface {
	verdict.Signer
	// Serial is the serial number of the card.
	Serial() uint32
}

// Errors of YubiKey approvals.
var (
	ErrNoYubiKey       = errors.New("no YubiKey is enrolled: run `ony-tui enroll yubikey`")
	ErrNoCardChannel   = errors.New("this console has no YubiKey channel")
	ErrTouchInProgress = errors.New("the YubiKey is already signing this request: touch it, or wait for it to give up")
)

// TouchError says a YubiKey approval was not signed and why. Unless
// Denied, the request still waits.
type TouchError struct {
	Err    error
	Denied bool // the request was denied meanwhile (deadline, kill switch, D, ...)
}

func (e *TouchError) Error() string { return e.Err.Error() }
func (e *TouchError) Unwrap() error { return e.Err }

// touching is the state of a request a card is signing.
type touching struct {
	since     time.Time
	serial    uint32
	by        string // the console that asked for the touch
	endReason string // deny with this once the card returns
	endKind   device.Kind
	endBy     string
}

// yubiKeys returns the active YubiKey devices.
func (e *Engine) yubiKeys() ([]device.Device, error) {
	ds, err := e.opts.Devices.List()
	if err != nil {
		return nil, err
	}
	var out []device.Device
	for _, d := range ds {
		if d.Kind == device.KindYubiKey && d.Active() && d.YubiKey != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// decideTouch approves p with a signature made on a YubiKey.
func (e *Engine) decideTouch(ctx context.Context, p *pending, a Approval) error {
	if e.opts.Cards == nil {
		return ErrNoCardChannel
	}
	devs, err := e.yubiKeys()
	if err != nil {
		return err
	}
	if len(devs) == 0 {
		return ErrNoYubiKey
	}
	// Find the card before the code is checked: a missing card must not
	// cost a single-use code.
	signer, err := e.opts.Cards.CardSigner(ctx, devs, a.PIN)
	if err != nil {
		e.recordTouchFailed(ctx, p, "", err)
		return &TouchError{Err: err}
	}
	factors, step, err := e.checkCode(ctx, p, a)
	if err != nil {
		return err
	}
	if a.remember != nil {
		a.remember.Factors = factors
	}
	e.mu.Lock()
	if cur, ok := e.pending[p.id]; !ok || cur != p {
		e.mu.Unlock()
		return fmt.Errorf("request %s: %w", p.id, ErrNotPending)
	}
	if p.touch != nil {
		e.mu.Unlock()
		return ErrTouchInProgress
	}
	p.touch = &touching{since: e.now(), serial: signer.Serial(), by: a.By}
	p.remember = a.remember
	e.mu.Unlock()
	e.notify()

	detail := fmt.Sprintf("waiting for a touch on YubiKey serial %d", signer.Serial())
	seq, err := e.opts.Journal.Append(ctx, e.record(p, ledger.KindTouchRequested, string(verdict.Approve), signer.DeviceID(), factors, step, detail))
	if err != nil {
		e.problem("ledger append failed for request %s: %v", p.id, err)
		e.endAfterTouch(p.id, ReasonLedgerError, device.KindEngine, "")
		return e.endTouch(ctx, p, signer, nil, factors, step, err)
	}
	v := e.verdictFor(p, verdict.Approve, approvedVia(device.KindYubiKey, len(factors) > 1)+rememberNote(p)+a.note, factors, seq)
	return e.endTouch(ctx, p, signer, v, factors, step, verdict.Sign(v, signer))
}

// endTouch ends the card's hold on p: it delivers the signed approval, or
// records why there is none and either puts p back in the queue or denies
// it (when a deny was asked for meanwhile).
func (e *Engine) endTouch(ctx context.Context, p *pending, signer TouchSigner, v *verdict.Verdict, factors []string, step uint64, signErr error) error {
	e.mu.Lock()
	t := p.touch
	p.touch = nil
	reason, kind, by := t.endReason, t.endKind, t.endBy
	switch {
	case reason != "":
	case e.kill:
		reason, kind = ReasonKillSwitch, device.KindEngine
	case e.closed:
		reason, kind = ReasonStopped, device.KindEngine
	case !e.now().Before(p.deadline):
		reason, kind = ReasonTimeout, device.KindEngine
	}
	var claimed *pending
	if signErr == nil || reason != "" {
		claimed = e.claimLocked(p.id)
	}
	e.mu.Unlock()

	if signErr == nil && reason == "" && claimed != nil {
		reason := v.Reason
		_, err := e.opts.Journal.Append(ctx, e.record(p, ledger.KindVerdict, string(verdict.Approve), signer.DeviceID(), factors, step,
			fmt.Sprintf("%s (YubiKey serial %d; the verdict names entry %d)", reason, signer.Serial(), v.LedgerSeq)))
		if err != nil {
			e.problem("ledger append failed for request %s: %v", p.id, err)
			e.finish(ctx, p, verdict.Deny, ReasonLedgerError, ledger.KindVerdict, device.KindEngine, nil, 0)
			return &TouchError{Err: err, Denied: true}
		}
		b, err := verdict.Marshal(v)
		if err != nil {
			e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Deny, Reason: reason, Err: err})
			return &TouchError{Err: err, Denied: true}
		}
		p.via, p.by = device.KindYubiKey, t.by
		e.deliver(p, Outcome{RequestID: p.id, Decision: verdict.Approve, Reason: reason, Verdict: b})
		e.remember(p, factors, step)
		return nil
	}

	e.mu.Lock()
	p.remember = nil // not approved: nothing is remembered
	e.mu.Unlock()
	cause := signErr
	if cause == nil {
		cause = errors.New("the signature was discarded: " + reason)
	}
	deviceID := ""
	if signer != nil {
		deviceID = signer.DeviceID()
	}
	e.recordTouchFailed(ctx, p, deviceID, cause)
	if claimed != nil {
		var factors []string
		if kind != device.KindEngine {
			factors = []string{factorOf(kind)}
		}
		claimed.via, claimed.by = kind, by
		e.finish(ctx, claimed, verdict.Deny, reason, ledger.KindVerdict, kind, factors, 0)
		return &TouchError{Err: cause, Denied: true}
	}
	e.notify()
	return &TouchError{Err: cause}
}

// causer is an error that carries what the card or pcscd said underneath.
type causer interface{ Cause() string }

// recordTouchFailed records a YubiKey signature that was not made. The
// request itself is unchanged.
func (e *Engine) recordTouchFailed(ctx context.Context, p *pending, deviceID string, err error) {
	detail := err.Error()
	var c causer
	if errors.As(err, &c) && c.Cause() != "" {
		detail += " (" + c.Cause() + ")"
	}
	if len(detail) > 1000 {
		detail = detail[:1000]
	}
	if _, aerr := e.opts.Journal.Append(ctx, e.record(p, ledger.KindTouchFailed, "", deviceID, nil, 0, detail)); aerr != nil {
		e.problem("ledger append failed for a YubiKey failure on %s: %v", p.id, aerr)
	}
}

// endAfterTouch asks for a request a card is signing to be denied, with
// reason, as soon as the card returns. It reports whether such a request
// exists.
func (e *Engine) endAfterTouch(id, reason string, kind device.Kind, by string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[id]
	if !ok || p.touch == nil {
		return false
	}
	if p.touch.endReason == "" {
		p.touch.endReason, p.touch.endKind, p.touch.endBy = reason, kind, by
	}
	return true
}
