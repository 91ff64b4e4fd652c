package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/guard"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/ledger"
)

func startAt(l paths.Layout, t testing.TB) (*App, error) {
	return Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Build: "test", Mode: "headless"})
}

func enrolFakeYubiKey(t *testing.T, l paths.Layout) device.Device {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d, err := device.Open(l.DevicesFile, l.KeysDir, nil).CreateYubiKey("key", &priv.PublicKey, device.YubiKey{Serial: 7, Slot: "9c",
		Firmware: "5.7.2", PINPolicy: "never", TouchPolicy: "always", AttestationCert: "MIIB", SlotCert: "MIIC"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Turning require_touch on is accepted at start (with a YubiKey enrolled)
// and recorded; from then on the console refuses to start after a
// weakening it did not see confirmed with a touch.
func TestStartGuardsRequireTouch(t *testing.T) {
	a, l := start(t)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	touchOn := "approvals:\n  require_touch: high\n"
	if err := os.WriteFile(l.ConfigFile, []byte(touchOn), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := startAt(l, t); err == nil || !strings.Contains(err.Error(), "no YubiKey is enrolled") {
		t.Fatalf("require_touch without a key: %v", err)
	}
	yk := enrolFakeYubiKey(t, l)
	a, err := startAt(l, t)
	if err != nil {
		t.Fatalf("turning touch on: %v", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	led, err := ledger.Open(context.Background(), l.LedgerFile, LedgerOptions(l))
	if err != nil {
		t.Fatal(err)
	}
	e, ok, err := led.LastOf(context.Background(), ledger.KindPolicyConfirmed)
	led.Close()
	if err != nil || !ok || !strings.Contains(e.Detail, "require_touch=high; approvals.require_touch turned on") {
		t.Fatalf("policy-confirmed entry %+v %v %v", e, ok, err)
	}
	if a, err := startAt(l, t); err != nil {
		t.Fatalf("unchanged restart: %v", err)
	} else {
		_ = a.Close(context.Background())
	}
	// Each weakening, made on disk, stops the next start.
	// In order: the last one cannot be undone, so it comes last.
	for _, tc := range []struct {
		name     string
		do, undo func()
		want     string
	}{
		{"turned off",
			func() { _ = os.WriteFile(l.ConfigFile, []byte("approvals:\n  require_touch: off\n"), 0o600) },
			func() { _ = os.WriteFile(l.ConfigFile, []byte(touchOn), 0o600) },
			"require_touch turned off",
		},
		{"policy edited",
			func() { _ = os.WriteFile(l.ConfigFile, []byte(touchOn+"policy:\n  medium: auto\n"), 0o600) },
			func() { _ = os.WriteFile(l.ConfigFile, []byte(touchOn), 0o600) },
			"config.yaml edited",
		},
		{"taxonomy installed",
			func() {
				_ = os.WriteFile(l.TaxonomyFile, []byte(strings.Replace(string(defaultTaxonomy(t)), "risk: critical", "risk: low", 1)), 0o600)
			},
			func() { _ = os.Remove(l.TaxonomyFile) },
			"taxonomy changed: lowers",
		},
		{"overlay written by hand",
			func() {
				_ = os.WriteFile(l.OverlayFile, []byte("version: 1\nactions:\n  - id: owner.evil\n    title: \"Harmless\"\n    risk: low\n    match:\n      - shell: {program: [\"evil-tool\"]}\n"), 0o600)
			},
			func() { _ = os.Remove(l.OverlayFile) },
			"taxonomy changed",
		},
		{"key revoked by hand",
			func() { _, _ = device.Open(l.DevicesFile, l.KeysDir, nil).Revoke(yk.ID) },
			nil,
			"revoked or removed",
		},
	} {
		tc.do()
		_, err := startAt(l, t)
		var ch *guard.ErrChanged
		if !errors.As(err, &ch) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ony-tui policy confirm") {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.undo == nil {
			break
		}
		tc.undo()
		a, err := startAt(l, t)
		if err != nil {
			t.Fatalf("%s undone: %v", tc.name, err)
		}
		_ = a.Close(context.Background())
	}
	// policy.json deleted: refused.
	_ = os.Remove(GuardStore(l).Path)
	if _, err := startAt(l, t); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("deleted policy.json: %v", err)
	}
}

// The cheapest undo of require_touch on disk: delete policy.json and turn
// touch off in config.yaml, and perhaps spoil one old ledger entry so that
// the ledger cannot say what was accepted. Nothing on disk then says touch
// was required; only the ledger does, possibly in the part opened from the
// checkpoint and verified in the background. The start is refused, or,
// when the ledger's answer comes after the start, the kill switch is
// engaged and the console told why.
func TestGuardSeesTouchTurnedOffWithItsPolicyDeleted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spoil   bool
		refused string // the error of a refused start
		problem string // the problem reported after a start
	}{
		{"policy deleted", false, "missing", "touch was required"},
		{"and an old entry spoiled", true, "tampered", "LEDGER HISTORY ALTERED before its checkpoint, so the ledger cannot say whether approvals.require_touch was on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, l := start(t)
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			enrolFakeYubiKey(t, l)
			if err := os.WriteFile(l.ConfigFile, []byte("approvals:\n  require_touch: high\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			a, err := startAt(l, t)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(GuardStore(l).Path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(l.ConfigFile, []byte("approvals:\n  require_touch: off\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.spoil {
				db, err := sql.Open("sqlite3", "file:"+l.LedgerFile+"?_busy_timeout=5000")
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.Exec("UPDATE entries SET hash = randomblob(32) WHERE seq = 2")
				db.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			a, err = startAt(l, t)
			if err != nil {
				if !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("refused, but not for %q: %v", tc.refused, err)
				}
				t.Log("refused at start: the whole ledger was verified by then")
				return
			}
			defer a.Close(context.Background())
			problems := func() string {
				var p string
				for _, pr := range a.Engine.Snapshot().Problems {
					p += pr.Message + "\n"
				}
				return p
			}
			deadline := time.Now().Add(20 * time.Second)
			for !a.Engine.KillSwitch() || !strings.Contains(problems(), tc.problem) {
				if time.Now().After(deadline) {
					t.Fatalf("started with touch turned off and its policy deleted; kill switch %v, problems %q", a.Engine.KillSwitch(), problems())
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Log("started, then the kill switch was engaged once the whole ledger was checked")
		})
	}
}
