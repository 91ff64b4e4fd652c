package e2e

import (
	"testing"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// bin is the ony-tui binary, built once.
var bin string

func TestMain(m *testing.M) { e2e.Main(m, &bin, e2e.Tmux) }
