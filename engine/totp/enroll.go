package totp

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/ledger"
)

// EnrollOptions configure an enrolment.
type EnrollOptions struct {
	Registry *device.Registry
	Journal  engine.Journal
	Label    string // account name shown in the authenticator app
	In       io.Reader
	Out      io.Writer
	Color    bool
	Now      func() time.Time
	// Attempts is how many tries each confirmation code gets (default 3).
	Attempts int
	// ShowCard, when set, shows the new secret (the CLI lays it out on the
	// terminal's alternate screen); nil prints Card.Text to Out.
	ShowCard func(Card)
}

// Card is what the owner needs to add the secret to an authenticator: the
// QR code, the otpauth:// URI it encodes, and the secret as text.
type Card struct {
	QR     string // the QR code drawn in text (QR)
	URI    string // the otpauth:// URI
	Secret string // base32, in blocks of four
}

// NoPhoneHint says how to get codes without a phone.
const NoPhoneHint = "No phone? Any RFC 6238 tool gives the same codes, for example:\n  oathtool --totp -b SECRET\n(the secret without its spaces; keep it out of your shell history)"

// Lines is the card's text beside the QR code, wrapped to w cells (41
// at least: the secret's line).
func (c Card) Lines(w int) []string {
	w = max(41, w)
	var out []string
	add := func(s string) {
		for _, para := range strings.Split(s, "\n") {
			if strings.HasPrefix(para, "  ") {
				out = append(out, para) // a command: never broken
				continue
			}
			out = append(out, wrap(para, w)...)
		}
	}
	add("Scan the QR code with your authenticator app, or add the secret by hand:")
	out = append(out, "", "  secret (SHA1, 6 digits, 30 s):", "  "+c.Secret, "")
	add(NoPhoneHint)
	out = append(out, "")
	add("This secret is shown only now. Confirm it with two consecutive codes.")
	return out
}

// Text is the card as printed in a plain stream: the QR code, the URI,
// the secret and the hints.
func (c Card) Text() string {
	return fmt.Sprintf("Scan this with your authenticator app:\n\n%s\nor add it by hand:\n  uri:    %s\n  secret: %s  (SHA1, 6 digits, 30 s)\n\n%s\n\nThis secret is shown only now. Confirm it with two consecutive codes.\n",
		c.QR, c.URI, c.Secret, NoPhoneHint)
}

// wrap breaks s at spaces into lines of at most w bytes.
func wrap(s string, w int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > w {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(out, line)
}

// ErrEnrollAborted reports an enrolment that stored nothing.
var ErrEnrollAborted = errors.New("enrolment aborted: nothing was stored")

// URI returns the otpauth:// URI authenticator apps import. Labels longer
// than 32 bytes are cut so the code stays scannable in a small terminal.
func URI(label string, secret []byte) string {
	if len(label) > 32 {
		label = label[:32]
	}
	// SHA1, 6 digits and 30 s are every app's defaults; leaving them out
	// keeps the QR code small enough for an 80x24 terminal.
	v := url.Values{}
	v.Set("secret", EncodeSecret(secret))
	v.Set("issuer", "Ony")
	return "otpauth://totp/" + url.PathEscape("Ony:"+label) + "?" + v.Encode()
}

// Enroll creates a TOTP secret, shows it as a QR code, an otpauth:// URI and
// base32 text, and asks for two consecutive codes. Only when both match is
// the secret stored (0600, as a device) and the enrolment recorded; an
// earlier TOTP device is revoked, so re-enrolment replaces it. The secret is
// never shown again.
func Enroll(ctx context.Context, o EnrollOptions) (device.Device, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Label == "" {
		o.Label = "console"
	}
	secret := make([]byte, SecretSize)
	if _, err := rand.Read(secret); err != nil {
		return device.Device{}, fmt.Errorf("generating secret: %w", err)
	}
	uri := URI(o.Label, secret)
	art, err := QR(uri, o.Color)
	if err != nil {
		return device.Device{}, err
	}
	card := Card{QR: art, URI: uri, Secret: groups(EncodeSecret(secret))}
	if o.ShowCard != nil {
		o.ShowCard(card)
	} else {
		fmt.Fprint(o.Out, card.Text())
	}

	in := bufio.NewReader(o.In)
	first, err := confirm(in, o, secret, 0, "Code now shown in the app: ")
	if err != nil {
		return device.Device{}, err
	}
	second, err := confirm(in, o, secret, first, "Next code (wait for it to change): ")
	if err != nil {
		return device.Device{}, err
	}
	if second != first+1 {
		return device.Device{}, fmt.Errorf("the two codes were not consecutive: %w", ErrEnrollAborted)
	}
	var replaced []device.Device
	if ds, err := o.Registry.List(); err == nil {
		for _, d := range ds {
			if d.Kind == device.KindTOTP && d.Active() {
				replaced = append(replaced, d)
			}
		}
	}
	d, err := o.Registry.CreateWithSecret(device.KindTOTP, o.Label, secret)
	if err != nil {
		return device.Device{}, err
	}
	if _, err := o.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceEnrolled, DeviceID: d.ID,
		Step: second, Factors: []string{"totp"}, Detail: "totp device enrolled: " + o.Label}); err != nil {
		return d, fmt.Errorf("device %s stored, but recording the enrolment failed: %w", d.ID, err)
	}
	for _, old := range replaced {
		if _, err := o.Registry.Revoke(old.ID); err != nil {
			return d, fmt.Errorf("revoking the previous totp device %s: %w", old.ID, err)
		}
		if _, err := o.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceRevoked, DeviceID: old.ID,
			Detail: "replaced by re-enrolment as " + d.ID}); err != nil {
			return d, fmt.Errorf("recording the revocation of %s: %w", old.ID, err)
		}
	}
	fmt.Fprintf(o.Out, "Enrolled %s. Critical actions now need a code from this app.\n", d.ID)
	return d, nil
}

// confirm reads codes until one matches a step after last.
func confirm(in *bufio.Reader, o EnrollOptions, secret []byte, last uint64, prompt string) (uint64, error) {
	enc := EncodeSecret(secret)
	for i := 0; i < o.Attempts; i++ {
		fmt.Fprint(o.Out, prompt)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return 0, fmt.Errorf("reading the code: %v: %w", err, ErrEnrollAborted)
		}
		code, ferr := Normalize(line)
		if ferr != nil {
			fmt.Fprintln(o.Out, "  that is not 6 digits; try again")
			continue
		}
		now := o.Now()
		if step, ok := match(code, enc, now, last); ok {
			return step, nil
		}
		if used := usedError(code, enc, now, last); used != nil {
			fmt.Fprintf(o.Out, "  %s\n", used)
			continue
		}
		fmt.Fprintln(o.Out, "  that code does not match; check the app and the clock, and try again")
	}
	return 0, fmt.Errorf("no matching code after %d tries: %w", o.Attempts, ErrEnrollAborted)
}

// groups splits s into blocks of four for reading aloud or typing.
func groups(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}
