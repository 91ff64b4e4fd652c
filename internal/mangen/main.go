// Command mangen writes ony-tui's man pages, one per command, generated
// from the command tree itself (internal/cli), so they never drift from
// --help: `make man` runs it. The pages are not committed; the test checks
// that every command gets one.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/ony-dev/ony-tui/internal/cli"
)

func main() {
	dir := flag.String("dir", "man", "directory to write the pages to (created 0755)")
	version := flag.String("version", "dev", "the version the pages name")
	flag.Parse()
	if err := write(*dir, *version, date()); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

// date is SOURCE_DATE_EPOCH when set (reproducible builds), else now.
func date() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC()
}

// write generates the pages of every command into dir.
func write(dir, version string, when time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := cli.Tree(cli.Build{Version: version})
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{Title: "ONY-TUI", Section: "1", Source: "ony-tui " + version, Manual: "Ony manual", Date: &when}
	return doc.GenManTree(root, header, dir)
}
