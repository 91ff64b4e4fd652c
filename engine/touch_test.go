package engine

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// fakeCard stands in for engine/yubikey (tested against a virtual card
// through a real pcscd there): a software P-256 key whose signatures wait
// for a touch.
type fakeCard struct {
	priv    *ecdsa.PrivateKey
	dev     device.Device
	mu      sync.Mutex
	findErr error // finding the card fails with this
	signErr error // a signature fails with this, once touched
	touch   chan struct{}
	asked   chan struct{}
	pin     string
	signed  int
}

func newFakeCard(t *testing.T, f *fixture, pinPolicy string) *fakeCard {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d, err := f.reg.CreateYubiKey("desk key", &priv.PublicKey, device.YubiKey{Serial: 12345678, Slot: "9c", Firmware: "5.7.2",
		PINPolicy: pinPolicy, TouchPolicy: "always", AttestationCert: "MIIB", SlotCert: "MIIC"})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeCard{priv: priv, dev: d, touch: make(chan struct{}, 1), asked: make(chan struct{}, 1)}
}

func (c *fakeCard) CardSigner(_ context.Context, devs []device.Device, pin string) (TouchSigner, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.findErr != nil {
		return nil, c.findErr
	}
	for _, d := range devs {
		if d.ID == c.dev.ID {
			c.pin = pin
			s, err := verdict.NewECDSASigner(d.ID, c)
			return serialSigner{s}, err
		}
	}
	return nil, errors.New("not enrolled")
}

type serialSigner struct{ *verdict.ECDSASigner }

func (serialSigner) Serial() uint32 { return 12345678 }

func (c *fakeCard) Public() crypto.PublicKey { return &c.priv.PublicKey }

// Sign waits for the touch, as a key with touch policy always does.
func (c *fakeCard) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	select {
	case c.asked <- struct{}{}:
	default:
	}
	select {
	case <-c.touch:
	case <-time.After(10 * time.Second):
		return nil, errors.New("not touched")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.signErr != nil {
		return nil, c.signErr
	}
	c.signed++
	return ecdsa.SignASN1(r, c.priv, digest)
}

// touched touches the card.
func (c *fakeCard) touched() { c.touch <- struct{}{} }

// waitAsked waits until a signature waits for the touch.
func (c *fakeCard) waitAsked(t *testing.T) {
	t.Helper()
	select {
	case <-c.asked:
	case <-time.After(5 * time.Second):
		t.Fatal("the card was never asked to sign")
	}
}

func (c *fakeCard) set(findErr, signErr error) {
	c.mu.Lock()
	c.findErr, c.signErr = findErr, signErr
	c.mu.Unlock()
}

// touchFixture is an engine with a YubiKey enrolled.
func touchFixture(t *testing.T, mod func(*Options)) (*fixture, *fakeCard) {
	t.Helper()
	var card *fakeCard
	f := newFixture(t, func(o *Options) {
		if mod != nil {
			mod(o)
		}
	})
	card = newFakeCard(t, f, "never")
	f.eng.opts.Cards = card
	return f, card
}

// decideAsync runs a decision in the background, as the console's tea.Cmd
// does.
func decideAsync(f *fixture, id string, a Approval) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f.eng.Decide(context.Background(), id, a) }()
	return ch
}

func wantErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the decision never returned")
	}
	return nil
}

func (f *fixture) records(kind ledger.Kind) []ledger.Entry {
	f.j.mu.Lock()
	defer f.j.mu.Unlock()
	var out []ledger.Entry
	for _, r := range f.j.recs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func TestTouchApprovesWithAnECDSAVerdict(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	snap := f.eng.Snapshot()
	if len(snap.Pending) != 1 || !snap.Pending[0].Touching || snap.Pending[0].TouchSerial != 12345678 {
		t.Fatalf("while the card waits: %+v", snap.Pending)
	}
	if len(snap.YubiKeys) != 1 || snap.YubiKeys[0].Serial != 12345678 {
		t.Fatalf("snapshot keys %+v", snap.YubiKeys)
	}
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req) // verified with the public key alone
	if v.Decision != verdict.Approve || v.ApproverDeviceID != card.dev.ID || !strings.HasPrefix(v.Signature, "ecdsa-p256-sha256:") ||
		strings.Join(v.Factors, ",") != "yubikey" || v.Reason != "approved by owner with a YubiKey touch" {
		t.Fatalf("verdict %+v", v)
	}
	k := f.j.kinds()
	if strings.Join(kindsText(k), ",") != "request,touch-requested,verdict" || v.LedgerSeq != 2 {
		t.Fatalf("journal %v, verdict names entry %d", k, v.LedgerSeq)
	}
	if r := f.records(ledger.KindTouchRequested)[0]; r.DeviceID != card.dev.ID || r.Decision != "approve" || r.RequestDigest != req.Call.DigestHex() {
		t.Fatalf("touch-requested entry %+v", r)
	}
}

