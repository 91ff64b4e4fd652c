package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

func readKillSwitch(file string) (bool, error) {
	if file == "" {
		return false, nil
	}
	_, err := os.Lstat(file)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	// Cannot tell: stay engaged rather than start open.
	return true, fmt.Errorf("reading kill switch state %s: %w", file, err)
}

// KillSwitch reports whether the kill switch is engaged.
func (e *Engine) KillSwitch() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kill
}

// EngageKillSwitch denies every waiting request and every new one until
// ReleaseKillSwitch. The state is persisted so a restarted console stays
// engaged. It takes effect in memory first, so a failure to persist or
// record never leaves the switch off.
func (e *Engine) EngageKillSwitch(ctx context.Context) error {
	e.mu.Lock()
	e.kill = true
	var claimed []*pending
	for _, id := range append([]string(nil), e.order...) {
		if p := e.claimLocked(id); p != nil { // one a card is signing is denied when it returns
			claimed = append(claimed, p)
		}
	}
	e.mu.Unlock()
	e.notify()
	var errs []error
	if f := e.opts.KillSwitchFile; f != "" {
		if err := os.WriteFile(f, []byte("engaged\n"), 0o600); err != nil {
			errs = append(errs, fmt.Errorf("persisting kill switch: %w", err))
		} else if d, err := os.Open(filepath.Dir(f)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindKillEngaged, Detail: fmt.Sprintf("%d waiting requests denied", len(claimed))}); err != nil {
		errs = append(errs, fmt.Errorf("recording kill switch: %w", err))
	}
	for _, p := range claimed {
		e.finish(ctx, p, verdict.Deny, ReasonKillSwitch, ledger.KindVerdict, device.KindEngine, nil, 0)
	}
	if err := errors.Join(errs...); err != nil {
		e.problem("kill switch engaged, but: %v", err)
		return err
	}
	return nil
}

// ErrReleaseNeedsCode refuses to release the kill switch without the
// 6-digit code where every human decision needs a factor (RequireFactor):
// code the agent runs as the owner can reach the console socket, and must
// not lift the brake the owner pulled. It wraps ErrFactorRequired.
var ErrReleaseNeedsCode = fmt.Errorf("%w (releasing the kill switch in a hardened install needs the 6-digit code)", ErrFactorRequired)

// ReleaseKillSwitch lets requests through to the normal policy again. In a
// hardened install (RequireFactor) it needs a valid 6-digit code, checked
// and consumed like an approval's; while approvals.require_touch is on it
// needs a touch on an enrolled YubiKey (killtouch.go). If the persisted state cannot be removed
// the switch stays engaged.
func (e *Engine) ReleaseKillSwitch(ctx context.Context, code string) error {
	var step uint64
	var factors []string
	var card TouchSigner
	var cardDevs []device.Device
	if e.opts.Config.RequireTouch.Valid() {
		var err error
		if card, cardDevs, err = e.releaseCard(ctx); err != nil {
			return err
		}
	}
	if e.opts.RequireFactor {
		code = strings.ReplaceAll(code, " ", "")
		if code == "" {
			return ErrReleaseNeedsCode
		}
		if e.opts.Codes == nil || !e.opts.Codes.Enrolled() {
			return fmt.Errorf("no code device enrolled: run `ony-tui enroll totp`: %w", ErrReleaseNeedsCode)
		}
		s, err := e.opts.Codes.Check(ctx, "kill-switch-release", code)
		if err != nil {
			if _, jerr := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindCodeFailed,
				Detail: fmt.Sprintf("wrong code to release the kill switch: %v", err)}); jerr != nil {
				e.problem("ledger append failed for a wrong code: %v", jerr)
			}
			return fmt.Errorf("%w: the kill switch stays engaged: %v", ErrBadCode, err)
		}
		step, factors = s, []string{verdict.FactorTOTP}
	}
	var deviceID, detail string
	if card != nil {
		id, serial, err := e.releaseTouch(ctx, card, cardDevs)
		if err != nil {
			return err
		}
		deviceID, detail = id, fmt.Sprintf("released with a touch on YubiKey serial %d", serial)
		factors = append(factors, verdict.FactorYubiKey)
	}
	if f := e.opts.KillSwitchFile; f != "" {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			e.problem("kill switch stays engaged: %v", err)
			return fmt.Errorf("releasing kill switch: %w", err)
		}
	}
	e.mu.Lock()
	e.kill = false
	e.mu.Unlock()
	e.notify()
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindKillReleased, Step: step, Factors: factors,
		DeviceID: deviceID, Detail: detail}); err != nil {
		e.problem("recording kill switch release failed: %v", err)
		return fmt.Errorf("recording kill switch release: %w", err)
	}
	return nil
}

// SetAway records that nobody is (or somebody is again) at the console.
func (e *Engine) SetAway(ctx context.Context, away bool) error {
	e.mu.Lock()
	changed := e.away != away
	e.away = away
	e.mu.Unlock()
	if !changed {
		return nil
	}
	e.notify()
	detail := "owner back at the console"
	if away {
		detail = "owner away from the console"
	}
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindAwayChanged, Detail: detail}); err != nil {
		e.problem("recording away state failed: %v", err)
		return err
	}
	return nil
}

// Close denies every waiting request (recorded) and refuses new ones. Call it
// when the console stops.
func (e *Engine) Close(ctx context.Context) {
	e.mu.Lock()
	e.closed = true
	var claimed []*pending
	for _, id := range append([]string(nil), e.order...) {
		if p := e.claimLocked(id); p != nil { // one a card is signing is denied when it returns
			claimed = append(claimed, p)
		}
	}
	e.mu.Unlock()
	for _, p := range claimed {
		e.finish(ctx, p, verdict.Deny, ReasonStopped, ledger.KindVerdict, device.KindEngine, nil, 0)
	}
}
