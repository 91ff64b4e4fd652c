package taxonomy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// Paths of the fictional machine the tests classify for. None of them
// exists, so the local file system never changes a result.
const (
	testHome    = "/home/agentdev"
	testProject = "/home/agentdev/src/webapp"
)

func testEnv() Env {
	return Env{
		Home:      testHome,
		OnyRoots:  []string{testHome + "/.config/ony", testHome + "/.local/state/ony", "/run/user/1000/ony"},
		OnyBinary: testHome + "/go/bin/ony-tui",
		Vars:      map[string]string{"XDG_CONFIG_HOME": testHome + "/.config", "XDG_STATE_HOME": testHome + "/.local/state", "TMPDIR": "/tmp/agentdev"},
	}
}

// defaultTaxonomy loads the repository's taxonomy.yaml.
func defaultTaxonomy(tb testing.TB) *Taxonomy {
	tb.Helper()
	path := filepath.Join("..", "..", "taxonomy.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("reading default taxonomy: %v", err)
	}
	t, err := Load(data, "taxonomy.yaml", testEnv())
	if err != nil {
		tb.Fatalf("loading default taxonomy: %v", err)
	}
	return t
}

// shellCall is a shell tool call in the test project.
func shellCall(cmd string) *wire.ToolCall {
	return &wire.ToolCall{Harness: "claude", Event: "PreToolUse", ToolName: "Bash", Kind: wire.KindShell,
		Command: cmd, CWD: testProject, ProjectDir: testProject}
}