func kindsText(ks []ledger.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// A signature that fails (no touch, card pulled, ...) leaves the request
// waiting and the attempt recorded with the card's own words.
func TestTouchFailureLeavesTheRequestWaiting(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	card.set(nil, causeErr{msg: "the YubiKey was not touched in time", cause: "smart card error 6982"})
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	card.touched()
	err := wantErr(t, done)
	var te *TouchError
	if !errors.As(err, &te) || te.Denied || !strings.Contains(err.Error(), "not touched in time") {
		t.Fatalf("failed touch: %v", err)
	}
	snap := f.eng.Snapshot()
	if len(snap.Pending) != 1 || snap.Pending[0].Touching {
		t.Fatalf("after the failure: %+v", snap.Pending)
	}
	fails := f.records(ledger.KindTouchFailed)
	if len(fails) != 1 || !strings.Contains(fails[0].Detail, "not touched in time (smart card error 6982)") || fails[0].DeviceID != card.dev.ID {
		t.Fatalf("touch-failed entries %+v", fails)
	}
	if _, ok := tk.Ready(); ok {
		t.Fatal("an outcome was delivered")
	}
	// The owner tries again and touches.
	card.set(nil, nil)
	done = decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve {
		t.Fatalf("verdict %+v", v)
	}
}

type causeErr struct{ msg, cause string }

func (e causeErr) Error() string { return e.msg }
func (e causeErr) Cause() string { return e.cause }

// A missing card is found before anything is consumed: the code of a
// critical request is not spent, the request waits, the attempt is
// recorded.
func TestTouchCardMissingSpendsNothing(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, _ := f.submit(t, "deploy now")
	card.set(errors.New("no YubiKey is inserted: insert the enrolled key, then try again"), nil)
	err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey, Code: "123456"})
	var te *TouchError
	if !errors.As(err, &te) || te.Denied {
		t.Fatalf("card missing: %v", err)
	}
	if len(f.code.used) != 0 {
		t.Fatal("the code was spent although the card was missing")
	}
	if len(f.records(ledger.KindTouchFailed)) != 1 || len(f.records(ledger.KindTouchRequested)) != 0 || len(f.eng.Snapshot().Pending) != 1 {
		t.Fatalf("journal %v", f.j.kinds())
	}
}

func TestTouchCriticalNeedsTheCodeThenTheTouch(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, req := f.submit(t, "deploy now")
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey}); !errors.Is(err, ErrCodeRequired) {
		t.Fatalf("no code: %v", err)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey, Code: "000000"}); !errors.Is(err, ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	select {
	case <-card.asked:
		t.Fatal("the card was asked before the code was right")
	default:
	}
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey, Code: "123456"})
	card.waitAsked(t)
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	if strings.Join(v.Factors, ",") != "yubikey,totp" || v.Reason != "approved by owner with a YubiKey touch with a 6-digit code" {
		t.Fatalf("verdict %+v", v)
	}
	if r := f.records(ledger.KindTouchRequested)[0]; r.Step != 59426000 {
		t.Fatalf("the code's step is not recorded before the touch: %+v", r)
	}
}

// While the card waits, a deny asked for by the owner, the kill switch,
// the deadline or the hook going away wins: the signature made after it
// is thrown away and recorded so.
func TestTouchDeniesAskedForMeanwhileWin(t *testing.T) {
	for name, tc := range map[string]struct {
		during func(f *fixture, id string)
		reason string
	}{
		"owner denies": {func(f *fixture, id string) {
			if err := f.eng.Decide(context.Background(), id, Approval{Approve: false}); err != nil {
				panic(err)
			}
		}, ReasonDenied},
		"kill switch":  {func(f *fixture, _ string) { _ = f.eng.EngageKillSwitch(context.Background()) }, ReasonKillSwitch},
		"hook gone":    {func(f *fixture, id string) { f.eng.Abandon(id) }, ReasonHookGone},
		"console stop": {func(f *fixture, _ string) { f.eng.Close(context.Background()) }, ReasonStopped},
	} {
		t.Run(name, func(t *testing.T) {
			f, card := touchFixture(t, nil)
			tk, req := f.submit(t, "push --force")
			done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
			card.waitAsked(t)
			tc.during(f, tk.RequestID)
			if _, ok := tk.Ready(); ok {
				t.Fatal("decided before the card returned")
			}
			card.touched()
			err := wantErr(t, done)
			var te *TouchError
			if !errors.As(err, &te) || !te.Denied {
				t.Fatalf("decision: %v", err)
			}
			v := f.outcome(t, tk, req)
			if v.Decision != verdict.Deny || v.Reason != tc.reason {
				t.Fatalf("verdict %+v, want deny %q", v, tc.reason)
			}
			if fails := f.records(ledger.KindTouchFailed); len(fails) != 1 || !strings.Contains(fails[0].Detail, "discarded") {
				t.Fatalf("touch-failed %+v", fails)
			}
			if n := len(f.records(ledger.KindVerdict)); n != 1 {
				t.Fatalf("%d verdict entries, want 1", n)
			}
		})
	}
}

