package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnstableBinary(t *testing.T) {
	home := t.TempDir()
	mk := func(p string) string {
		full := filepath.Join(home, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		return full
	}
	_ = os.MkdirAll(filepath.Join(home, "src/ony/.git"), 0o755)
	mk("src/ony/go.mod")
	mk("work/tree/go.mod")
	mk(".git/HEAD") // a home kept in git is not a checkout of Ony
	for bin, want := range map[string]string{
		mk("src/ony/bin/ony-tui"):            "git checkout",
		mk("work/tree/bin/ony-tui"):          "source tree",
		mk(".local/bin/ony-tui"):             "",
		"/tmp/go-build1234/b001/exe/ony-tui": "temporary build",
		"/usr/local/lib/ony/ony-tui":         "",
	} {
		got := UnstableBinary(bin, home)
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", bin, got, want)
		}
	}
}
