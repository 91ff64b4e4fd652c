package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/app"
)

func newEnrollCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Enrol an approval device",
	}
	var label string
	totpCmd := &cobra.Command{
		Use:   "totp",
		Short: "Enrol an authenticator app for the 6-digit code critical actions need",
		Long: `Creates a TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s, 160 bits), shows it as
a QR code, an otpauth:// URI and base32 text, then asks for two consecutive
codes. Only then is it stored (0600) and the enrolment recorded. Enrolling
again replaces the previous app. The secret is never shown again.`,
		Example: `  ony-tui enroll totp
  ony-tui enroll totp --label "alice's phone"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				if label == "" {
					label = hostLabel()
				}
				err := g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), "enrol an authenticator app (replacing the current one)", func() error {
					_, err := totp.Enroll(cmd.Context(), totp.EnrollOptions{Registry: t.devices, Journal: t.journal,
						Label: label, In: stdin, Out: stdout, Color: useColor()})
					return err
				})
				if errors.Is(err, totp.ErrEnrollAborted) {
					return fmt.Errorf("%w\nhint: check that the phone's clock is right and type the code the app shows now", err)
				}
				return err
			})
		},
	}
	totpCmd.Flags().StringVar(&label, "label", "", "name shown in the authenticator app (default user@host)")
	cmd.AddCommand(totpCmd, newEnrollYubiKeyCmd(g, stdin, stdout), newEnrollPhoneCmd(g, stdin, stdout))
	return cmd
}

func newUnlockCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock",
		Short: "Reopen the 6-digit code path after it locked",
		Long: `After 10 wrong codes in an hour Ony stops accepting codes. Unlocking needs
the cool-down (15 minutes) to have passed and a valid code.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				v := totp.New(t.devices, app.CodeStore{L: t.ledger}, t.journal, nil)
				fmt.Fprint(stdout, "Code from your authenticator app: ")
				var line string
				if _, err := fmt.Fscanln(stdin, &line); err != nil {
					return fmt.Errorf("reading the code: %w", err)
				}
				if err := v.Unlock(cmd.Context(), line); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "Unlocked: codes are accepted again.")
				return nil
			})
		},
	}
}
