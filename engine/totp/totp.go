// Package totp verifies the 6-digit codes that critical approvals need
// (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of skew either
// side), server-side, for the console and the phone alike.
//
// Each time-step is usable once: a code is accepted only for a step later
// than the last accepted one. The last step, the failures of the last hour
// and the lock come from the audit ledger (through Store), so neither a
// restart nor a second process resets them. After MaxFailuresPerHour wrong
// codes the code path locks until the owner unlocks it with a valid code
// after the cool-down.
package totp

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/ledger"
)

// Parameters of the code (RFC 6238 defaults, what authenticator apps expect).
const (
	Period     = 30 * time.Second
	Digits     = 6
	SecretSize = 20 // 160 bits
	Skew       = 1  // steps accepted either side of the current one
)

// Limits.
const (
	MaxFailuresPerHour = 10
	CoolDown           = 15 * time.Minute
)

// Errors.
var (
	ErrFormat      = errors.New("a code is 6 digits")
	ErrMismatch    = errors.New("code does not match")
	ErrLocked      = errors.New("the code path is locked after too many wrong codes: run `ony-tui unlock` at the console")
	ErrCoolDown    = errors.New("the code path is cooling down")
	ErrNotEnrolled = errors.New("no code device enrolled: run `ony-tui enroll totp`")
	ErrNotLocked   = errors.New("the code path is not locked")
)

// UsedError is a code that matches, but for a time-step already used: a
// code works once, and this one did. It counts as a wrong code (a replay
// is what an attacker who saw the screen would try); Next says when the
// authenticator app shows the next code that will work. It matches
// ErrMismatch and engine.ErrCodeReused with errors.Is.
type UsedError struct {
	Next time.Duration // until the app shows a code that works; 0 if it shows one now
}

func (e *UsedError) Error() string {
	if e.Next <= 0 {
		return "this code was already used; type the one your app shows now"
	}
	return fmt.Sprintf("this code was already used; the next one comes in %ds", int((e.Next+time.Second-1)/time.Second))
}

// Unwrap makes a used code a mismatch for callers that only ask that.
func (e *UsedError) Unwrap() error { return ErrMismatch }

// Is reports engine.ErrCodeReused, so the engine can say what happened.
func (e *UsedError) Is(target error) bool { return target == engine.ErrCodeReused }

// usedError returns the UsedError for code if it is the code of a step at
// or before last (one the verifier would accept but for its use), else nil.
func usedError(code, secret string, now time.Time, last uint64) *UsedError {
	t := Step(now)
	for _, step := range []uint64{t, t - 1, t + 1} {
		if step > last {
			continue
		}
		ok, err := hotp.ValidateCustom(code, step, secret, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			next := time.Unix(int64(last+1)*int64(Period/time.Second), 0).Sub(now)
			return &UsedError{Next: max(0, next)}
		}
	}
	return nil
}

// State is the code path's persisted state, derived from the audit ledger.
type State struct {
	LastStep         uint64    // the last time-step accepted (0 if none)
	FailuresLastHour int       // wrong codes recorded in the last hour
	Locked           bool      // locked and not unlocked since
	LockedAt         time.Time // when it locked
}

// Store reads the persisted state. The ledger implements it.
type Store interface {
	CodeState(ctx context.Context, now time.Time) (State, error)
}

// Verifier checks codes. It implements engine.CodeChecker.
type Verifier struct {
	reg     *device.Registry
	store   Store
	journal engine.Journal
	now     func() time.Time

	mu       sync.Mutex // serialises checks in this process
	lastStep uint64     // steps accepted here that may not be in the ledger yet
	fails    []time.Time
}

// New returns a verifier. now may be nil for time.Now.
func New(reg *device.Registry, store Store, journal engine.Journal, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{reg: reg, store: store, journal: journal, now: now}
}

var _ engine.CodeChecker = (*Verifier)(nil)

// Enrolled reports whether an active TOTP device exists.
func (v *Verifier) Enrolled() bool {
	_, err := v.reg.ActiveOf(device.KindTOTP)
	return err == nil
}

// Normalize strips spaces and checks the shape of a code.
func Normalize(code string) (string, error) {
	c := strings.Join(strings.Fields(code), "")
	if len(c) != Digits {
		return "", ErrFormat
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return "", ErrFormat
		}
	}
	return c, nil
}

// Step returns the RFC 6238 time-step of t.
func Step(t time.Time) uint64 { return uint64(t.Unix()) / uint64(Period/time.Second) }

