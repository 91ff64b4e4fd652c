package hook

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemArgs: --system and --root come only together, never with
// --home; anything else denies.
func TestSystemArgs(t *testing.T) {
	privateLog(t)
	for _, args := range [][]string{
		{"claude", "--system", "--home", home(t)},
		{"claude", "--root", "/"},
		{"claude", "--system=yes"},
		{"claude", "--system", "--root"},
	} {
		var out, errb bytes.Buffer
		code := Main(args, strings.NewReader(claudeRead), &out, &errb)
		if code != 2 || !strings.Contains(out.String(), "deny") || !strings.Contains(out.String(), "bad hook arguments") {
			t.Errorf("%v: exit %d %s", args, code, out.String())
		}
	}
}

// TestSystemHookRefusesAnInstallAUserCouldHaveMade: pointed at an install
// root a user made (a temporary directory of this user, or as root one
// given to nobody), the hook denies without asking anything: only what root
// set up can name the engine. (The root-owned case is TestSystemPosture's.)
func TestSystemHookRefusesAnInstallAUserCouldHaveMade(t *testing.T) {
	privateLog(t)
	root := t.TempDir()
	for _, d := range []string{"etc/ony", "var/lib/ony", "run/ony"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getuid() == 0 {
		if err := os.Chown(root, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code := Main([]string{"claude", "--system", "--root", root}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 || !strings.Contains(out.String(), `"permissionDecision":"deny"`) {
		t.Fatalf("exit %d %s", code, out.String())
	}
}

// privateLog points the hook log of a --system hook (the user's own state
// directory) at a temporary home.
func privateLog(t *testing.T) {
	h := t.TempDir()
	t.Setenv("HOME", h)
	t.Setenv("XDG_STATE_HOME", filepath.Join(h, "state"))
}
