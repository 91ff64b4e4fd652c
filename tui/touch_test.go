package tui

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// fakeCard is an enrolled YubiKey for console tests: a software key that
// signs at once, or fails as told. engine/yubikey is tested against a
// virtual card through pcscd, and the whole chain in tui/e2e.
type fakeCard struct {
	priv *ecdsa.PrivateKey
	dev  device.Device
	mu   sync.Mutex
	err  error // the next signature fails with this
	hold chan struct{}
	pin  string
}

func newFakeCard(t testing.TB, reg *device.Registry, pinPolicy string) *fakeCard {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d, err := reg.CreateYubiKey("desk key", &priv.PublicKey, device.YubiKey{Serial: 12345678, Slot: "9c", Firmware: "5.7.2",
		PINPolicy: pinPolicy, TouchPolicy: "always", AttestationCert: "MIIB", SlotCert: "MIIC"})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeCard{priv: priv, dev: d}
}

func (c *fakeCard) CardSigner(_ context.Context, devs []device.Device, pin string) (engine.TouchSigner, error) {
	c.mu.Lock()
	c.pin = pin
	c.mu.Unlock()
	s, err := verdict.NewECDSASigner(c.dev.ID, c)
	return cardSigner{s}, err
}

type cardSigner struct{ *verdict.ECDSASigner }

func (cardSigner) Serial() uint32 { return 12345678 }

func (c *fakeCard) Public() crypto.PublicKey { return &c.priv.PublicKey }

func (c *fakeCard) Sign(r io.Reader, d []byte, _ crypto.SignerOpts) ([]byte, error) {
	c.mu.Lock()
	err, hold := c.err, c.hold
	c.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if err != nil {
		return nil, err
	}
	return ecdsa.SignASN1(r, c.priv, d)
}

func (c *fakeCard) fail(err error) { c.mu.Lock(); c.err = err; c.mu.Unlock() }

func oneTouch(t *testing.T, o fixtureOpts, s spec) (*fixture, string) {
	t.Helper()
	f := newFixture(t, o)
	f.size(100, 30)
	id := f.submit(s)
	f.refresh()
	return f, id
}

func TestYHiddenWithoutAYubiKey(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{}, highSpec())
	if s := f.screen(); strings.Contains(s, "YubiKey touch") || strings.Contains(s, "touch required") {
		t.Fatalf("Y offered without a key:\n%s", s)
	}
	f.key("Y")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "no YubiKey is enrolled") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
}

func TestYApprovesWithATouch(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "never"}, highSpec())
	s := f.screen()
	if !strings.Contains(s, "Y YubiKey touch") || !strings.Contains(s, "YubiKey enrolled · touch not required") {
		t.Fatalf("footer or header:\n%s", s)
	}
	f.key("?")
	if !strings.Contains(f.screen(), "YubiKey touch") {
		t.Fatalf("help:\n%s", f.screen())
	}
	f.key("?")
	cmd := f.apply(keyPress("Y")) // the card waits: keep the command
	if s := f.screen(); !strings.Contains(s, "Touch your YubiKey (serial 12345678) · 15 s") {
		t.Fatalf("no touch prompt:\n%s", s)
	}
	f.clk.Add(3 * time.Second)
	f.apply(clockMsg(f.clk.Now()))
	if s := f.screen(); !strings.Contains(s, "· 12 s") {
		t.Fatalf("no countdown:\n%s", s)
	}
	f.key("A") // the dialog holds every key but D and K
	for _, msg := range f.run(cmd) {
		f.send(msg)
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v", v)
	}
	if s := f.screen(); !strings.Contains(s, "approved ✓ with a YubiKey touch: Force-push to main") || strings.Contains(s, "Touch your YubiKey") {
		t.Fatalf("after the touch:\n%s", s)
	}
	for _, r := range f.j.Records() {
		if r.RequestID == id && r.Kind == ledger.KindVerdict && (r.DeviceID != f.card.dev.ID || !slices.Equal(r.Factors, []string{"yubikey"})) {
			t.Fatalf("verdict entry %+v", r)
		}
	}
}

// A touch that does not come leaves the request waiting and says so.
func TestYTouchTimeoutKeepsTheRequest(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "never"}, highSpec())
	f.card.fail(errors.New("the YubiKey was not touched in time: try again, and touch it while it blinks"))
	f.key("Y")
	undecided(t, f, id)
	s := f.screen()
	if !strings.Contains(s, "not touched in time") || !strings.Contains(s, "still waits") || strings.Contains(s, "Touch your YubiKey") {
		t.Fatalf("after the timeout:\n%s", s)
	}
	if f.m.inflight != "" {
		t.Fatal("the console still thinks a decision runs")
	}
	f.card.fail(nil)
	f.key("Y")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("second try: %v", v)
	}
}

