package tui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
)

// busySecrets are the secrets the busy scenario's requests carry.
func busySecrets() []string {
	return []string{"R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI", "hunter2", "S3cr3tPass", "abc123def"}
}

// TestSecretsNeverShownMasked checks that no secret of the busy scenario
// reaches the screen, whichever request is selected and at every size: the
// command, paths and URL are masked by the console, the target by the
// engine.
func TestSecretsNeverShownMasked(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		f := newFixture(t, fixtureOpts{})
		f.size(sz[0], sz[1])
		f.busy()
		for i := range busySpecs() {
			f.m.queue.moveTo(i)
			f.refresh()
			r, _ := f.m.queue.current()
			lines, _ := detailLines(&r, &f.m.styles, false, 200)
			s := f.screen() + strings.Join(lines, "\n")
			for _, secret := range busySecrets() {
				if strings.Contains(s, secret) {
					t.Fatalf("%dx%d, request %d: secret %q shown:\n%s", sz[0], sz[1], i, secret, s)
				}
			}
		}
	}
}

// TestRevealSelectedRequestOnly reveals the selected request's secrets
// with r, and checks that they are masked again when the selection moves,
// also on coming back.
func TestRevealSelectedRequestOnly(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(160, 48)
	f.busy()
	token := busySecrets()[0]
	if strings.Contains(f.screen(), token) || !strings.Contains(f.screen(), "secrets masked") {
		t.Fatalf("secret shown, or no mask notice, before r:\n%s", f.screen())
	}
	if !strings.Contains(f.screen(), "r reveal secrets") {
		t.Fatalf("the footer does not offer r:\n%s", f.screen())
	}
	f.key("r")
	s := f.screen()
	if !strings.Contains(s, "DEPLOY_TOKEN=ghp_"+token) || !strings.Contains(s, "SECRETS SHOWN") || !strings.Contains(s, "r hide secrets") {
		t.Fatalf("r did not reveal the selected request:\n%s", s)
	}
	f.key("j")
	if s := f.screen(); strings.Contains(s, token) || strings.Contains(s, "hunter2") || strings.Contains(s, "SECRETS SHOWN") {
		t.Fatalf("moving the selection kept secrets shown:\n%s", s)
	}
	f.key("k")
	if s := f.screen(); strings.Contains(s, token) {
		t.Fatalf("coming back revealed the secret again:\n%s", s)
	}
	f.key("r")
	f.key("r")
	if s := f.screen(); strings.Contains(s, token) {
		t.Fatalf("a second r did not mask again:\n%s", s)
	}
}

// TestRevealShowsRawCommandNeverTarget checks what r reveals: the agent's
// own text in the detail pane. The target, which the engine redacted, has
// no secret left to reveal.
func TestRevealShowsRawCommandNeverTarget(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(160, 48)
	f.busy()
	f.key("j") // the force-push: a password in the command and the target
	f.key("r")
	s := f.screen()
	if !strings.Contains(s, "https://dev:hunter2@github.com/acme/api.git main") {
		t.Fatalf("the revealed command is missing:\n%s", s)
	}
	if strings.Count(s, "hunter2") != 1 {
		t.Fatalf("the password appears outside the revealed command:\n%s", s)
	}
	if !strings.Contains(s, "https://dev:***@github.com/acme/api.git main") {
		t.Fatalf("the target is not the engine's redacted one:\n%s", s)
	}
}

// TestRevealKeyOnlyWhenSomethingIsMasked: with nothing masked, r is off the
// footer and does nothing.
func TestRevealKeyOnlyWhenSomethingIsMasked(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(160, 48)
	f.busy()
	f.key("G") // ls -la src: nothing to mask
	if f.m.keys.Reveal.Enabled() || strings.Contains(f.screen(), "reveal secrets") || strings.Contains(f.screen(), "secrets masked") {
		t.Fatalf("r offered with nothing masked:\n%s", f.screen())
	}
	f.key("r")
	if f.m.reveal != "" || strings.Contains(f.screen(), "SECRETS SHOWN") {
		t.Fatalf("r revealed a request with nothing masked")
	}
	found := false
	for _, col := range f.m.keys.FullHelp() {
		for _, b := range col {
			if key.Matches(keyPress("r"), b) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the full help does not list r")
	}
}
