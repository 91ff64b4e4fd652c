package hook_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// bin is the ony-tui binary built once for the end-to-end tests, exactly as
// a harness would run it.
var bin string

func TestMain(m *testing.M) {
	if os.Getenv(envForeign) != "" {
		os.Exit(m.Run()) // a helper process: no binary needed
	}
	e2e.Main(m, &bin)
}

// hookLog returns the hook's diagnostics log of a home ("" if none).
func hookLog(t testing.TB, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "state", "hook.log"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}
