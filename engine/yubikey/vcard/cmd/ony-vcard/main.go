// Command ony-vcard is a virtual YubiKey for trying Ony's YubiKey channel
// without hardware. It plugs a virtual PIV card (package vcard) into pcscd
// through vsmartcard-vpcd; you "touch" it by pressing Enter in its terminal.
//
//	ony-vcard                    # the card, in reader 127.0.0.1:35963 (Debian's vpcd)
//	ony-vcard --own-pcscd        # start a private pcscd too (root), and print the line to export
//	ony-vcard enroll --home DIR  # enrol it into an Ony home (trusting its test CA)
//
// ony-tui itself refuses to enrol this card: its attestation chains to a
// test CA, not to Yubico. `ony-vcard enroll` runs the same enrolment
// trusting that CA, and records it in the ledger as a virtual card.
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard/enrol"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "enroll" {
		os.Exit(enrollMain(os.Args[2:]))
	}
	os.Exit(runMain(os.Args[1:]))
}

func defaultState() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ony-vcard")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "state", "ony-vcard")
}

func runMain(args []string) int {
	fl := flag.NewFlagSet("ony-vcard", flag.ContinueOnError)
	reader := fl.String("reader", "127.0.0.1:35963", "the vpcd reader to plug into (Debian's vsmartcard-vpcd listens here)")
	state := fl.String("state", defaultState(), "where the card keeps its keys and test CA between runs")
	serial := fl.Uint("serial", 12345678, "serial number of a new card")
	timeout := fl.Duration("touch-timeout", 15*time.Second, "how long a signature waits for Enter")
	own := fl.Bool("own-pcscd", false, "start a private pcscd (needs root) instead of using the system's")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if err := os.MkdirAll(*state, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if *own {
		dir, err := os.MkdirTemp("", "ony-vcard-pcscd")
		if err != nil {
			fmt.Fprintln(os.Stderr, "ony-vcard:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		p, err := vcard.StartPCSCD(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ony-vcard:", err)
			return 1
		}
		defer p.Stop()
		*reader = p.ReaderAddr(0)
		fmt.Printf("A private pcscd runs for this card. In the shells where you run ony-tui:\n\n  export %s\n\n", p.Env())
	}
	touchAsked := make(chan struct{}, 1)
	statePath := filepath.Join(*state, "card.json")
	var card *vcard.Card
	cfg := vcard.Config{Serial: uint32(*serial), TouchTimeout: *timeout,
		OnTouchRequest: func() {
			select {
			case touchAsked <- struct{}{}:
			default:
			}
		},
		OnChange: func() { save(card, statePath) }}
	card, err := load(statePath, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard:", err)
		return 1
	}
	save(card, statePath)
	if err := os.WriteFile(filepath.Join(*state, "ca.pem"), card.CA().CertPEM(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard:", err)
		return 1
	}
	fmt.Printf("Virtual YubiKey serial %d (state in %s). Plugging it into %s…\n", card.Serial(), *state, *reader)
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	in, err := card.Insert(ictx, *reader)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard:", err)
		fmt.Fprintln(os.Stderr, "ony-vcard: hint: install pcscd and vsmartcard-vpcd and start pcscd (sudo systemctl restart pcscd), or run with --own-pcscd as root")
		return 1
	}
	defer in.Remove()
	fmt.Printf("Inserted. Enrol it with:\n\n  ony-vcard enroll --home <ony home>   (ony-tui enroll yubikey refuses it: its attestation is not Yubico's)\n\n")
	fmt.Println("When it asks for a touch, press Enter here. Ctrl-C pulls it out.")
	lines := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- struct{}{}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nPulled out.")
			return 0
		case <-in.Done():
			fmt.Fprintln(os.Stderr, "ony-vcard: the reader dropped the card (pcscd stopped?)")
			return 1
		case <-touchAsked:
			fmt.Printf("\a* Touch requested: press Enter within %s to touch, or let it time out to refuse.\n", *timeout)
		case <-lines:
			if card.Touch() {
				fmt.Println("  touched.")
			} else {
				fmt.Println("  (nothing asked for a touch)")
			}
		}
	}
}

func load(path string, cfg vcard.Config) (*vcard.Card, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return vcard.New(cfg)
	}
	if err != nil {
		return nil, err
	}
	return vcard.Restore(b, cfg)
}

func save(c *vcard.Card, path string) {
	if c == nil {
		return
	}
	b, err := c.Save()
	if err == nil {
		err = os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard: saving the card:", err)
	}
}

func enrollMain(args []string) int {
	fl := flag.NewFlagSet("ony-vcard enroll", flag.ContinueOnError)
	home := fl.String("home", os.Getenv("ONY_HOME"), "the Ony home to enrol into (as ony-tui --home)")
	state := fl.String("state", defaultState(), "the running card's state directory (for its test CA)")
	slotS := fl.String("slot", "9c", "PIV slot: 9c or 82..95")
	label := fl.String("label", "", "device label")
	pinPolicy := fl.String("pin-policy", "never", "never or once")
	force := fl.Bool("force", false, "destroy a key already in the slot (asks to type a confirmation)")
	serial := fl.Uint("serial", 0, "the card to use, when several are inserted")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *home == "" {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll: --home is required (the same home ony-tui uses; ONY_HOME works too)")
		return 2
	}
	b, err := os.ReadFile(filepath.Join(*state, "ca.pem"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll: reading the card's test CA (is ony-vcard running with this --state?):", err)
		return 1
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll: ca.pem holds no certificate")
		return 1
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll:", err)
		return 1
	}
	slot, err := yubikey.ParseSlot(*slotS)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll:", err)
		return 2
	}
	pol, err := yubikey.ParsePINPolicy(*pinPolicy)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll:", err)
		return 2
	}
	d, err := enrol.Into(context.Background(), enrol.Options{Home: *home, CA: ca, Prompt: prompt{}, Slot: slot, Serial: uint32(*serial),
		PINPolicy: pol, Force: *force, Label: *label})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ony-vcard enroll:", err)
		return 1
	}
	fmt.Printf("Enrolled %s (%s). In the console (ony-tui --home %s), Y approves with a touch: press Enter in the ony-vcard terminal.\n", d.ID, d.Label, *home)
	return 0
}

// prompt asks at this terminal.
type prompt struct{}

func readLine() string {
	s, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimSpace(s)
}

func (prompt) ChooseCard(cards []yubikey.Card) (yubikey.Card, error) {
	for i, c := range cards {
		fmt.Printf("  %d) %s\n", i+1, c)
	}
	fmt.Print("Which one? ")
	n, err := strconv.Atoi(readLine())
	if err != nil || n < 1 || n > len(cards) {
		return yubikey.Card{}, errors.New("no such card")
	}
	return cards[n-1], nil
}

func (prompt) ManagementKey(yubikey.Card) (string, error) {
	fmt.Print("Management key (hex), or Enter for the PIN: ")
	return readLine(), nil
}

func (prompt) PIN(c yubikey.Card, why string) (string, error) {
	fmt.Printf("PIN of card %d (%s; the virtual card's PIN is %s): ", c.Serial, why, vcard.DefaultPIN)
	return readLine(), nil
}

func (prompt) Confirm(what, phrase string) (bool, error) {
	fmt.Printf("%s\nType %q to go on: ", what, phrase)
	return readLine() == phrase, nil
}

func (prompt) Touch(c yubikey.Card, why string) {
	fmt.Printf("Touch the virtual card %d %s: press Enter in the ony-vcard terminal.\n", c.Serial, why)
}

func (prompt) Say(msg string) { fmt.Println(msg) }
