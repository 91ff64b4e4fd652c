package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/ledger"
)

func newEnrollYubiKeyCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var o yubikeyFlags
	cmd := &cobra.Command{
		Use:   "yubikey",
		Short: "Enrol a YubiKey: approving with Y then needs a touch on it",
		Long: `Generates an ECDSA P-256 key on the YubiKey (touch policy always, PIN policy
never, or once with --pin-policy once) in an empty slot, checks the card's
attestation of it (it must chain to Yubico's PIV roots and say the key was
generated on this card with touch policy always), asks for one touch to prove
it signs, and records the device: id, label, serial, slot, firmware, public
key and attestation certificates (public data only). An occupied slot needs
--force and a typed confirmation naming what is destroyed. The factory
management key is used if the card still has it; otherwise you are asked for
it (or for the PIN, if the management key is PIN-protected). Neither the PIN
nor the management key is ever stored. Enrol a second key as a backup.`,
		Example: `  ony-tui enroll yubikey
  ony-tui enroll yubikey --slot 82 --label "backup key"
  ony-tui enroll yubikey --serial 12345678 --pin-policy once`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				return g.enrollYubiKey(cmd.Context(), t, o, newTermPrompt(stdin, stdout))
			})
		},
	}
	cmd.Flags().StringVar(&o.slot, "slot", "9c", "PIV slot for the key: 9c or 82..95")
	cmd.Flags().Uint32Var(&o.serial, "serial", 0, "the YubiKey to use, when several are inserted")
	cmd.Flags().StringVar(&o.label, "label", "", `name of the device (default "YubiKey <serial>")`)
	cmd.Flags().StringVar(&o.pinPolicy, "pin-policy", "never", "never, or once: each approval then also asks the YubiKey's PIN")
	cmd.Flags().BoolVar(&o.force, "force", false, "destroy a key already in the slot (asks you to type a confirmation)")
	return cmd
}

type yubikeyFlags struct {
	slot, label, pinPolicy string
	serial                 uint32
	force                  bool
}

func (g *globals) enrollYubiKey(ctx context.Context, t *tools, o yubikeyFlags, p *termPrompt) error {
	slot, err := yubikey.ParseSlot(o.slot)
	if err != nil {
		return err
	}
	pp, err := yubikey.ParsePINPolicy(o.pinPolicy)
	if err != nil {
		return err
	}
	e, err := yubikey.Enroll(ctx, yubikey.EnrollOptions{Keys: yubikey.NewKeys(), Prompt: p, Slot: slot, Serial: o.serial, PINPolicy: pp, Force: o.force})
	if err != nil {
		return err
	}
	label := o.label
	if label == "" {
		label = fmt.Sprintf("YubiKey %d", e.Card.Serial)
	}
	// A device whose key lived in this slot lost it to the new one.
	var replaced []device.Device
	ds, err := t.devices.List()
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Active() && d.YubiKey != nil && d.YubiKey.Serial == e.Card.Serial && d.YubiKey.Slot == slot.String() {
			replaced = append(replaced, d)
		}
	}
	change := fmt.Sprintf("enrol YubiKey %d slot %s as %q", e.Card.Serial, slot, label)
	for _, d := range replaced {
		change += fmt.Sprintf("; revoke %s, whose key was in that slot", d.ID)
	}
	var d device.Device
	err = g.guarded(ctx, t, p, change, func() error {
		var err error
		if d, err = t.devices.CreateYubiKey(label, e.Public, e.Device()); err != nil {
			return err
		}
		rec := e.Device()
		if _, err := t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceEnrolled, DeviceID: d.ID, Factors: []string{"yubikey"},
			Detail: fmt.Sprintf("yubikey enrolled: serial %d, slot %s, firmware %s, PIN %s, touch always; attestation chains to Yubico", rec.Serial, rec.Slot, rec.Firmware, rec.PINPolicy)}); err != nil {
			return fmt.Errorf("device %s stored, but recording the enrolment failed: %w", d.ID, err)
		}
		for _, old := range replaced {
			if _, err := t.devices.Replace(old.ID, d.ID); err != nil {
				return err
			}
			if _, err := t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceRevoked, DeviceID: old.ID,
				Detail: "its key was replaced in the same slot by " + d.ID}); err != nil {
				return fmt.Errorf("recording the revocation of %s: %w", old.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "Enrolled %s (%s): YubiKey %d, slot %s, firmware %d.%d.%d, PIN policy %s, touch always.\n",
		d.ID, label, e.Card.Serial, slot, e.Card.Version.Major, e.Card.Version.Minor, e.Card.Version.Patch, d.YubiKey.PINPolicy)
	fmt.Fprintln(p.out, "In the console, Y approves the selected request with a touch on it. Enrol a second key as a backup.")
	return nil
}

// rotateYubiKey generates a new key in the same slot of the same card,
// proves it, registers it and revokes the old device (whose key the new
// one destroyed).
func (g *globals) rotateYubiKey(ctx context.Context, t *tools, old device.Device, p *termPrompt) error {
	y := old.YubiKey
	pub, err := yubikey.PublicKey(old)
	if err != nil {
		return err
	}
	slot, err := yubikey.ParseSlot(y.Slot)
	if err != nil {
		return err
	}
	pp, err := yubikey.ParsePINPolicy(y.PINPolicy)
	if err != nil {
		return err
	}
	change := fmt.Sprintf("rotate %s (YubiKey %d slot %s) to a new key in the same slot", old.ID, y.Serial, y.Slot)
	var repl device.Device
	err = g.guarded(ctx, t, p, change, func() error {
		e, err := yubikey.Enroll(ctx, yubikey.EnrollOptions{Keys: yubikey.NewKeys(), Prompt: p, Slot: slot, Serial: y.Serial,
			PINPolicy: pp, Force: true, Rotating: pub})
		if err != nil {
			return err
		}
		if repl, err = t.devices.CreateYubiKey(old.Label, e.Public, e.Device()); err != nil {
			return err
		}
		if _, err := t.devices.Replace(old.ID, repl.ID); err != nil {
			return err
		}
		for _, r := range []ledger.Entry{
			{Kind: ledger.KindDeviceEnrolled, DeviceID: repl.ID, Factors: []string{"yubikey"}, Detail: "rotated from " + old.ID + "; attestation chains to Yubico"},
			{Kind: ledger.KindDeviceRevoked, DeviceID: old.ID, Detail: "rotated to " + repl.ID},
		} {
			if _, err := t.journal.Append(ctx, r); err != nil {
				return fmt.Errorf("rotation done, but recording it failed: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "rotated %s -> %s (YubiKey %d, slot %s): the old key is gone from the card\n", old.ID, repl.ID, y.Serial, y.Slot)
	return nil
}
