package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard/enrol"
	"github.com/ony-dev/ony-tui/internal/e2e"
	"github.com/ony-dev/ony-tui/ledger"
)

// pcscd is this test binary's own pcscd (see TestMain). The console and
// its piv helpers reach it through the environment tmux gives them.
var pcscd *vcard.PCSCD

// vkey is a virtual YubiKey plugged into pcscd and enrolled in a home.
type vkey struct {
	card *vcard.Card
	in   *vcard.Inserted
	dev  device.Device
}

// plugged inserts a new virtual card into reader i.
func plugged(t *testing.T, cfg vcard.Config, reader int) (*vcard.Card, *vcard.Inserted) {
	t.Helper()
	c, err := vcard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	in, err := pcscd.Insert(ctx, c, reader)
	if err != nil {
		t.Fatalf("%v\n%s", err, pcscd.Log())
	}
	t.Cleanup(in.Remove)
	return c, in
}

// enrolled plugs a virtual card and enrols it in home, as ony-vcard enroll
// does (ony-tui itself refuses a virtual card, see
// TestYubiKeyShippedBinaryRefusesAVirtualCard).
func enrolled(t *testing.T, home string, cfg vcard.Config, reader int) *vkey {
	t.Helper()
	c, in := plugged(t, cfg, reader)
	p := &touching{card: c}
	d, err := enrol.Into(context.Background(), enrol.Options{Home: home, CA: c.CA().Cert, Prompt: p, Serial: c.Serial()})
	p.stop()
	if err != nil {
		t.Fatal(err)
	}
	return &vkey{card: c, in: in, dev: d}
}

// touching is an enrolment prompter that touches the card when asked.
type touching struct {
	card *vcard.Card
	done chan struct{}
}

func (p *touching) ChooseCard(c []yubikey.Card) (yubikey.Card, error) { return c[0], nil }
func (p *touching) ManagementKey(yubikey.Card) (string, error)        { return "", nil }
func (p *touching) PIN(yubikey.Card, string) (string, error)          { return vcard.DefaultPIN, nil }
func (p *touching) Confirm(_, phrase string) (bool, error)            { return true, nil }
func (p *touching) Say(string)                                        {}
func (p *touching) Touch(yubikey.Card, string) {
	p.done = make(chan struct{})
	go func() {
		for {
			select {
			case <-p.done:
				return
			case <-time.After(5 * time.Millisecond):
				p.card.Touch()
			}
		}
	}()
}
func (p *touching) stop() {
	if p.done != nil {
		close(p.done)
	}
}

// keyConsole starts the real console in tmux, reaching this binary's pcscd.
func keyConsole(t *testing.T, home string) *e2e.Term {
	t.Helper()
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1", pcscd.Env()}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	return tm
}

// touchWhenAsked touches the card as soon as a signature waits for it.
func touchWhenAsked(t *testing.T, c *vcard.Card) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !c.Touch() {
		if time.Now().After(deadline) {
			t.Fatal("the card was never asked for a touch")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// verdictEntry is the newest verdict entry of the ledger.
func verdictEntry(t *testing.T, home string) ledger.Entry {
	t.Helper()
	es := entries(t, home)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Kind == ledger.KindVerdict {
			return es[i]
		}
	}
	t.Fatal("no verdict entry")
	return ledger.Entry{}
}

func entries(t *testing.T, home string) []ledger.Entry {
	t.Helper()
	r, err := ledger.OpenReader(context.Background(), filepath.Join(home, "state", "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	es, err := r.Tail(context.Background(), 200)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func pendingFor(t *testing.T, ch <-chan e2e.Result, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("the hook was answered: %+v", r)
	case <-time.After(d):
	}
}

// Y, then a touch on the card: the real hook allows, with a verdict the
// card signed (ECDSA P-256), verified with the enrolled public key alone.
func TestYubiKeyTouchApproves(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5101}, 0)
	tm := keyConsole(t, home)
	if s := tm.Screen(); !strings.Contains(s, "YubiKey enrolled") || !strings.Contains(s, "Y YubiKey touch") {
		t.Fatalf("console does not offer Y:\n%s", s)
	}
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "HIGH", "./build")
	tm.Keys("Y")
	tm.WaitFor(10*time.Second, "Touch your YubiKey (serial 5101)")
	pendingFor(t, ch, 300*time.Millisecond)
	touchWhenAsked(t, k.card)
	if r := e2e.Wait(t, ch, time.Minute); !e2e.Allowed(r) {
		t.Fatalf("after the touch: %+v", r)
	}
	e := verdictEntry(t, home)
	if e.DeviceID != k.dev.ID || e.Decision != "approve" || !slices.Equal(e.Factors, []string{"yubikey"}) {
		t.Fatalf("verdict entry %+v", e)
	}
	if k.dev.Alg != string(verdict.ECDSAP256SHA256) || k.card.Signatures() != 2 { // the proving touch and this one
		t.Fatalf("device %+v, %d signatures", k.dev, k.card.Signatures())
	}
	tm.WaitFor(5*time.Second, "approved ✓ with a YubiKey touch")
}

