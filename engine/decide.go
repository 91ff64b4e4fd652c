package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// Errors from Decide.
var (
	ErrNotPending   = errors.New("request is not waiting for a decision")
	ErrCodeRequired = errors.New("this action needs a 6-digit code")
	ErrBadCode      = errors.New("wrong code")
	// ErrCodeReused is a right code whose time-step was already used (a
	// code works once). The code checker's error matches it; Decide's
	// error then says so, and still matches ErrBadCode.
	ErrCodeReused = errors.New("this code was already used")
	ErrKillSwitch = errors.New("kill switch engaged")
	// ErrFactorRequired refuses a keypad-only approval where every
	// approval needs a factor the agent cannot produce (Options.
	// RequireFactor). It wraps ErrCodeRequired: a code makes it an approval.
	ErrFactorRequired = fmt.Errorf("%w: this is a hardened install, where a keypress alone never approves (code the agent runs could press keys); add the 6-digit code, or approve with a YubiKey touch or on the phone", ErrCodeRequired)
	// ErrTouchRequired refuses a keypad approval that policy says needs a
	// YubiKey touch (approvals.require_touch).
	ErrTouchRequired = errors.New("this request needs a YubiKey touch, not the keypad alone (approvals.require_touch): press Y")
)

// MaxCodeFailures is how many wrong codes one request tolerates before it is
// denied.
const MaxCodeFailures = 5

// Approval is a human decision on one waiting request.
type Approval struct {
	Approve bool
	// Via is the channel that decided: console (keypad), phone or yubikey.
	Via device.Kind
	// Code is the 6-digit code, required to approve when the request needs
	// one.
	Code string
	// By names the console that decided (its label), shown to the other
	// consoles.
	By string
	// PIN unlocks a YubiKey whose key has PIN policy "once"; it is used
	// for this signature only and never kept.
	PIN string

	// remember is the standing answer this approval gives (Remember).
	remember *StandingAnswer
	// forceCode asks for the 6-digit code whatever the request needs.
	forceCode bool
	// note is added to the approval's reason.
	note string
}

// Decide applies a human decision to a waiting request. Approving a request
// that needs a code without one returns ErrCodeRequired and leaves the
// request waiting; a wrong code returns ErrBadCode (and after
// MaxCodeFailures denies the request). It returns ErrNotPending if the
// request was already decided.
func (e *Engine) Decide(ctx context.Context, id string, a Approval) error {
	if a.Via == "" {
		a.Via = device.KindConsole
	}
	e.mu.Lock()
	p, ok := e.pending[id]
	kill := e.kill
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("request %s: %w", id, ErrNotPending)
	}
	if !a.Approve {
		if p = e.claim(id); p == nil {
			if e.endAfterTouch(id, deniedVia(a.Via), a.Via, a.By) {
				return nil // denied as soon as the card returns
			}
			return fmt.Errorf("request %s: %w", id, ErrNotPending)
		}
		p.via, p.by = a.Via, a.By
		e.finish(ctx, p, verdict.Deny, deniedVia(a.Via), ledger.KindVerdict, a.Via, []string{factorOf(a.Via)}, 0)
		return nil
	}
	if kill {
		return ErrKillSwitch
	}
	if a.Via == device.KindConsole && e.opts.Config.TouchRequired(p.class.Risk) {
		return ErrTouchRequired
	}
	if a.Via == device.KindYubiKey {
		return e.decideTouch(ctx, p, a)
	}
	factors, step, err := e.checkCode(ctx, p, a)
	if err != nil {
		return err
	}
	if a.remember != nil {
		a.remember.Factors = factors
	}
	if p = e.claim(id); p == nil {
		return fmt.Errorf("request %s: %w", id, ErrNotPending)
	}
	p.via, p.by, p.remember = a.Via, a.By, a.remember
	e.finish(ctx, p, verdict.Approve, approvedVia(a.Via, len(factors) > 1)+rememberNote(p)+a.note, ledger.KindVerdict, a.Via, factors, step)
	e.remember(p, factors, step)
	return nil
}

