package tui

import (
	"bytes"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestFlow runs the console as a real program: a request submitted to the
// engine reaches the screen through the change watcher, the bell rings, A
// approves it, and q quits once nothing waits.
func TestFlow(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	tm := teatest.NewTestModel(t, f.m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			return bytes.Contains([]byte(ansi.Strip(string(b))), []byte(what))
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitFor("No request is waiting")

	id := f.submit(highSpec())
	var out []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		out = append(out[:0], b...)
		return bytes.Contains([]byte(ansi.Strip(string(b))), []byte("Force-push to main"))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	if !bytes.Contains(out, []byte("\a")) {
		t.Error("no bell when the request arrived")
	}

	tm.Send(keyPress("enter"))
	tm.Send(keyPress("A"))
	waitFor("approved ✓: Force-push to main")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}

	tm.Send(keyPress("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !fm.Quitting() {
		t.Fatal("the final model is not quitting")
	}
}
