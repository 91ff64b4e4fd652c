package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// Revoking the phone device removes its SignalWire credentials: a phone
// that never calls again has no reason to keep a token on disk. Another
// device's revocation leaves them.
func TestRevokingThePhoneRemovesItsCredentials(t *testing.T) {
	home := e2e.NewHome(t, "")
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		t.Fatal(err)
	}
	led, err := app.OpenLedger(context.Background(), l) // the ledger before any device
	if err != nil {
		t.Fatal(err)
	}
	if err := led.Close(); err != nil {
		t.Fatal(err)
	}
	reg := device.Open(l.DevicesFile, l.KeysDir, nil)
	ph, err := reg.Create(device.KindPhone, "phone")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := reg.Create(device.KindConsole, "keypad")
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(l.KeysDir, "phone.json")
	e2e.WriteFile(t, creds, `{"version":1,"space":"example","project":"4a3d1f2e-0000-4000-8000-00000000c0de","token":"PT0123456789abcdefSECRETTOKEN","from":"+14155550199","to":"+14155550123","language":"en-US","device":"`+ph.ID+`"}`)

	requireTmux(t)
	// Revoking is for a person at a terminal.
	if screen, code := runAtTerminal(t, 120, 20, nil, "devices", "revoke", kp.ID, "--home", home); code != "0" {
		t.Fatalf("revoking the keypad: %s\n%s", code, screen)
	}
	if _, err := os.Stat(creds); err != nil {
		t.Fatalf("revoking another device touched the phone's credentials: %v", err)
	}
	screen, code := runAtTerminal(t, 120, 20, nil, "devices", "revoke", ph.ID, "--home", home)
	if code != "0" || !strings.Contains(screen, "removed the SignalWire credentials") {
		t.Fatalf("revoking the phone: %s\n%s", code, screen)
	}
	if _, err := os.Stat(creds); !os.IsNotExist(err) {
		t.Fatalf("the token stayed on disk: %v", err)
	}
	if strings.Contains(screen, "SECRETTOKEN") {
		t.Fatal("the token was printed")
	}
	out := e2e.Run(t, bin, e2e.Cmd{Args: []string{"log", "--home", home, "--json"}}).Stdout
	if !strings.Contains(out, "its SignalWire credentials removed") || strings.Contains(out, "SECRETTOKEN") {
		t.Fatalf("ledger:\n%s", out)
	}
}