func TestTouchDeadlinePassesWhileTheCardWaits(t *testing.T) {
	f, card := touchFixture(t, func(o *Options) { o.Config.Deadline = 300 * time.Millisecond })
	tk, req := f.submit(t, "push --force")
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	time.Sleep(500 * time.Millisecond) // the deadline timer fires and must wait for the card
	if _, ok := tk.Ready(); ok {
		t.Fatal("the deadline decided while the card held the request")
	}
	card.touched()
	if err := wantErr(t, done); err == nil {
		t.Fatal("approved after the deadline")
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonTimeout {
		t.Fatalf("verdict %+v", v)
	}
	// A failure after the deadline denies too: nothing is left waiting.
	f2, card2 := touchFixture(t, func(o *Options) { o.Config.Deadline = 300 * time.Millisecond })
	tk2, req2 := f2.submit(t, "push --force")
	card2.set(nil, errors.New("not touched"))
	done = decideAsync(f2, tk2.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card2.waitAsked(t)
	time.Sleep(500 * time.Millisecond)
	card2.touched()
	wantErr(t, done)
	if v := f2.outcome(t, tk2, req2); v.Decision != verdict.Deny || v.Reason != ReasonTimeout {
		t.Fatalf("verdict %+v", v)
	}
}

func TestTouchOnlyOneSignatureAtATime(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey}); !errors.Is(err, ErrTouchInProgress) {
		t.Fatalf("second Y: %v", err)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); err == nil {
		t.Fatal("the keypad approved a request the card holds")
	}
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve || card.signed != 1 {
		t.Fatalf("verdict %+v after %d signatures", v, card.signed)
	}
}

// An approval that cannot be recorded before the card is asked becomes a
// deny, and the card is never asked.
func TestTouchLedgerFailureDenies(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	f.j.setFail(errors.New("disk full"))
	err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	var te *TouchError
	if !errors.As(err, &te) || !te.Denied {
		t.Fatalf("decision: %v", err)
	}
	select {
	case <-card.asked:
		t.Fatal("the card was asked although nothing could be recorded")
	default:
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonLedgerError {
		t.Fatalf("verdict %+v", v)
	}
}

// With approvals.require_touch, the keypad alone cannot approve at or
// above the risk; a touch can, denying still works, lower risks are
// unchanged.
func TestRequireTouchRefusesTheKeypad(t *testing.T) {
	f, card := touchFixture(t, func(o *Options) { o.Config.RequireTouch = risk.High })
	if f.eng.Snapshot().RequireTouch != risk.High {
		t.Fatal("snapshot does not say touch is required")
	}
	tk, req := f.submit(t, "push --force")
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); !errors.Is(err, ErrTouchRequired) {
		t.Fatalf("keypad approval of a high request: %v", err)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Via: device.KindConsole}); !errors.Is(err, ErrTouchRequired) {
		t.Fatalf("explicit keypad approval: %v", err)
	}
	tkc, _ := f.submit(t, "deploy now")
	if err := f.eng.Decide(context.Background(), tkc.RequestID, Approval{Approve: true, Code: "123456"}); !errors.Is(err, ErrTouchRequired) {
		t.Fatalf("keypad approval of a critical request with its code: %v", err)
	}
	if len(f.code.used) != 0 {
		t.Fatal("a refused keypad approval spent the code")
	}
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey})
	card.waitAsked(t)
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve {
		t.Fatalf("verdict %+v", v)
	}
	if err := f.eng.Decide(context.Background(), tkc.RequestID, Approval{Approve: false}); err != nil {
		t.Fatalf("keypad deny: %v", err)
	}
	f.eng.opts.Config.RequireTouch = risk.Critical // as a restarted engine with the new config
	tk3, req3 := f.submit(t, "push --force")
	if err := f.eng.Decide(context.Background(), tk3.RequestID, Approval{Approve: true}); err != nil {
		t.Fatalf("high request with require_touch critical: %v", err)
	}
	f.outcome(t, tk3, req3)
}

func TestTouchPassesThePINAndNeedsAKey(t *testing.T) {
	f, card := touchFixture(t, nil)
	tk, _ := f.submit(t, "push --force")
	done := decideAsync(f, tk.RequestID, Approval{Approve: true, Via: device.KindYubiKey, PIN: "654321"})
	card.waitAsked(t)
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if card.pin != "654321" {
		t.Fatalf("pin %q did not reach the card", card.pin)
	}
	for _, r := range f.j.recs {
		if strings.Contains(r.Detail, "654321") {
			t.Fatalf("the PIN reached the ledger: %+v", r)
		}
	}
	g := newFixture(t, nil)
	g.eng.opts.Cards = card
	tk2, _ := g.submit(t, "push --force")
	if err := g.eng.Decide(context.Background(), tk2.RequestID, Approval{Approve: true, Via: device.KindYubiKey}); !errors.Is(err, ErrNoYubiKey) {
		t.Fatalf("no key enrolled: %v", err)
	}
	h := newFixture(t, nil)
	tk3, _ := h.submit(t, "push --force")
	if err := h.eng.Decide(context.Background(), tk3.RequestID, Approval{Approve: true, Via: device.KindYubiKey}); !errors.Is(err, ErrNoCardChannel) {
		t.Fatalf("no channel: %v", err)
	}
}
