package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// TestRequireFactorRefusesKeypadOnly: in the hardened posture a keypress
// alone never approves, because code the agent runs as the owner could
// press it. The refused request keeps waiting; a code makes it an
// approval; the phone and a YubiKey are factors of their own.
func TestRequireFactorRefusesKeypadOnly(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireFactor = true })
	ctx := context.Background()
	tk, req := f.submit(t, "push --force")
	err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Via: device.KindConsole})
	if !errors.Is(err, ErrFactorRequired) || !errors.Is(err, ErrCodeRequired) {
		t.Fatalf("keypad-only approval: %v", err)
	}
	if !strings.Contains(err.Error(), "hardened install") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
	if p := f.eng.Snapshot().Pending; len(p) != 1 {
		t.Fatalf("a refused approval decided the request: %+v", p)
	}
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Code: "000000"}); !errors.Is(err, ErrBadCode) {
		t.Fatalf("keypad with a wrong code: %v", err)
	}
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Code: "123456"}); err != nil {
		t.Fatalf("keypad with the code: %v", err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve || strings.Join(v.Factors, ",") != "keypad,totp" {
		t.Fatalf("verdict %+v", v)
	}

	// A deny needs no factor: denying is always safe.
	tk, req = f.submit(t, "push --force")
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: false}); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny {
		t.Fatalf("deny: %+v", v)
	}

	// The phone is a factor the agent's code cannot produce.
	if _, err := f.reg.Ensure(device.KindPhone, "phone"); err != nil {
		t.Fatal(err)
	}
	tk, req = f.submit(t, "push --force")
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Via: device.KindPhone}); err != nil {
		t.Fatalf("phone approval: %v", err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve || strings.Join(v.Factors, ",") != "phone" {
		t.Fatalf("phone verdict %+v", v)
	}

	// Critical actions keep needing the code, however approved at the keypad.
	tk, _ = f.submit(t, "deploy prod")
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true}); !errors.Is(err, ErrCodeRequired) || errors.Is(err, ErrFactorRequired) {
		t.Fatalf("critical without code: %v", err)
	}
}

// TestKeypadApprovesWithoutRequireFactor: the per-user posture is
// unchanged: a keypad approval of a high request needs no code.
func TestKeypadApprovesWithoutRequireFactor(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Approve {
		t.Fatalf("%+v", v)
	}
}

// TestReleaseKillSwitchNeedsTheCodeWhenHardened: in the hardened posture
// code the agent runs as the owner can reach the console socket; releasing
// the kill switch the owner pulled must need the code, like an approval.
func TestReleaseKillSwitchNeedsTheCodeWhenHardened(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireFactor = true })
	ctx := context.Background()
	if err := f.eng.EngageKillSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"", "  "} {
		if err := f.eng.ReleaseKillSwitch(ctx, code); !errors.Is(err, ErrReleaseNeedsCode) || !errors.Is(err, ErrFactorRequired) {
			t.Fatalf("release with %q: %v", code, err)
		}
	}
	if err := f.eng.ReleaseKillSwitch(ctx, "000000"); !errors.Is(err, ErrBadCode) {
		t.Fatalf("release with a wrong code: %v", err)
	}
	if !f.eng.KillSwitch() {
		t.Fatal("a refused release lifted the kill switch")
	}
	failed := 0
	for _, r := range f.j.recs {
		if r.Kind == ledger.KindCodeFailed && strings.Contains(r.Detail, "release the kill switch") {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed release codes recorded", failed)
	}
	if err := f.eng.ReleaseKillSwitch(ctx, "123 456"); err != nil || f.eng.KillSwitch() {
		t.Fatalf("release with the code: %v (engaged %v)", err, f.eng.KillSwitch())
	}
	last := f.j.recs[len(f.j.recs)-1]
	if last.Kind != ledger.KindKillReleased || last.Step != 59426000 || strings.Join(last.Factors, ",") != "totp" {
		t.Fatalf("release entry %+v", last)
	}
	// The per-user posture releases with the keypad, as before.
	g := newFixture(t, nil)
	_ = g.eng.EngageKillSwitch(ctx)
	if err := g.eng.ReleaseKillSwitch(ctx, ""); err != nil || g.eng.KillSwitch() {
		t.Fatalf("per-user release: %v", err)
	}
}
