package e2e

import (
	"testing"

	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// bin is the ony-tui binary, built once.
var bin string

// TestMain builds the binary and starts a pcscd of this test binary's own,
// into which the YubiKey tests plug virtual cards (yubikey_test.go);
// without one they fail, never skip.
func TestMain(m *testing.M) {
	e2e.MainAround(m, &bin, func(run func() int) int { return vcard.WithPCSCD(run, &pcscd) }, e2e.Tmux)
}
