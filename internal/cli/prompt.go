package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/engine/yubikey"
)

// termPrompt asks questions at the terminal. It reads stdin a byte at a
// time, so it never takes input meant for whoever reads next, and hides
// what is typed for secrets (PIN, management key).
type termPrompt struct {
	in  io.Reader
	out io.Writer
}

var _ yubikey.Prompter = (*termPrompt)(nil)

func newTermPrompt(in io.Reader, out io.Writer) *termPrompt { return &termPrompt{in: in, out: out} }

// line reads one line.
func (p *termPrompt) line(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := p.in.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				return strings.TrimRight(string(b), "\r"), nil
			}
			b = append(b, one[0])
			if len(b) > 4096 {
				return "", errors.New("input line too long")
			}
		}
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return string(b), nil
			}
			return "", fmt.Errorf("reading an answer: %w", err)
		}
	}
}

// secret reads a line without echo when stdin is a terminal.
func (p *termPrompt) secret(prompt string) (string, error) {
	if f, ok := p.in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		fmt.Fprint(p.out, prompt)
		b, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(p.out)
		if err != nil {
			return "", fmt.Errorf("reading an answer: %w", err)
		}
		return string(b), nil
	}
	return p.line(prompt)
}

// ChooseCard implements yubikey.Prompter.
func (p *termPrompt) ChooseCard(cards []yubikey.Card) (yubikey.Card, error) {
	fmt.Fprintln(p.out, "Several YubiKeys are inserted:")
	for i, c := range cards {
		fmt.Fprintf(p.out, "  %d) %s\n", i+1, c)
	}
	a, err := p.line(fmt.Sprintf("Which one (1-%d)? ", len(cards)))
	if err != nil {
		return yubikey.Card{}, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || n < 1 || n > len(cards) {
		return yubikey.Card{}, fmt.Errorf("%w: %q is not one of 1-%d (or pass --serial)", yubikey.ErrAborted, a, len(cards))
	}
	return cards[n-1], nil
}

// ManagementKey implements yubikey.Prompter.
func (p *termPrompt) ManagementKey(c yubikey.Card) (string, error) {
	fmt.Fprintf(p.out, "YubiKey %d does not use the factory management key.\n", c.Serial)
	return p.secret("Its management key (hex), or Enter if it is protected by the PIN: ")
}

// PIN implements yubikey.Prompter.
func (p *termPrompt) PIN(c yubikey.Card, why string) (string, error) {
	return p.secret(fmt.Sprintf("PIN of YubiKey %d (%s): ", c.Serial, why))
}

// Confirm implements yubikey.Prompter.
func (p *termPrompt) Confirm(what, phrase string) (bool, error) {
	fmt.Fprintln(p.out, what)
	a, err := p.line(fmt.Sprintf("Type %q to go on, anything else stops: ", phrase))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(a) == phrase, nil
}

// Touch implements yubikey.Prompter.
func (p *termPrompt) Touch(c yubikey.Card, why string) {
	fmt.Fprintf(p.out, "Touch your YubiKey (serial %d) now, %s: it blinks for %s.\n", c.Serial, why, yubikey.TouchTimeout)
}

// Say implements yubikey.Prompter.
func (p *termPrompt) Say(msg string) { fmt.Fprintln(p.out, msg) }
