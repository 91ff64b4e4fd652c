package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

func newHome(t *testing.T) paths.Layout {
	t.Helper()
	home := t.TempDir()
	_ = os.Chmod(home, 0o700)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		t.Fatal(err)
	}
	return l
}

// A hand-edited overlay that lowers a protected action stops the engine
// from starting, with the file and line.
func TestStartRefusesABadOverlay(t *testing.T) {
	l := newHome(t)
	bad := "version: 1\nactions:\n  - id: ony.tamper\n    title: fine\n    risk: low\n    match:\n      - path: {glob: ['**']}\n"
	if err := os.WriteFile(l.OverlayFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Build: "test", Mode: "headless"})
	if err == nil || !strings.Contains(err.Error(), l.OverlayFile+":3:9: overlay action id \"ony.tamper\"") {
		t.Fatalf("started, or the wrong error: %v", err)
	}
}

func TestOverlayClassifiesAndIsRecorded(t *testing.T) {
	l := newHome(t)
	a, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Build: "test", Mode: "headless"})
	if err != nil {
		t.Fatal(err)
	}
	call := &wire.ToolCall{Kind: wire.KindShell, ToolName: "Bash", Command: "webctl build", CWD: "/tmp", ProjectDir: "/tmp"}
	if c := a.Taxonomy.Classify(call, engine.HostLocal); c.Action != "unknown" || c.Program != "webctl" {
		t.Fatalf("before: %+v", c)
	}
	ch, err := a.Taxonomy.AddProgram(context.Background(), "webctl", risk.Low, "Run webctl", "2026-12-07: a test")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Rule.ID != "owner.webctl" || ch.Rule.File != l.OverlayFile || len(ch.SHA256) != 64 {
		t.Fatalf("change %+v", ch)
	}
	if c := a.Taxonomy.Classify(call, engine.HostLocal); c.Action != "owner.webctl" || c.Risk != risk.Low {
		t.Fatalf("after: %+v", c)
	}
	st, err := os.Stat(l.OverlayFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("overlay file: %v %v", st, err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A restart loads it and records its hash.
	a2, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Build: "test", Mode: "headless"})
	if err != nil {
		t.Fatal(err)
	}
	if c := a2.Taxonomy.Classify(call, engine.HostRemote); c.Action != "owner.webctl" {
		t.Fatalf("after a restart: %+v", c)
	}
	if _, err := a2.Taxonomy.Remove(context.Background(), "owner.webctl"); err != nil {
		t.Fatal(err)
	}
	if c := a2.Taxonomy.Classify(call, engine.HostLocal); c.Action != "unknown" {
		t.Fatalf("after remove: %+v", c)
	}
	if err := a2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	led, err := ledger.OpenReader(context.Background(), l.LedgerFile)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	es, err := led.Since(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Kind == ledger.KindTaxonomyLoaded && strings.HasPrefix(e.Detail, "overlay sha256:"+ch.SHA256+" from ") && strings.HasSuffix(e.Detail, " (rules: 1)") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no overlay entry in %+v", es)
	}
	if _, err := os.Stat(filepath.Join(l.ConfigDir, ".taxonomy.overlay-x")); err == nil {
		t.Fatal("a temporary file was left")
	}
}
