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
// root the calling user made (here: a temporary directory of this user),
// the hook denies without asking anything, whatever listens there: only
// what root set up can name the engine.
func TestSystemHookRefusesAnInstallAUserCouldHaveMade(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("as root the temporary directory is root's; the root-owned case is TestSystemPosture's")
	}
	root := t.TempDir()
	for _, d := range []string{"etc/ony", "var/lib/ony", "run/ony"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code := Main([]string{"claude", "--system", "--root", root}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 || !strings.Contains(out.String(), `"permissionDecision":"deny"`) {
		t.Fatalf("exit %d %s", code, out.String())
	}
}
