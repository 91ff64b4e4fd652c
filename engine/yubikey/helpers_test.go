package yubikey

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/yubikey/internal/trust"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
)

// Every test here talks to virtual cards through a real pcscd (started
// for this test binary) and vsmartcard-vpcd, with piv-go and libpcsclite
// as in production.
var pcscd *vcard.PCSCD

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" { // this binary, run as the piv helper
		os.Exit(RunHelper(os.Stdin, os.Stdout))
	}
	os.Exit(vcard.MainWithPCSCD(m, &pcscd))
}

const helperEnv = "ONY_TEST_PIV_HELPER"

// isolatedKeys runs card work in this test binary started as the helper,
// as the console runs it in ony-tui.
func isolatedKeys() *Keys {
	return NewIsolatedKeys(Helper{Path: os.Args[0], Env: append(os.Environ(), helperEnv+"=1")})
}

// insert puts a new virtual card into reader i (0 or 1) for the test.
func insert(t testing.TB, cfg vcard.Config, reader int) (*vcard.Card, *vcard.Inserted) {
	t.Helper()
	c, err := vcard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, plug(t, c, reader)
}

// plug inserts an existing card and waits until PC/SC clients see it.
func plug(t testing.TB, c *vcard.Card, reader int) *vcard.Inserted {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	in, err := pcscd.Insert(ctx, c, reader)
	if err != nil {
		t.Fatalf("%v\npcscd log:\n%s", err, pcscd.Log())
	}
	t.Cleanup(in.Remove)
	return in
}

// waitSerial waits until a card with this serial is (or is no longer)
// visible through PC/SC: pcscd polls its readers.
func waitSerial(t testing.TB, serial uint32, present bool) {
	t.Helper()
	k := isolatedKeys() // a handle piv-go leaks while a card leaves dies with the helper
	deadline := time.Now().Add(10 * time.Second)
	for {
		cards, _ := k.Cards(context.Background())
		seen := false
		for _, c := range cards {
			seen = seen || c.Serial == serial
		}
		if seen == present {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("card %d present=%v never seen through PC/SC (cards now %v)", serial, present, cards)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// toucher touches the card whenever it asks, until stopped.
func toucher(c *vcard.Card) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				c.Touch()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// prompter answers an enrolment like a scripted person.
type prompter struct {
	t         testing.TB
	card      *vcard.Card // touched when the enrolment asks, unless noTouch
	noTouch   bool
	choose    uint32   // serial to choose among several
	mgmt      []string // answers to the management key question, in turn
	pins      []string // answers to the PIN question, in turn
	confirm   string   // what to type at a confirmation
	asked     []string // every question, in order
	said      []string
	mu        sync.Mutex
	stopTouch func()
}

func (p *prompter) ask(q string) {
	p.mu.Lock()
	p.asked = append(p.asked, q)
	p.mu.Unlock()
}

func (p *prompter) ChooseCard(cards []Card) (Card, error) {
	p.ask(fmt.Sprintf("choose among %d", len(cards)))
	for _, c := range cards {
		if c.Serial == p.choose {
			return c, nil
		}
	}
	return Card{}, errors.New("no such card")
}

func (p *prompter) ManagementKey(c Card) (string, error) {
	p.ask("management key")
	if len(p.mgmt) == 0 {
		return "", errors.New("no more management keys to try")
	}
	a := p.mgmt[0]
	p.mgmt = p.mgmt[1:]
	return a, nil
}

func (p *prompter) PIN(c Card, why string) (string, error) {
	p.ask("pin: " + why)
	if len(p.pins) == 0 {
		return "", errors.New("no PIN to give")
	}
	a := p.pins[0]
	p.pins = p.pins[1:]
	return a, nil
}

func (p *prompter) Confirm(what, phrase string) (bool, error) {
	p.ask("confirm: " + phrase + " | " + what)
	return p.confirm == phrase, nil
}

func (p *prompter) Touch(c Card, why string) {
	p.ask("touch")
	if !p.noTouch && p.card != nil && p.stopTouch == nil {
		p.stopTouch = toucher(p.card)
	}
}

func (p *prompter) Say(msg string) { p.mu.Lock(); p.said = append(p.said, msg); p.mu.Unlock() }

func (p *prompter) askedFor(prefix string) bool {
	for _, q := range p.asked {
		if strings.HasPrefix(q, prefix) {
			return true
		}
	}
	return false
}

// enroll enrols the card's key trusting its test CA.
func enroll(t testing.TB, c *vcard.Card, p *prompter, o EnrollOptions) (*Enrolled, error) {
	t.Helper()
	if p.t == nil {
		p.t = t
	}
	if p.card == nil {
		p.card = c
	}
	o.Keys, o.Prompt = NewKeys(), p
	if o.Trust.Yubico() {
		o.Trust = trust.Test(c.CA().Pool())
	}
	if o.Serial == 0 {
		o.Serial = c.Serial()
	}
	defer p.stop()
	return Enroll(context.Background(), o)
}

// stop stops touching the card.
func (p *prompter) stop() {
	if p.stopTouch != nil {
		p.stopTouch()
		p.stopTouch = func() {}
	}
}

// registered enrols a card and registers the device in a fresh registry.
func registered(t testing.TB, c *vcard.Card, o EnrollOptions) (device.Device, *device.Registry) {
	t.Helper()
	e, err := enroll(t, c, &prompter{pins: []string{vcard.DefaultPIN}}, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o700)
	reg := device.Open(dir+"/devices.json", dir+"/keys", nil)
	d, err := reg.CreateYubiKey("test key", e.Public, e.Device())
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
}

// sample is a verdict to sign.
func sample() *verdict.Verdict {
	now := time.Now()
	return &verdict.Verdict{RequestID: "req_0123456789ab", AgentSessionID: "s", Action: "git.push.force", Target: "origin main",
		Risk: "critical", Decision: verdict.Approve, Reason: "approved", IssuedAt: verdict.At(now),
		ExpiresAt: verdict.At(now.Add(time.Minute)), Nonce: strings.Repeat("ab", 16), RequestDigest: strings.Repeat("cd", 32),
		Factors: []string{"yubikey"}, LedgerSeq: 7}
}

var slot82, _ = piv.RetiredKeyManagementSlot(0x82)
