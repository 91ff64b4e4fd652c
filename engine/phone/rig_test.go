package phone_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/phone"
	"github.com/ony-dev/ony-tui/engine/phone/relayfake"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

const (
	project = "4a3d1f2e-0000-4000-8000-00000000c0de"
	token   = "PT0123456789abcdefSECRETTOKEN"
	owner   = "+14155550123"
	from    = "+14155550199"
)

// rig is a real engine (taxonomy, SQLite ledger, devices, TOTP) with an
// enrolled phone whose RELAY endpoint is the fake.
type rig struct {
	t      *testing.T
	a      *app.App
	l      paths.Layout
	srv    *relayfake.Server
	phone  device.Device
	secret []byte
	logs   *logbuf
	cancel context.CancelFunc
}

type logbuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logbuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logbuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type rigOpts struct {
	config  string // config.yaml
	callee  relayfake.Callee
	fake    func(*relayfake.Options)
	console bool // attach a console
	noPhone bool // do not enrol a phone
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	_ = os.Chmod(home, 0o700)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		t.Fatal(err)
	}
	cfg := o.config
	if cfg == "" {
		cfg = "deadline: 30s\nphone:\n  min_gap: 0s\n"
	}
	if err := os.WriteFile(l.ConfigFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	fo := relayfake.Options{Project: project, Token: token, Callee: o.callee}
	if o.fake != nil {
		o.fake(&fo)
	}
	r := &rig{t: t, l: l, srv: relayfake.New(t, fo), logs: &logbuf{}}
	// The ledger exists before any device, as enrolment leaves it (a device
	// registry without a ledger reads as a deleted ledger).
	led, err := app.OpenLedger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if err := led.Close(); err != nil {
		t.Fatal(err)
	}
	reg := device.Open(l.DevicesFile, l.KeysDir, nil)
	r.secret = make([]byte, 20)
	_, _ = rand.Read(r.secret)
	if _, err := reg.CreateWithSecret(device.KindTOTP, "test app", r.secret); err != nil {
		t.Fatal(err)
	}
	if !o.noPhone {
		if r.phone, err = reg.Create(device.KindPhone, "owner's phone"); err != nil {
			t.Fatal(err)
		}
		if err := phone.SaveCredentials(l.KeysDir, phone.Credentials{Space: "example", Project: project,
			Token: phone.Secret(token), From: from, To: owner, Language: "en-US", RelayURL: r.srv.URL,
			DeviceID: r.phone.ID}); err != nil {
			t.Fatal(err)
		}
	}
	tax, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r.a, err = app.Start(context.Background(), app.Options{Layout: l, DefaultTaxonomy: tax, Build: "test", Mode: "headless", Logf: r.logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	if o.console {
		_, detach := r.a.Engine.AttachConsole("the test's console")
		t.Cleanup(detach)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	served := make(chan struct{})
	go func() { _ = r.a.Serve(ctx); close(served) }()
	t.Cleanup(func() {
		cancel()
		<-served
		_ = r.a.Close(context.Background())
	})
	return r
}

// req builds a hook request for a shell command.
func req(cmd string) wire.Request {
	var n [16]byte
	_, _ = rand.Read(n[:])
	var d [32]byte
	_, _ = rand.Read(d[:])
	return wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: hex.EncodeToString(n[:]),
		Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "3f2a9c-session", ToolName: "Bash",
			CWD: "/tmp/project", ProjectDir: "/tmp/project",
			Kind: wire.KindShell, Command: cmd, InputDigest: hex.EncodeToString(d[:])}}
}

// pendingReq is a submitted request and its ticket.
type pendingReq struct {
	req wire.Request
	tk  *engine.Ticket
}

func (r *rig) submit(cmd string) pendingReq {
	r.t.Helper()
	q := req(cmd)
	tk, err := r.a.Engine.Submit(context.Background(), q)
	if err != nil {
		r.t.Fatal(err)
	}
	return pendingReq{req: q, tk: tk}
}

// outcome waits for the verdict and verifies it as the hook would.
func (r *rig) outcome(p pendingReq) *verdict.Verdict {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := p.tk.Wait(ctx)
	if err != nil {
		r.t.Fatalf("no outcome for %s: %v", p.tk.RequestID, err)
	}
	v, err := verdict.Parse(o.Verdict)
	if err != nil {
		r.t.Fatalf("outcome %+v: %v", o, err)
	}
	if err := verdict.Verify(v, r.a.Devices.Keyring(), verdict.Expect{RequestID: p.tk.RequestID, Nonce: p.req.Nonce,
		RequestDigest: p.req.Call.DigestHex()}); err != nil {
		r.t.Fatalf("verdict does not verify: %v", err)
	}
	return v
}

// waitFor polls cond for up to 10 s.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// callEnded waits for the n-th call to end and returns its status.
func (r *rig) callEnded() *engine.CallStatus {
	r.t.Helper()
	var c *engine.CallStatus
	r.waitFor("the call to end", func() bool {
		c = r.a.Engine.Phone().Call
		return c != nil && c.Phase == engine.CallEnded
	})
	return c
}

// entries returns the ledger's entries of the given kinds.
func (r *rig) entries(kinds ...ledger.Kind) []ledger.Entry {
	r.t.Helper()
	es, err := r.a.Ledger.Since(context.Background(), 0, 10000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []ledger.Entry
	for _, e := range es {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
			}
		}
	}
	return out
}

// code returns the TOTP code of the current step plus ahead (within the
// verifier's skew).
func (r *rig) code(ahead int) string {
	c, err := totp.Code(r.secret, time.Now().Add(time.Duration(ahead)*totp.Period))
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// noSecretsLeaked checks the token is nowhere but the connect frame, and
// never in the ledger or the logs.
func (r *rig) noSecretsLeaked(extra ...string) {
	r.t.Helper()
	for _, f := range r.srv.Frames() {
		s := string(f)
		if strings.Contains(s, token) && !strings.Contains(s, `"signalwire.connect"`) {
			r.t.Fatalf("the token is in a frame other than connect: %s", s)
		}
		for _, x := range extra {
			if x != "" && strings.Contains(s, x) {
				r.t.Fatalf("%q reached SignalWire: %s", x, s)
			}
		}
	}
	// (Targets in request and verdict entries are the redaction step's
	// business; the phone's own entries must hold no more than a target.)
	for _, e := range r.entries(ledger.Kinds()...) {
		all := fmt.Sprintf("%+v", e)
		if strings.Contains(all, token) || strings.Contains(all, owner) {
			r.t.Fatalf("the ledger holds the token or the owner's full number: %s", all)
		}
	}
	for _, e := range r.entries(ledger.KindPhonePlaced, ledger.KindPhoneAnswered, ledger.KindPhoneEnded, ledger.KindPhoneFailed) {
		for _, x := range extra {
			if x != "" && strings.Contains(e.Detail, x) {
				r.t.Fatalf("%q is in a phone entry: %s", x, e.Detail)
			}
		}
	}
	if strings.Contains(r.logs.String(), token) {
		r.t.Fatalf("the token is in the log:\n%s", r.logs)
	}
	for _, p := range r.a.Engine.Snapshot().Problems {
		if strings.Contains(p.Message, token) {
			r.t.Fatalf("the token is in a console problem: %s", p.Message)
		}
	}
}
