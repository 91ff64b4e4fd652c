package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/device"
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
again replaces the previous app. The secret is never shown again: it is
shown on the terminal's alternate screen, which is cleared when enrolment
ends, so it does not stay in the scrollback.

No phone? Any RFC 6238 tool gives the same codes, for example
oathtool --totp -b SECRET.`,
		Example: `  ony-tui enroll totp
  ony-tui enroll totp --label "alice's phone"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				if label == "" {
					label = hostLabel()
				}
				var d device.Device
				var alt bool
				err := g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), "enrol an authenticator app (replacing the current one)", func() error {
					o := totp.EnrollOptions{Registry: t.devices, Journal: t.journal, Label: label, In: stdin, Out: stdout, Color: useColor()}
					var err error
					d, alt, err = enrollOnAltScreen(cmd.Context(), o, stdout)
					return err
				})
				switch {
				case errors.Is(err, totp.ErrEnrollAborted):
					return fmt.Errorf("%w\nhint: check that the phone's clock is right and type the code the app shows now", err)
				case err != nil:
					return err
				}
				if alt { // what Enroll printed went with the alternate screen
					fmt.Fprintf(stdout, "Enrolled %s (%s). Critical actions now need a code from this app.\n", d.ID, label)
				}
				return nil
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

// Alternate screen: what is shown there is gone from the terminal (and its
// scrollback) once it is left.
const (
	enterAltScreen = "\x1b[?1049h\x1b[H\x1b[2J"
	leaveAltScreen = "\x1b[?1049l"
)

// enrollOnAltScreen runs the enrolment on the terminal's alternate screen,
// so the secret does not stay in the scrollback; with room, the card's
// text sits beside the QR code. Interrupted (Ctrl-C), it leaves the screen
// and stores nothing.
func enrollOnAltScreen(ctx context.Context, o totp.EnrollOptions, stdout io.Writer) (_ device.Device, alt bool, _ error) {
	w, h := 0, 0
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(f.Fd()) {
		w, h, _ = term.GetSize(f.Fd())
	}
	if w > 0 {
		alt = true
		fmt.Fprint(stdout, enterAltScreen)
		defer fmt.Fprint(stdout, leaveAltScreen)
		o.ShowCard = func(c totp.Card) { fmt.Fprint(stdout, cardLayout(c, w, h)) }
	}
	type result struct {
		d   device.Device
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := totp.Enroll(ctx, o)
		done <- result{d, err}
	}()
	select {
	case r := <-done:
		return r.d, alt, r.err
	case <-ctx.Done():
		// Enroll waits on a read; it stores nothing before both codes.
		select {
		case r := <-done:
			return r.d, alt, r.err
		case <-time.After(time.Second):
			return device.Device{}, alt, fmt.Errorf("interrupted: %w", totp.ErrEnrollAborted)
		}
	}
}

// cardLayout lays the card out for a w×h terminal: the QR code on the
// left and the text on its right when both fit (so an 80x24 terminal shows
// it all), one under the other otherwise.
func cardLayout(c totp.Card, w, h int) string {
	qr := strings.Split(strings.TrimRight(c.QR, "\n"), "\n")
	qrW := ansi.StringWidth(qr[0])
	textW := w - qrW - 2
	if textW < 41 || h < len(qr)+3 {
		return c.Text()
	}
	text := c.Lines(textW)
	var b strings.Builder
	for i := 0; i < max(len(qr), len(text)); i++ {
		left := strings.Repeat(" ", qrW)
		if i < len(qr) {
			left = qr[i]
		}
		right := ""
		if i < len(text) {
			right = text[i]
		}
		b.WriteString(strings.TrimRight(left+"  "+right, " ") + "\n")
	}
	if h >= len(qr)+6 {
		fmt.Fprintf(&b, "uri: %s\n", c.URI)
	}
	return b.String()
}
