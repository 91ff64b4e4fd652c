package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/ledger"
)

// engagedWithTouchRequired is an engine with a YubiKey enrolled, touch
// required from high, and the kill switch engaged.
func engagedWithTouchRequired(t *testing.T, mod func(*Options)) (*fixture, *fakeCard) {
	t.Helper()
	f, card := touchFixture(t, func(o *Options) {
		o.Config.RequireTouch = risk.High
		if mod != nil {
			mod(o)
		}
	})
	if err := f.eng.EngageKillSwitch(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f, card
}

func releaseAsync(f *fixture, code string) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f.eng.ReleaseKillSwitch(context.Background(), code) }()
	return ch
}

// The cheapest call that undoes the kill switch is a keypress sent to the
// console's terminal. While touch is required, that keypress alone must
// not release it: the card has to sign, and the ledger names the card.
func TestReleaseWhileTouchIsRequiredNeedsATouch(t *testing.T) {
	f, card := engagedWithTouchRequired(t, nil)
	done := releaseAsync(f, "")
	card.waitAsked(t)
	if !f.eng.KillSwitch() {
		t.Fatal("released before the touch")
	}
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if f.eng.KillSwitch() {
		t.Fatal("still engaged after the touch")
	}
	rel := f.records(ledger.KindKillReleased)
	if len(rel) != 1 || rel[0].DeviceID != card.dev.ID || strings.Join(rel[0].Factors, ",") != "yubikey" ||
		!strings.Contains(rel[0].Detail, "serial 12345678") {
		t.Fatalf("release entry %+v", rel)
	}
}

// No touch, a card that fails, no card, or a card whose key is not the
// enrolled one: the switch stays engaged.
func TestReleaseWithoutAValidTouchStaysEngaged(t *testing.T) {
	t.Run("card missing", func(t *testing.T) {
		f, card := engagedWithTouchRequired(t, nil)
		card.set(errors.New("no YubiKey is inserted"), nil)
		err := wantErr(t, releaseAsync(f, ""))
		if !errors.Is(err, ErrReleaseNeedsTouch) || !f.eng.KillSwitch() {
			t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
		}
	})
	t.Run("touch fails", func(t *testing.T) {
		f, card := engagedWithTouchRequired(t, nil)
		card.set(nil, errors.New("the YubiKey was not touched in time"))
		done := releaseAsync(f, "")
		card.waitAsked(t)
		card.touched()
		if err := wantErr(t, done); !errors.Is(err, ErrReleaseNeedsTouch) || !f.eng.KillSwitch() {
			t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
		}
		if r := f.records(ledger.KindTouchFailed); len(r) != 1 || r[0].RequestID != releaseRequestID {
			t.Fatalf("touch-failed entries %+v", r)
		}
	})
	t.Run("no channel", func(t *testing.T) {
		f, _ := engagedWithTouchRequired(t, nil)
		f.eng.opts.Cards = nil
		if err := f.eng.ReleaseKillSwitch(context.Background(), ""); !errors.Is(err, ErrReleaseNeedsTouch) || !f.eng.KillSwitch() {
			t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		f, card := engagedWithTouchRequired(t, nil)
		if _, err := f.reg.Revoke(card.dev.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.eng.ReleaseKillSwitch(context.Background(), ""); !errors.Is(err, ErrReleaseNeedsTouch) || !f.eng.KillSwitch() {
			t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
		}
	})
	t.Run("another key signs", func(t *testing.T) {
		f, card := engagedWithTouchRequired(t, nil)
		other := newFakeCard(t, f, "never") // enrolled too, but the card holds a different key
		card.priv = other.priv
		done := releaseAsync(f, "")
		card.waitAsked(t)
		card.touched()
		if err := wantErr(t, done); !errors.Is(err, ErrReleaseNeedsTouch) || !f.eng.KillSwitch() {
			t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
		}
	})
}

// Without require_touch, the keypad releases the switch as before.
func TestReleaseWithoutTouchRequiredNeedsNoCard(t *testing.T) {
	f, card := touchFixture(t, nil)
	card.set(errors.New("no YubiKey is inserted"), nil)
	if err := f.eng.EngageKillSwitch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.ReleaseKillSwitch(context.Background(), ""); err != nil || f.eng.KillSwitch() {
		t.Fatalf("err %v, engaged %v", err, f.eng.KillSwitch())
	}
	if rel := f.records(ledger.KindKillReleased); len(rel) != 1 || rel[0].DeviceID != "" || len(rel[0].Factors) != 0 {
		t.Fatalf("release entry %+v", rel)
	}
}