// No touch: the card gives up (0x6982), nothing is signed, the request
// still waits and the console says so; the attempt is in the ledger.
func TestYubiKeyTouchTimeoutLeavesTheRequestWaiting(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5102, TouchTimeout: 1500 * time.Millisecond}, 0)
	tm := keyConsole(t, home)
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	tm.Keys("Y")
	tm.WaitFor(10*time.Second, "Touch your YubiKey")
	tm.WaitFor(10*time.Second, "not touched in time", "still waits")
	pendingFor(t, ch, 300*time.Millisecond)
	if k.card.Signatures() != 1 {
		t.Fatal("the card signed without a touch")
	}
	failed := false
	for _, e := range entries(t, home) {
		failed = failed || (e.Kind == ledger.KindTouchFailed && strings.Contains(e.Detail, "6982"))
	}
	if !failed {
		t.Fatal("no touch-failed entry with the card's status word")
	}
	tm.Keys("x", "D")
	if r := e2e.Wait(t, ch, time.Minute); e2e.Allowed(r) {
		t.Fatalf("denied: %+v", r)
	}
}

// The card pulled out: Y says what happened and what to do, the request
// still waits; put back, a touch approves.
func TestYubiKeyCardRemovedLeavesTheRequestWaiting(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5103}, 0)
	tm := keyConsole(t, home)
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	k.in.Remove()
	tm.Keys("Y")
	tm.WaitFor(10*time.Second, "no YubiKey is inserted", "still waits")
	pendingFor(t, ch, 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	in, err := pcscd.Insert(ctx, k.card, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Remove)
	tm.Keys("x", "Y")
	touchWhenAsked(t, k.card)
	if r := e2e.Wait(t, ch, time.Minute); !e2e.Allowed(r) {
		t.Fatalf("after putting it back: %+v", r)
	}
}

// A verdict the hook receives signed by another card's key, in the name of
// the enrolled device (a rogue process answering on the socket), is
// denied by the real hook.
func TestYubiKeyVerdictSignedByAnotherCardIsDenied(t *testing.T) {
	home := e2e.NewHome(t, "")
	enrolledKey := enrolled(t, home, vcard.Config{Serial: 5104}, 0)
	other := enrolled(t, e2e.NewHome(t, ""), vcard.Config{Serial: 5105}, 1)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(l.RuntimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", l.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- rogue(ln, enrolledKey.dev, other) }()
	r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "rm -rf ./build"), time.Minute)
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if e2e.Allowed(r) || !strings.Contains(hookLog(t, home), "bad signature") {
		t.Fatalf("verdict signed by another card: %+v\nhook log: %s", r, hookLog(t, home))
	}
}

// rogue answers one hook request with an approval in the name of dev,
// signed on the other card.
func rogue(ln net.Listener, dev device.Device, other *vkey) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		return err
	}
	var req wire.Request
	if err := wire.DecodeStrict(body, &req); err != nil {
		return err
	}
	id := "req_0123456789ab"
	if err := wire.WriteFrame(c, wire.Accepted{V: wire.Version, Type: wire.TypeAccepted, RequestID: id}); err != nil {
		return err
	}
	now := time.Now()
	v := &verdict.Verdict{RequestID: id, AgentSessionID: req.Call.SessionID, Action: "fs.delete.recursive", Target: "./build",
		Risk: "high", Decision: verdict.Approve, Reason: "approved", ApproverDeviceID: dev.ID, KeyID: dev.KeyID,
		IssuedAt: verdict.At(now), ExpiresAt: verdict.At(now.Add(time.Minute)), Nonce: req.Nonce,
		RequestDigest: req.Call.DigestHex(), Factors: []string{"yubikey"}, LedgerSeq: 9}
	s, err := yubikey.NewKeys().Signer(context.Background(), []device.Device{other.dev}, "")
	if err != nil {
		return err
	}
	other.card.SetAutoTouch(true)
	sig, err := s.SignBytes(verdict.SigningBytes(v, verdict.ECDSAP256SHA256))
	if err != nil {
		return err
	}
	v.Signature = string(verdict.ECDSAP256SHA256) + ":" + hexOf(sig)
	b, err := verdict.Marshal(v)
	if err != nil {
		return err
	}
	return wire.WriteFrame(c, wire.VerdictMsg{V: wire.Version, Type: wire.TypeVerdict, Verdict: b})
}

// hookLog is the hook's diagnostics log (the harness sees only the reason).
func hookLog(t *testing.T, home string) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(home, "state", "hook.log"))
	return string(b)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// A card revoked while it waits for the touch: the card still signs, and