// checkCode checks the code a request needs, if it needs one, and returns
// the factors of the approval and the code's time-step.
func (e *Engine) checkCode(ctx context.Context, p *pending, a Approval) ([]string, uint64, error) {
	factors := []string{factorOf(a.Via)}
	// Where every approval needs a factor (Options.RequireFactor), the
	// keypad alone needs the code as well.
	keypadOnly := e.opts.RequireFactor && a.Via == device.KindConsole
	switch {
	case p.need == config.ApproveCode || (keypadOnly || a.forceCode) && p.need == config.Approve:
	case p.need == config.Approve:
		return factors, 0, nil
	default:
		return nil, 0, fmt.Errorf("request %s needs %s, not a human approval", p.id, p.need)
	}
	code := strings.ReplaceAll(a.Code, " ", "")
	if code == "" {
		if p.need != config.ApproveCode && !a.forceCode {
			return nil, 0, ErrFactorRequired
		}
		return nil, 0, ErrCodeRequired
	}
	if e.opts.Codes == nil || !e.opts.Codes.Enrolled() {
		return nil, 0, fmt.Errorf("no code device enrolled: run `ony-tui enroll totp`: %w", ErrCodeRequired)
	}
	step, err := e.opts.Codes.Check(ctx, p.id, code)
	if err != nil {
		return nil, 0, e.codeFailed(ctx, p, err)
	}
	return append(factors, verdict.FactorTOTP), step, nil
}

// codeFailed counts a wrong code against the request and denies it at the
// limit. The code itself is never recorded.
func (e *Engine) codeFailed(ctx context.Context, p *pending, cause error) error {
	e.mu.Lock()
	p.codeFails++
	fails := p.codeFails
	e.mu.Unlock()
	if _, err := e.opts.Journal.Append(ctx, e.record(p, ledger.KindCodeFailed, "", "", nil, 0, fmt.Sprintf("wrong code %d of %d: %v", fails, MaxCodeFailures, cause))); err != nil {
		e.problem("ledger append failed for a wrong code on %s: %v", p.id, err)
	}
	e.notify()
	if fails >= MaxCodeFailures {
		if c := e.claim(p.id); c != nil {
			e.finish(ctx, c, verdict.Deny, ReasonCodeLimit, ledger.KindVerdict, device.KindEngine, nil, 0)
		}
		return fmt.Errorf("%w: request denied after %d wrong codes", ErrBadCode, fails)
	}
	if errors.Is(cause, ErrCodeReused) {
		return &badCode{msg: fmt.Sprintf("%v (%d of %d wrong codes)", cause, fails, MaxCodeFailures), cause: cause}
	}
	return fmt.Errorf("%w (%d of %d): %v", ErrBadCode, fails, MaxCodeFailures, cause)
}

// badCode is a wrong code whose cause says it better than "wrong code"
// does; it matches ErrBadCode and its cause.
type badCode struct {
	msg   string
	cause error
}

func (e *badCode) Error() string   { return e.msg }
func (e *badCode) Unwrap() []error { return []error{ErrBadCode, e.cause} }

func factorOf(k device.Kind) string {
	switch k {
	case device.KindPhone:
		return verdict.FactorPhone
	case device.KindYubiKey:
		return verdict.FactorYubiKey
	default:
		return verdict.FactorKeypad
	}
}

func approvedVia(k device.Kind, code bool) string {
	s := "approved by owner at the console"
	switch k {
	case device.KindPhone:
		s = "approved by owner on the phone"
	case device.KindYubiKey:
		s = "approved by owner with a YubiKey touch"
	}
	if code {
		s += " with a 6-digit code"
	}
	return s
}

func deniedVia(k device.Kind) string {
	if k == device.KindPhone {
		return "denied by owner on the phone"
	}
	return ReasonDenied
}
