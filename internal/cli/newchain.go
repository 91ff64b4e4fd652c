package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

const newChainUsage = "start a new audit ledger chain: moves a lost or damaged ledger and its checkpoints into the archive, " +
	"records their last signed head in the new chain's first entry (asks for confirmation at a terminal)"

// newChainPhrase is what the owner types to confirm a new chain.
const newChainPhrase = "start a new chain"

// errNewChainNotConfirmed is returned when the owner does not confirm.
var errNewChainNotConfirmed = errors.New("no new chain started: the confirmation was not typed")

// confirmNewChain shows what a new chain would replace and asks the person
// at the terminal to type the confirmation phrase. A program cannot answer
// for them: stdin and stdout must be a terminal. It returns who confirmed,
// for the new chain's first entry.
func confirmNewChain(l paths.Layout, stdin io.Reader, stdout io.Writer) (string, error) {
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return "", fmt.Errorf("--new-chain must be confirmed by a person at a terminal (stdin or stdout is not a terminal)")
	}
	prev, err := ledger.InspectPrevious(l.LedgerFile, app.LedgerOptions(l), l.ArchiveDir)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, `Start a new audit ledger chain for this home.

  ledger       %s: %s
  checkpoints  %s
  %s

The ledger file and the checkpoint directory will be moved into
%s/<time>/ (nothing is deleted), and the new chain's first entry will
record this start and the previous chain's last signed head.

If you did not expect the ledger to be missing or damaged, stop here:
something else removed or changed it. Run "ony-tui verify" first.

Type %q to go on: `, l.LedgerFile, prev.File.Found, l.CheckpointDir, headLine(prev), l.ArchiveDir, newChainPhrase)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the confirmation: %w", err)
	}
	if strings.TrimSpace(line) != newChainPhrase {
		return "", errNewChainNotConfirmed
	}
	tty := "a terminal"
	if name, err := os.Readlink("/proc/self/fd/0"); err == nil {
		tty = name
	}
	return fmt.Sprintf("%s at %s (pid %d)", hostLabel(), tty, os.Getpid()), nil
}

func headLine(p ledger.PreviousChain) string {
	if c := p.Head; c != nil {
		return fmt.Sprintf("last signed head: %d entries, %s (%s, from %s)", c.Size, c.Head, c.Origin, p.HeadFrom)
	}
	return "last signed head: unknown (no checkpoint verifies)"
}
