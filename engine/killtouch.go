package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// While approvals.require_touch is on, a keypress cannot approve a high
// request, and it must not lift the kill switch either: code the agent runs
// as the owner can drive the console's terminal (tmux send-keys), and a
// released switch lets every low and medium call through again. So the
// release needs a touch on an enrolled YubiKey too: the card signs a
// statement of the release (verdict bytes, like an approval's), the engine
// checks the signature against the enrolled public key, and the ledger
// entry names the device.

// ErrReleaseNeedsTouch refuses to release the kill switch without a valid
// touch while approvals.require_touch is on; the error that wraps it says
// what went wrong (no card, no touch, another key).
var ErrReleaseNeedsTouch = errors.New("touch is required: releasing the kill switch needs a touch on an enrolled YubiKey")

// releaseRequestID names the statement a card signs to release the switch.
const releaseRequestID = "kill-switch-release"

// releaseCard finds the card of an enrolled YubiKey for a release. It runs
// before the code is checked: a missing card must not cost a code.
func (e *Engine) releaseCard(ctx context.Context) (TouchSigner, []device.Device, error) {
	if e.opts.Cards == nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrReleaseNeedsTouch, ErrNoCardChannel)
	}
	devs, err := e.yubiKeys()
	if err != nil {
		return nil, nil, err
	}
	if len(devs) == 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrReleaseNeedsTouch, ErrNoYubiKey)
	}
	signer, err := e.opts.Cards.CardSigner(ctx, devs, "")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrReleaseNeedsTouch, err)
	}
	return signer, devs, nil
}

// releaseTouch has the card sign the release (it waits for the touch) and
// checks the signature. It returns the device and the card's serial.
func (e *Engine) releaseTouch(ctx context.Context, signer TouchSigner, devs []device.Device) (string, uint32, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", 0, fmt.Errorf("releasing kill switch: %w", err)
	}
	now := e.now()
	v := &verdict.Verdict{RequestID: releaseRequestID, Action: "ony.kill_switch.release", Risk: "critical",
		Decision: verdict.Approve, Reason: "release the kill switch", IssuedAt: verdict.At(now),
		ExpiresAt: verdict.At(now.Add(e.opts.Config.VerdictTTL)), Nonce: hex.EncodeToString(nonce),
		Factors: []string{verdict.FactorYubiKey}}
	if err := verdict.Sign(v, signer); err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u // what the card said, without "signing verdict for device …"
		}
		e.recordReleaseTouchFailed(ctx, signer.DeviceID(), err)
		return "", 0, fmt.Errorf("%w: %w", ErrReleaseNeedsTouch, err)
	}
	// The card is the engine's own channel, but a signature is only as good
	// as the key that checks it: the enrolled, unrevoked YubiKey's.
	if !isYubiKey(devs, v.ApproverDeviceID) {
		return "", 0, fmt.Errorf("%w: device %s is not an enrolled YubiKey", ErrReleaseNeedsTouch, v.ApproverDeviceID)
	}
	if err := verdict.VerifySignature(v, e.opts.Devices.Keyring()); err != nil {
		e.recordReleaseTouchFailed(ctx, v.ApproverDeviceID, err)
		return "", 0, fmt.Errorf("%w: the card's signature does not verify: %w", ErrReleaseNeedsTouch, err)
	}
	return v.ApproverDeviceID, signer.Serial(), nil
}

func isYubiKey(devs []device.Device, id string) bool {
	for _, d := range devs {
		if d.ID == id && d.Kind == device.KindYubiKey {
			return true
		}
	}
	return false
}

// recordReleaseTouchFailed records a touch that did not release the switch.
func (e *Engine) recordReleaseTouchFailed(ctx context.Context, deviceID string, cause error) {
	detail := "kill switch release: " + cause.Error()
	var c causer
	if errors.As(cause, &c) && c.Cause() != "" {
		detail += " (" + c.Cause() + ")"
	}
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindTouchFailed, RequestID: releaseRequestID,
		Action: "ony.kill_switch.release", DeviceID: deviceID, Detail: detail}); err != nil {
		e.problem("ledger append failed for a failed touch: %v", err)
	}
}
