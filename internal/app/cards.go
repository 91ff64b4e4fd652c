package app

import (
	"context"
	"os"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/yubikey"
)

// cardChannel gives the engine the YubiKey channel. The console runs for
// hours, so its card work runs in helper processes (this binary started as
// "ony-tui piv-helper"): see engine/yubikey/helper.go.
type cardChannel struct{ k *yubikey.Keys }

var _ engine.CardSigner = cardChannel{}

// CardSigner implements engine.CardSigner.
func (c cardChannel) CardSigner(ctx context.Context, devs []device.Device, pin string) (engine.TouchSigner, error) {
	s, err := c.k.Signer(ctx, devs, pin)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newCardChannel returns the channel of this binary, or nil if the binary
// cannot find itself to start helpers (Y then says there is no channel).
func newCardChannel() engine.CardSigner {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return cardChannel{yubikey.NewIsolatedKeys(yubikey.Helper{Path: exe, Args: []string{yubikey.HelperArg}})}
}
