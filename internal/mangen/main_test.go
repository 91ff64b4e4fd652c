package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ony-dev/ony-tui/internal/cli"
)

// Every command of the tree gets a page, with its flags and long help, so
// the pages say what --help says.
func TestEveryCommandHasAPage(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir, "1.2.3", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		n++
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("no page for %q: %v", c.CommandPath(), err)
		}
		page := string(b)
		if !strings.Contains(page, `.TH "ONY-TUI" "1" "Jan 2026" "ony-tui 1.2.3" "Ony manual"`) {
			t.Fatalf("%s: header:\n%.300s", name, page)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(page, "--"+f.Name) && !strings.Contains(page, `\-\-`+strings.ReplaceAll(f.Name, "-", `\-`)) {
				t.Errorf("%s lacks the flag --%s", name, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.Tree(cli.Build{Version: "1.2.3"}))
	if n < 15 {
		t.Fatalf("only %d commands walked", n)
	}
	verify, _ := os.ReadFile(filepath.Join(dir, "ony-tui-verify.1"))
	if !strings.Contains(string(verify), `Exit codes: 0 intact, 1 tampered, 2 could not`) {
		t.Fatalf("verify's page lacks the exit codes:\n%s", verify)
	}
}