// the real hook denies the verdict, because it reads the registry.
func TestYubiKeyRevokedCardIsDenied(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5106}, 0)
	tm := keyConsole(t, home)
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	tm.Keys("Y")
	tm.WaitFor(10*time.Second, "Touch your YubiKey")
	reg := device.Open(filepath.Join(home, "state", "devices.json"), filepath.Join(home, "state", "keys"), nil)
	if _, err := reg.Revoke(k.dev.ID); err != nil {
		t.Fatal(err)
	}
	touchWhenAsked(t, k.card)
	r := e2e.Wait(t, ch, time.Minute)
	if e2e.Allowed(r) || !strings.Contains(hookLog(t, home), "revoked") {
		t.Fatalf("verdict of a revoked card: %+v\nhook log: %s", r, hookLog(t, home))
	}
}

// A critical request needs the 6-digit code, then the touch.
func TestYubiKeyCriticalNeedsCodeAndTouch(t *testing.T) {
	home := e2e.NewHome(t, "")
	secret, enrolStep := enroll(t, home)
	k := enrolled(t, home, vcard.Config{Serial: 5107}, 0)
	tm := keyConsole(t, home)
	ch := e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml")
	tm.WaitFor(10*time.Second, "CRIT", "production")
	tm.Keys("Y")
	tm.WaitFor(5*time.Second, "Type the code from your authenticator app")
	pendingFor(t, ch, 200*time.Millisecond)
	step := totp.Step(awayFromBoundary())
	if step <= enrolStep {
		step = enrolStep + 1
	}
	code, _ := totp.Code(secret, time.Unix(int64(step)*30, 0))
	tm.Text(code)
	tm.Keys("Enter")
	tm.WaitFor(10*time.Second, "Touch your YubiKey (serial 5107)")
	pendingFor(t, ch, 200*time.Millisecond)
	touchWhenAsked(t, k.card)
	if r := e2e.Wait(t, ch, time.Minute); !e2e.Allowed(r) {
		t.Fatalf("critical with code and touch: %+v\n%s", r, tm.Screen())
	}
	if e := verdictEntry(t, home); !slices.Equal(e.Factors, []string{"yubikey", "totp"}) || e.DeviceID != k.dev.ID {
		t.Fatalf("verdict entry %+v", e)
	}
}

