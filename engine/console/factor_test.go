package console

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/enginetest"
)

// TestFactorRequiredCrossesTheSocket: the refusal of a keypress-only
// approval (a system install's engine) reaches an attached console as
// ErrFactorRequired, still an ErrCodeRequired, with its explanation, and
// the request keeps waiting.
func TestFactorRequiredCrossesTheSocket(t *testing.T) {
	reg, dir := enginetest.Registry(t)
	eng, err := engine.New(engine.Options{Classifier: byCommand{}, Journal: &enginetest.Journal{}, Devices: reg,
		Config: config.Defaults(), RequireFactor: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	r := &rig{eng: eng, reg: reg, sock: filepath.Join(dir, "run", "console.sock")}
	r.serve(t)
	c := r.attach(t, "side terminal")
	tk, _ := r.submit(t, "git push -f")
	eventually(t, "the console sees the request", func() bool { return len(c.Snapshot().Pending) == 1 })
	err = c.Decide(context.Background(), tk.RequestID, engine.Approval{Approve: true})
	if !errors.Is(err, engine.ErrFactorRequired) || !errors.Is(err, engine.ErrCodeRequired) || !strings.Contains(err.Error(), "hardened install") {
		t.Fatalf("keypress-only approval over the console socket: %v", err)
	}
	if _, done := tk.Ready(); done || len(eng.Snapshot().Pending) != 1 {
		t.Fatal("the refused approval decided the request")
	}
}

// TestReleaseOverTheSocketNeedsTheCode: code the agent runs as the owner can
// reach the console socket; in a hardened install it cannot release the
// kill switch without the code.
func TestReleaseOverTheSocketNeedsTheCode(t *testing.T) {
	reg, dir := enginetest.Registry(t)
	eng, err := engine.New(engine.Options{Classifier: byCommand{}, Journal: &enginetest.Journal{}, Devices: reg,
		Config: config.Defaults(), RequireFactor: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	r := &rig{eng: eng, reg: reg, sock: filepath.Join(dir, "run", "console.sock")}
	r.serve(t)
	c := r.attach(t, "an agent's script")
	if err := c.EngageKillSwitch(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = c.ReleaseKillSwitch(context.Background(), "")
	if !errors.Is(err, engine.ErrFactorRequired) || !strings.Contains(err.Error(), "kill switch") {
		t.Fatalf("release without the code: %v", err)
	}
	if !eng.KillSwitch() {
		t.Fatal("the kill switch was released over the console socket without a code")
	}
}