func TestYCriticalAsksTheCodeThenTheTouch(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "never"}, critSpec())
	f.key("Y")
	if !f.m.touchDlg.open || f.m.touchDlg.phase != touchCode || !strings.Contains(f.screen(), "Type the code from your authenticator app") {
		t.Fatalf("no code prompt:\n%s", f.screen())
	}
	f.typeText("12")
	f.key("enter")
	if !strings.Contains(f.screen(), "a code is 6 digits") {
		t.Fatalf("short code:\n%s", f.screen())
	}
	f.key("ctrl+u")
	f.typeText(wrongCode(f.code()))
	f.key("enter")
	if !strings.Contains(f.screen(), "wrong code") || f.m.touchDlg.phase != touchCode {
		t.Fatalf("wrong code:\n%s", f.screen())
	}
	undecided(t, f, id)
	f.typeText(f.code())
	f.key("enter")
	for _, r := range f.j.Records() {
		if r.RequestID == id && r.Kind == ledger.KindVerdict && !slices.Equal(r.Factors, []string{"yubikey", "totp"}) {
			t.Fatalf("verdict entry %+v", r)
		}
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v", v)
	}
}

func TestYAsksThePINForAPINOnceKey(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "once"}, highSpec())
	f.key("Y")
	if f.m.touchDlg.phase != touchPIN || !strings.Contains(f.screen(), "PIN: ") {
		t.Fatalf("no PIN prompt:\n%s", f.screen())
	}
	f.typeText("654321")
	if strings.Contains(f.screen(), "654321") {
		t.Fatal("the PIN is shown")
	}
	f.key("enter")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v", v)
	}
	if f.card.pin != "654321" || f.m.touchDlg.input.Value() != "" {
		t.Fatalf("pin %q reached the card; dialog keeps %q", f.card.pin, f.m.touchDlg.input.Value())
	}
}

// With approvals.require_touch, A refuses at once and says to press Y.
func TestRequireTouchRefusesA(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "never", requireTouch: risk.High}, highSpec())
	if !strings.Contains(f.screen(), "touch required: high and critical") {
		t.Fatalf("header:\n%s", f.screen())
	}
	f.key("A")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "needs a YubiKey touch") {
		t.Fatalf("no refusal:\n%s", f.screen())
	}
	// The engine refuses too, whatever the console shows.
	if err := f.eng.Decide(context.Background(), id, engine.Approval{Approve: true}); !errors.Is(err, engine.ErrTouchRequired) {
		t.Fatalf("engine: %v", err)
	}
	f.key("D")
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("deny: %v", v)
	}
}

// D while the card waits denies as soon as it returns.
func TestDWhileTheCardWaitsDenies(t *testing.T) {
	f, id := oneTouch(t, fixtureOpts{yubikey: "never"}, highSpec())
	hold := make(chan struct{})
	f.card.mu.Lock()
	f.card.hold = hold
	f.card.mu.Unlock()
	cmd := f.apply(keyPress("Y"))
	done := make(chan []tea.Msg, 1)
	go func() { done <- runAll(cmd) }()
	deadline := time.Now().Add(5 * time.Second)
	for !touching(f, id) {
		if time.Now().After(deadline) {
			t.Fatal("the card was never asked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.key("D")
	close(hold)
	for _, msg := range <-done {
		f.send(msg)
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v", v)
	}
	if f.m.touchDlg.open {
		t.Fatal("the dialog stayed open")
	}
}

// runAll runs cmd and the commands of a batch, at the same time (one of
// them may wait for the card), and returns their messages.
func runAll(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	b, ok := msg.(tea.BatchMsg)
	if !ok {
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	}
	out := make([][]tea.Msg, len(b))
	var wg sync.WaitGroup
	for i, c := range b {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = runAll(c) }()
	}
	wg.Wait()
	var all []tea.Msg
	for _, o := range out {
		all = append(all, o...)
	}
	return all
}

func touching(f *fixture, id string) bool {
	for _, r := range f.eng.Snapshot().Pending {
		if r.ID == id {
			return r.Touching
		}
	}
	return false
}

// While touch is required, K then y does not release the kill switch by
// itself: the dialog says a touch is needed, a touch that fails leaves the
// switch engaged and says why, and a touch releases it.
func TestReleaseWhileTouchIsRequired(t *testing.T) {
	f := newFixture(t, fixtureOpts{yubikey: "never", requireTouch: risk.High})
	f.size(100, 30)
	f.refresh()
	f.key("K")
	f.key("K")
	if s := f.screen(); !strings.Contains(s, "Release the kill switch?") || !strings.Contains(s, "Touch is required: releasing needs a touch") {
		t.Fatalf("the dialog does not say a touch is needed:\n%s", s)
	}
	f.card.fail(errors.New("the YubiKey was not touched in time: try again, and touch it while it blinks"))
	f.key("y")
	if !f.eng.KillSwitch() {
		t.Fatal("released without a touch")
	}
	if s := f.screen(); !strings.Contains(s, "kill switch still engaged") || !strings.Contains(s, "not touched in time") {
		t.Fatalf("after the failed touch:\n%s", s)
	}
	f.card.fail(nil)
	f.key("K")
	f.key("y")
	if f.eng.KillSwitch() {
		t.Fatalf("a touch did not release it:\n%s", f.screen())
	}
}