// Check verifies code for requestID and consumes its step. The caller
// records the step in the verdict's ledger entry. A wrong code counts
// towards the hourly limit (the caller records it against the request);
// reaching the limit locks the code path and records the lock.
func (v *Verifier) Check(ctx context.Context, requestID, code string) (uint64, error) {
	c, err := Normalize(code)
	if err != nil {
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	st, err := v.state(ctx, now)
	if err != nil {
		return 0, err
	}
	if st.Locked {
		return 0, ErrLocked
	}
	secret, err := v.secret()
	if err != nil {
		return 0, err
	}
	if step, ok := match(c, secret, now, st.LastStep); ok {
		v.lastStep = step
		return step, nil
	}
	err = v.fail(ctx, now, st, requestID)
	if used := usedError(c, secret, now, st.LastStep); used != nil && errors.Is(err, ErrMismatch) {
		return 0, used
	}
	return 0, err
}

// state merges the ledger's state with what this process saw that may not
// be committed yet.
func (v *Verifier) state(ctx context.Context, now time.Time) (State, error) {
	st, err := v.store.CodeState(ctx, now)
	if err != nil {
		return State{}, fmt.Errorf("reading code state from the ledger: %w", err)
	}
	if v.lastStep > st.LastStep {
		st.LastStep = v.lastStep
	}
	hour := now.Add(-time.Hour)
	kept := v.fails[:0]
	for _, f := range v.fails {
		if f.After(hour) {
			kept = append(kept, f)
		}
	}
	v.fails = kept
	if len(v.fails) > st.FailuresLastHour {
		st.FailuresLastHour = len(v.fails)
	}
	return st, nil
}

func (v *Verifier) fail(ctx context.Context, now time.Time, st State, requestID string) error {
	v.fails = append(v.fails, now)
	if st.FailuresLastHour+1 < MaxFailuresPerHour {
		return ErrMismatch
	}
	if _, err := v.journal.Append(ctx, ledger.Entry{Kind: ledger.KindCodeLocked, RequestID: requestID,
		Detail: fmt.Sprintf("%d wrong codes within an hour", st.FailuresLastHour+1)}); err != nil {
		return fmt.Errorf("%w (and recording the lock failed: %v)", ErrLocked, err)
	}
	return ErrLocked
}

// Unlock reopens a locked code path. It needs the cool-down to have passed
// since the lock and a valid code, whose step it consumes.
func (v *Verifier) Unlock(ctx context.Context, code string) error {
	c, err := Normalize(code)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	st, err := v.state(ctx, now)
	if err != nil {
		return err
	}
	if !st.Locked {
		return ErrNotLocked
	}
	if wait := st.LockedAt.Add(CoolDown).Sub(now); wait > 0 {
		return fmt.Errorf("%w: try again in %s", ErrCoolDown, wait.Round(time.Second))
	}
	secret, err := v.secret()
	if err != nil {
		return err
	}
	step, ok := match(c, secret, now, st.LastStep)
	if !ok {
		if _, err := v.journal.Append(ctx, ledger.Entry{Kind: ledger.KindCodeFailed, Detail: "wrong code to unlock"}); err != nil {
			return fmt.Errorf("%w (and recording it failed: %v)", ErrMismatch, err)
		}
		return ErrMismatch
	}
	if _, err := v.journal.Append(ctx, ledger.Entry{Kind: ledger.KindCodeUnlocked, Step: step, Factors: []string{"totp"},
		Detail: "code path unlocked at the console"}); err != nil {
		return fmt.Errorf("recording the unlock: %w", err)
	}
	v.lastStep = step
	v.fails = nil
	return nil
}

func (v *Verifier) secret() (string, error) {
	d, err := v.reg.ActiveOf(device.KindTOTP)
	if errors.Is(err, device.ErrNotFound) {
		return "", ErrNotEnrolled
	}
	if err != nil {
		return "", err
	}
	raw, err := v.reg.Secret(d.ID)
	if err != nil {
		return "", err
	}
	return EncodeSecret(raw), nil
}

// EncodeSecret is the unpadded base32 form authenticator apps take.
func EncodeSecret(raw []byte) string { return b32().EncodeToString(raw) }

func b32() *base32.Encoding { return base32.StdEncoding.WithPadding(base32.NoPadding) }

// match tries the current step, then one behind, then one ahead, skipping
// any step not after last. It compares in constant time (hotp does).
func match(code, secret string, now time.Time, last uint64) (uint64, bool) {
	t := Step(now)
	for _, step := range []uint64{t, t - 1, t + 1} {
		if step <= last {
			continue
		}
		ok, err := hotp.ValidateCustom(code, step, secret, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// Code returns the code for a secret at t; enrolment uses it to check the
// codes the owner types, and tests use it.
func Code(secret []byte, t time.Time) (string, error) {
	return hotp.GenerateCodeCustom(EncodeSecret(secret), Step(t), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
