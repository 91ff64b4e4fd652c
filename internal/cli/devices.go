package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/ledger"
)

func newDevicesCmd(g *globals, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List, revoke or rotate approval devices",
		Long: `Every approver is a device with its own key: the console keypad, the engine's
automatic allows, the authenticator app, a YubiKey, the phone. Revoking a
device makes its verdicts stop verifying at once, in every hook.`,
		Example: `  ony-tui devices
  ony-tui devices revoke dev_2b7e4a90
  ony-tui devices rotate dev_2b7e4a90`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			ds, err := deviceRegistry(l).List()
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				fmt.Fprintln(stdout, "no devices yet: start the console once (ony-tui) to create them")
				return nil
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tKIND\tLABEL\tCREATED\tSTATUS\tKEY\tDETAIL")
			for _, d := range ds {
				status := "active"
				if d.Revoked != nil {
					status = "revoked " + d.Revoked.Local().Format(time.DateTime)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.Label, d.Created.Local().Format(time.DateTime), status, d.KeyID, deviceDetail(d))
			}
			return w.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke <device-id>",
		Short: "Revoke a device: its verdicts stop verifying at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				d, err := t.devices.Get(args[0])
				if err != nil {
					return err
				}
				err = g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), fmt.Sprintf("revoke %s (%s, %s)", d.ID, d.Kind, d.Label), func() error {
					d, err = t.devices.Revoke(args[0])
					return err
				})
				if err != nil {
					return err
				}
				detail := fmt.Sprintf("%s device revoked at the terminal", d.Kind)
				removed := false
				if d.Kind == device.KindPhone {
					// A revoked phone never calls again: its SignalWire
					// token has no reason to stay on disk.
					if removed, err = removePhoneCredentials(t, d); err != nil {
						return err
					}
					if removed {
						detail += "; its SignalWire credentials removed"
					}
				}
				if _, err := t.journal.Append(cmd.Context(), ledger.Entry{Kind: ledger.KindDeviceRevoked, DeviceID: d.ID,
					Detail: detail}); err != nil {
					return fmt.Errorf("device %s revoked, but recording it failed: %w", d.ID, err)
				}
				fmt.Fprintf(stdout, "revoked %s (%s, %s)\n", d.ID, d.Kind, d.Label)
				if removed {
					fmt.Fprintln(stdout, "removed the SignalWire credentials (phone.json); `ony-tui enroll phone` to be called again")
				}
				if d.YubiKey != nil {
					fmt.Fprintf(stdout, "its key stays on YubiKey %d in slot %s but signs nothing Ony accepts; delete it with `ykman piv keys delete %s` if you like\n", d.YubiKey.Serial, d.YubiKey.Slot, d.YubiKey.Slot)
				}
				if d.Kind == "console" || d.Kind == "engine" {
					fmt.Fprintln(stderr, "ony-tui: hint: a running console cannot sign with it any more; restart it (ony-tui) to create a new one, or use `ony-tui devices rotate` next time")
				}
				return nil
			})
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate <device-id>",
		Short: "Give a device a new key and revoke the old one (a YubiKey: a new key in the same slot)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				d, err := t.devices.Get(args[0])
				if err != nil {
					return err
				}
				if d.Kind == device.KindYubiKey && d.Active() && d.YubiKey != nil {
					return g.rotateYubiKey(cmd.Context(), t, d, newTermPrompt(stdin, stdout))
				}
				var old, repl device.Device
				err = g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), fmt.Sprintf("rotate %s (%s) to a new key", d.ID, d.Kind), func() error {
					old, repl, err = t.devices.Rotate(args[0])
					return err
				})
				if err != nil {
					return err
				}
				for _, r := range []ledger.Entry{
					{Kind: ledger.KindDeviceEnrolled, DeviceID: repl.ID, Detail: "rotated from " + old.ID},
					{Kind: ledger.KindDeviceRevoked, DeviceID: old.ID, Detail: "rotated to " + repl.ID},
				} {
					if _, err := t.journal.Append(cmd.Context(), r); err != nil {
						return fmt.Errorf("rotation done, but recording it failed: %w", err)
					}
				}
				fmt.Fprintf(stdout, "rotated %s -> %s (%s)\n", old.ID, repl.ID, repl.Kind)
				return nil
			})
		},
	}
	cmd.AddCommand(revoke, rotate)
	return cmd
}
