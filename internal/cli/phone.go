package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/phone"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
	"github.com/ony-dev/ony-tui/ledger"
)

// phoneFlags are enroll phone's flags; what is not given is asked for.
type phoneFlags struct {
	space, project, tokenFile, from, to, language, relayURL, label string
}

func newEnrollPhoneCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var f phoneFlags
	cmd := &cobra.Command{
		Use:   "phone",
		Short: "Enrol your phone: Ony calls it through SignalWire when nobody answers at the console",
		Long: `Asks for your SignalWire space, project id, API token (typed without echo, or
read from --token-file), the SignalWire number to call from, your own number
(E.164, like +14155550123) and the language of the voice. It checks the
credentials with SignalWire, then calls you and reads a random digit: the
enrolment finishes only when you press it. The phone then becomes a device
with its own key, revocable like the others.

The credentials are kept in a 0600 file in the keys directory and never shown,
logged or recorded. Enrolling again replaces the previous phone.`,
		Example: `  ony-tui enroll phone
  ony-tui enroll phone --space example --from +14155550100 --to +14155550123 --token-file ~/sw-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				// While touch is required, enrolling a device needs a touch first.
				return g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), "enrol a phone (replacing the current one)", func() error {
					return enrollPhone(cmd.Context(), g, t, f, stdin, stdout)
				})
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.space, "space", "", "SignalWire space (example for example.signalwire.com)")
	fl.StringVar(&f.project, "project", "", "SignalWire project id")
	fl.StringVar(&f.tokenFile, "token-file", "", "read the API token from this file instead of asking")
	fl.StringVar(&f.from, "from", "", "the SignalWire number to call from (E.164)")
	fl.StringVar(&f.to, "to", "", "your number, to be called (E.164)")
	fl.StringVar(&f.language, "language", "", "language of the voice (default en-US)")
	fl.StringVar(&f.label, "label", "", "name of the phone device (default: the masked number)")
	fl.StringVar(&f.relayURL, "relay-url", "", "RELAY endpoint, for tests (a ws:// URL only on loopback)")
	_ = fl.MarkHidden("relay-url")
	return cmd
}

// prompter asks for one line at a time.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

func (p prompter) ask(question, def string, check func(string) (string, error)) (string, error) {
	for range 3 {
		if def != "" {
			fmt.Fprintf(p.out, "%s [%s]: ", question, def)
		} else {
			fmt.Fprintf(p.out, "%s: ", question)
		}
		line, err := p.in.ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading the answer: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			line = def
		}
		v, err := check(line)
		if err == nil {
			return v, nil
		}
		fmt.Fprintf(p.out, "  %v\n", err)
	}
	return "", errors.New("no valid answer after 3 tries: nothing was enrolled")
}

func enrollPhone(ctx context.Context, g *globals, t *tools, f phoneFlags, stdin io.Reader, stdout io.Writer) error {
	p := prompter{in: bufio.NewReader(stdin), out: stdout}
	cfg, err := config.Load(t.layout.ConfigFile)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	given := func(v string, check func(string) (string, error)) (string, error) {
		if v == "" {
			return "", nil
		}
		return check(v)
	}
	var c phone.Credentials
	steps := []struct {
		flag, question, def string
		dst                 *string
		check               func(string) (string, error)
	}{
		{f.space, "SignalWire space (example for example.signalwire.com)", "", &c.Space, phone.NormalizeSpace},
		{f.project, "Project id (SignalWire's API page)", "", &c.Project, func(s string) (string, error) {
			return s, phone.Credentials{Space: "x", Project: s}.CheckProject()
		}},
	}
	for _, s := range steps {
		v, err := given(s.flag, s.check)
		if err != nil {
			return err
		}
		if v == "" {
			if v, err = p.ask(s.question, s.def, s.check); err != nil {
				return err
			}
		}
		*s.dst = v
	}
	token, err := readToken(f.tokenFile, stdout)
	if err != nil {
		return err
	}
	c.Token = phone.Secret(token)
	number := func(what string) func(string) (string, error) {
		return func(s string) (string, error) { return s, phone.CheckNumber(what, s) }
	}
	lang := func(s string) (string, error) { return s, phone.Credentials{}.CheckLanguage(s) }
	for _, s := range []struct {
		flag, question, def string
		dst                 *string
		check               func(string) (string, error)
	}{
		{f.from, "Your SignalWire number to call from (E.164, like +14155550100)", "", &c.From, number("the number to call from")},
		{f.to, "Your own number, to be called (E.164, like +14155550123)", "", &c.To, number("your number")},
		{f.language, "Language of the voice", "en-US", &c.Language, lang},
	} {
		v, err := given(s.flag, s.check)
		if err != nil {
			return err
		}
		if v == "" {
			if v, err = p.ask(s.question, s.def, s.check); err != nil {
				return err
			}
		}
		*s.dst = v
	}
	c.RelayURL = f.relayURL
	if err := c.Validate(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Checking the credentials with SignalWire…")
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err = phone.Connect(cctx, c, relay.Options{})
	cancel()
	if err != nil {
		return fmt.Errorf("%w\nhint: check the space, the project id and the token on SignalWire's API page (the token needs the Voice scope)", err)
	}
	fmt.Fprintf(stdout, "Calling %s from %s: answer, listen, and press the digit you hear.\n", c.MaskedTo(), phone.MaskNumber(c.From))
	if err := phone.Prove(ctx, c, phone.CallOptions{Ring: cfg.Phone.Ring, Journal: t.journal,
		Progress: func(s string) { fmt.Fprintf(stdout, "  … %s\n", s) }}); err != nil {
		return err
	}
	// Proved: the phone becomes a device, replacing any previous one.
	label := f.label
	if label == "" {
		label = "phone " + c.MaskedTo()
	}
	if err := revokePhones(ctx, t, "replaced by a new phone enrolment"); err != nil {
		return err
	}
	d, err := t.devices.Create(device.KindPhone, label)
	if err != nil {
		return err
	}
	c.DeviceID = d.ID
	if err := phone.SaveCredentials(t.layout.KeysDir, c); err != nil {
		_, _ = t.devices.Revoke(d.ID)
		return err
	}
	space, _ := phone.NormalizeSpace(c.Space)
	if _, err := t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceEnrolled, DeviceID: d.ID,
		Detail: fmt.Sprintf("phone device enrolled: calls %s through SignalWire space %s", c.MaskedTo(), space)}); err != nil {
		return fmt.Errorf("phone %s enrolled, but recording it failed: %w", d.ID, err)
	}
	fmt.Fprintf(stdout, "Enrolled %s: when nobody answers at the console, Ony calls %s.\n", d.ID, c.MaskedTo())
	fmt.Fprintln(stdout, "Test it any time with `ony-tui phone test`; `w` at the console hands requests to the phone at once.")
	return nil
}

// revokePhones revokes every active phone device (and records it).
func revokePhones(ctx context.Context, t *tools, why string) error {
	ds, err := t.devices.List()
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Kind != device.KindPhone || !d.Active() {
			continue
		}
		if _, err := t.devices.Revoke(d.ID); err != nil {
			return err
		}
		if _, err := t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceRevoked, DeviceID: d.ID, Detail: "phone device revoked: " + why}); err != nil {
			return fmt.Errorf("device %s revoked, but recording it failed: %w", d.ID, err)
		}
	}
	return nil
}

// readToken reads the API token from a file, or from the terminal without
// echo.
func readToken(file string, stdout io.Writer) (string, error) {
	var b []byte
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("reading the token file: %w", err)
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("the token file %s has mode %04o, others can read it: run chmod 600 %s", file, fi.Mode().Perm(), file)
		}
		if b, err = os.ReadFile(file); err != nil {
			return "", fmt.Errorf("reading the token file: %w", err)
		}
	} else {
		fmt.Fprint(stdout, "API token (not shown): ")
		var err error
		b, err = term.ReadPassword(os.Stdin.Fd())
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
	}
	tok := strings.TrimSpace(string(b))
	if err := (phone.Credentials{Token: phone.Secret(tok)}).CheckToken(); err != nil {
		return "", err
	}
	return tok, nil
}

func newPhoneCmd(g *globals, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "phone",
		Short: "The phone channel: place a test call",
	}
	test := &cobra.Command{
		Use:   "test",
		Short: "Call the enrolled phone now, to check the channel works",
		Long: `Places a call to the enrolled phone through SignalWire. It says what Ony's calls
are for and waits for any key. The call is recorded in the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				c, err := phone.LoadCredentials(t.layout.KeysDir)
				if err != nil {
					return err
				}
				cfg, err := config.Load(t.layout.ConfigFile)
				if err != nil {
					return fmt.Errorf("config: %w", err)
				}
				fmt.Fprintf(stdout, "Calling %s…\n", c.MaskedTo())
				outcome, err := phone.TestCall(cmd.Context(), c, phone.CallOptions{Ring: cfg.Phone.Ring, Journal: t.journal,
					DeviceID: c.DeviceID, Progress: func(s string) { fmt.Fprintf(stdout, "  … %s\n", s) }})
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "Test call: %s.\n", outcome)
				return nil
			})
		},
	}
	cmd.AddCommand(test)
	return cmd
}

// removePhoneCredentials deletes the SignalWire credentials of a revoked
// phone device. Credentials of a phone enrolled since (whose active device
// is not d) stay. It reports whether it removed them.
func removePhoneCredentials(t *tools, d device.Device) (bool, error) {
	c, err := phone.LoadCredentials(t.layout.KeysDir)
	switch {
	case errors.Is(err, phone.ErrNotEnrolled):
		return false, nil
	case err == nil && c.DeviceID != "" && c.DeviceID != d.ID:
		if active, aerr := phone.ActiveDevice(t.devices, c); aerr == nil && active.ID != d.ID {
			return false, nil // they belong to the phone that is active now
		}
	}
	if err := phone.RemoveCredentials(t.layout.KeysDir); err != nil {
		return false, fmt.Errorf("phone device %s revoked, but: %w", d.ID, err)
	}
	return true, nil
}
