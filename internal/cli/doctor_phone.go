package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/engine/phone"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
)

// phone checks the phone channel: the credentials file, the phone device,
// and SignalWire's answer to the credentials (authentication only: no
// call is placed). Nothing it prints holds the token.
func (d *doctor) phone(ctx context.Context) {
	c, err := phone.LoadCredentials(d.l.KeysDir)
	switch {
	case errors.Is(err, phone.ErrNotEnrolled):
		d.add("info", "phone", "no phone enrolled: nobody is called when the console is unattended", "ony-tui enroll phone")
		return
	case err != nil:
		d.add("FAIL", "phone", err.Error(), "ony-tui enroll phone")
		return
	}
	dev, err := phone.ActiveDevice(deviceRegistry(d.l), c)
	if err != nil {
		d.add("FAIL", "phone", err.Error(), "ony-tui enroll phone")
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := phone.Connect(cctx, c, relay.Options{HandshakeTimeout: 10 * time.Second}); err != nil {
		d.add("FAIL", "phone", "SignalWire: "+err.Error(), "check the token on SignalWire's API page, then run `ony-tui enroll phone` again")
		return
	}
	space, _ := phone.NormalizeSpace(c.Space)
	d.add("ok", "phone", fmt.Sprintf("SignalWire space %s accepted the credentials; calls %s from %s (device %s)",
		space, c.MaskedTo(), phone.MaskNumber(c.From), dev.ID), "")
}
