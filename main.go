// Command ony-tui is Ony's terminal approval console: the authority an
// autonomous coding agent cannot talk around. Run it with no arguments for
// the console; `ony-tui hook <harness>` is what agent harnesses run before
// every tool call; `ony-tui verify` audits the ledger.
package main

import (
	_ "embed"
	"os"

	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/hook"
	"github.com/ony-dev/ony-tui/internal/cli"
)

//go:embed taxonomy.yaml
var defaultTaxonomy []byte

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// The hook runs before every agent tool call: it skips the command tree
	// entirely, so that no argument problem can end in an exit code a
	// harness reads as "proceed", and so start-up stays cheap.
	if len(os.Args) > 1 && os.Args[1] == "hook" {
		os.Exit(hook.Process(os.Args[2:]))
	}
	// The console does its YubiKey work in short-lived helpers of itself
	// (engine/yubikey/helper.go): one JSON request on stdin, one answer.
	if len(os.Args) == 2 && os.Args[1] == yubikey.HelperArg {
		os.Exit(yubikey.RunHelper(os.Stdin, os.Stdout))
	}
	os.Exit(cli.Run(cli.Build{Version: version, DefaultTaxonomy: defaultTaxonomy}, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