// With approvals.require_touch: high, A alone is refused for a high
// request; Y and a touch approve it.
func TestYubiKeyRequireTouchRefusesTheKeypad(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5108}, 0)
	if err := os.WriteFile(filepath.Join(home, "config", "config.yaml"), []byte("approvals:\n  require_touch: high\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := keyConsole(t, home)
	tm.WaitFor(5*time.Second, "touch required: high and critical")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build", "a YubiKey touch (Y)")
	tm.Keys("A")
	tm.WaitFor(5*time.Second, "needs a YubiKey touch")
	pendingFor(t, ch, 500*time.Millisecond)
	tm.Keys("x", "Y")
	touchWhenAsked(t, k.card)
	if r := e2e.Wait(t, ch, time.Minute); !e2e.Allowed(r) {
		t.Fatalf("with a touch: %+v", r)
	}
	// doctor says so too.
	out, _, _ := run(t, "", "doctor", "--home", home)
	if !strings.Contains(out, "touch required for high and critical requests") {
		t.Fatalf("doctor:\n%s", out)
	}
}

// The shipped binary refuses to enrol a virtual card: its attestation
// chains to a test CA, and nothing lets ony-tui trust one.
func TestYubiKeyShippedBinaryRefusesAVirtualCard(t *testing.T) {
	home := e2e.NewHome(t, "")
	c, _ := plugged(t, vcard.Config{Serial: 5109}, 0)
	tm := e2e.StartTerm(t, 120, 30, []string{pcscd.Env()}, bin, "enroll", "yubikey", "--home", home)
	tm.WaitFor(20*time.Second, "does not chain to Yubico's PIV roots", "nothing was recorded")
	if _, err := os.Stat(filepath.Join(home, "state", "devices.json")); err == nil {
		b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
		if strings.Contains(string(b), `"yubikey"`) {
			t.Fatal("a refused card was registered")
		}
	}
	if c.Signatures() != 0 {
		t.Fatal("the refused key was asked for a proving touch")
	}
}

// While touch is required, turning it off on disk stops the console from
// starting; `ony-tui policy confirm` with a touch on the enrolled key lets
// it start again, and the confirmation is in the ledger.
func TestYubiKeyWeakeningNeedsATouch(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5110}, 0)
	cfg := filepath.Join(home, "config", "config.yaml")
	if err := os.WriteFile(cfg, []byte("approvals:\n  require_touch: critical\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := console(t, home) // accepts touch being turned on
	tm.WaitFor(5*time.Second, "touch required: critical")
	tm.Keys("q")
	waitExit(t, tm)

	if err := os.WriteFile(cfg, []byte("approvals:\n  require_touch: off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm = e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1", pcscd.Env()}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "require_touch turned off", "ony-tui policy confirm")
	waitExit(t, tm)

	tm = e2e.StartTerm(t, 110, 32, []string{pcscd.Env()}, bin, "policy", "confirm", "--home", home)
	tm.WaitFor(15*time.Second, "Touch your YubiKey (serial 5110) now, to confirm")
	touchWhenAsked(t, k.card)
	tm.WaitFor(10*time.Second, "Confirmed and recorded")
	confirmed := false
	for _, e := range entries(t, home) {
		confirmed = confirmed || (e.Kind == ledger.KindPolicyConfirmed && e.DeviceID == k.dev.ID && strings.Contains(e.Detail, "require_touch=off"))
	}
	if !confirmed {
		t.Fatal("no policy-confirmed entry by the key")
	}
	tm = console(t, home)
	tm.Keys("q")
	waitExit(t, tm)
}

// A console attached to an engine that runs elsewhere (`ony-tui serve`)
// approves with Y too: the enrolled keys, the touch and its outcome cross
// the console socket; the engine's process signs on the card.
func TestYubiKeyFromAnAttachedConsole(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5111, TouchTimeout: 2 * time.Second}, 0)
	e2e.StartTerm(t, 100, 10, []string{pcscd.Env()}, bin, "serve", "--home", home)
	deadline := time.Now().Add(15 * time.Second)
	for e2e.Ping(e2e.Socket(home)) != nil {
		if time.Now().After(deadline) {
			t.Fatal("ony-tui serve never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1"}, bin, "--home", home) // attaches: no pcscd needed here
	tm.WaitFor(15*time.Second, "ONY", "YubiKey enrolled", "Y YubiKey touch")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	tm.Keys("Y")
	tm.WaitFor(10*time.Second, "Touch your YubiKey (serial 5111)")
	tm.WaitFor(10*time.Second, "not touched in time", "still waits") // the engine's card gave up
	pendingFor(t, ch, 200*time.Millisecond)
	tm.Keys("x", "Y")
	touchWhenAsked(t, k.card)
	if r := e2e.Wait(t, ch, time.Minute); !e2e.Allowed(r) {
		t.Fatalf("attached console, Y and a touch: %+v", r)
	}
	tm.WaitFor(5*time.Second, "approved ✓ with a YubiKey touch")
}

// While touch is required, the cheapest call that undoes the kill switch
// (a K and a y sent to the console's terminal) must not release it: the
// release waits for a touch, a touch that never comes leaves it engaged,
// and the release entry names the card.
func TestYubiKeyKillSwitchReleaseNeedsATouch(t *testing.T) {
	home := e2e.NewHome(t, "")
	k := enrolled(t, home, vcard.Config{Serial: 5112, TouchTimeout: 2 * time.Second}, 0)
	if err := os.WriteFile(filepath.Join(home, "config", "config.yaml"), []byte("approvals:\n  require_touch: high\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := keyConsole(t, home)
	tm.WaitFor(5*time.Second, "touch required: high and critical")
	tm.Keys("K")
	tm.WaitFor(5*time.Second, "KILL SWITCH ENGAGED")

	tm.Keys("K")
	tm.WaitFor(5*time.Second, "Release the kill switch?", "needs a touch")
	tm.Keys("y")
	tm.WaitFor(5*time.Second, "touch your YubiKey to release")
	tm.WaitFor(20*time.Second, "kill switch still engaged", "was not touched in time")
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "ls -la"), time.Minute); e2e.Allowed(r) {
		t.Fatalf("allowed with the kill switch engaged: %+v", r)
	}

	tm.Keys("K")
	tm.WaitFor(5*time.Second, "Release the kill switch?")
	tm.Keys("y")
	touchWhenAsked(t, k.card)
	tm.WaitFor(15*time.Second, "kill switch released")
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "ls -la"), time.Minute); !e2e.Allowed(r) {
		t.Fatalf("denied after the release: %+v", r)
	}
	es := entries(t, home)
	var rel, failed *ledger.Entry
	for i := range es {
		switch es[i].Kind {
		case ledger.KindKillReleased:
			rel = &es[i]
		case ledger.KindTouchFailed:
			failed = &es[i]
		}
	}
	if rel == nil || rel.DeviceID != k.dev.ID || strings.Join(rel.Factors, ",") != "yubikey" || !strings.Contains(rel.Detail, "serial 5112") {
		t.Fatalf("release entry %+v", rel)
	}
	if failed == nil || failed.RequestID != "kill-switch-release" {
		t.Fatalf("the touch that never came is not recorded: %+v", failed)
	}
}
