// Package enrol enrols a virtual card (package vcard) into an Ony home.
// It runs the same enrolment as `ony-tui enroll yubikey`, but trusts the
// virtual card's test CA, which the ony-tui binary never does (it refuses a
// virtual card: its attestation does not chain to Yubico). ony-vcard and
// the end-to-end tests use it; the shipped binary cannot reach it.
package enrol

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/engine/yubikey/internal/trust"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

// Options configure Into.
type Options struct {
	Home      string            // the Ony home (--home)
	CA        *x509.Certificate // the virtual card's attestation root
	Prompt    yubikey.Prompter
	Slot      piv.Slot // zero: 9c
	Serial    uint32
	PINPolicy piv.PINPolicy
	Force     bool
	Label     string
}

// Into enrols the card and records the device in the home's registry and
// ledger. The ledger entry says the attestation chains to a test CA.
func Into(ctx context.Context, o Options) (device.Device, error) {
	l, err := paths.Resolve(o.Home, func(string) string { return "" })
	if err != nil {
		return device.Device{}, err
	}
	if err := l.EnsureDirs(); err != nil {
		return device.Device{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(o.CA)
	e, err := yubikey.Enroll(ctx, yubikey.EnrollOptions{Keys: yubikey.NewKeys(), Prompt: o.Prompt, Slot: o.Slot, Serial: o.Serial,
		PINPolicy: o.PINPolicy, Force: o.Force, Trust: trust.Test(pool)})
	if err != nil {
		return device.Device{}, err
	}
	label := o.Label
	if label == "" {
		label = fmt.Sprintf("virtual YubiKey %d", e.Card.Serial)
	}
	// The ledger first: a device registry beside no ledger reads as a
	// deleted chain, which Ony refuses to restart silently.
	led, err := app.OpenLedger(ctx, l)
	if err != nil {
		return device.Device{}, err
	}
	defer led.Close()
	reg := device.Open(l.DevicesFile, l.KeysDir, nil)
	d, err := reg.CreateYubiKey(label, e.Public, e.Device())
	if err != nil {
		return device.Device{}, err
	}
	_, err = app.Journal{L: led}.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceEnrolled, DeviceID: d.ID, Factors: []string{"yubikey"},
		Detail: fmt.Sprintf("yubikey enrolled by ony-vcard: a VIRTUAL card (serial %d, slot %s) whose attestation chains to a test CA, not Yubico", e.Card.Serial, e.Slot)})
	return d, err
}
