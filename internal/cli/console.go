package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/tui"
	"github.com/ony-dev/ony-tui/tui/ledgerchain"
)

// consoleRun is what the console needs beyond the app: a header note (the
// demo's code) and work to start once the engine serves (the demo agent).
type consoleRun struct {
	note  func() string
	after func(ctx context.Context, a *app.App)
}

func runConsole(ctx context.Context, g *globals, stdout, stderr io.Writer, mode string) error {
	l, err := g.layout()
	if err != nil {
		return err
	}
	return startConsole(ctx, g, l, stdout, stderr, mode, consoleRun{})
}

func startConsole(ctx context.Context, g *globals, l paths.Layout, stdout, stderr io.Writer, mode string, extra consoleRun) error {
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return fmt.Errorf("the console needs a terminal: run it in one (a side terminal, a tmux pane, an SSH session), or use `ony-tui serve` for a headless engine")
	}
	a, err := app.Start(ctx, app.Options{Layout: l, DefaultTaxonomy: g.build.DefaultTaxonomy, Build: g.build.Version, Mode: mode})
	if err != nil {
		return err
	}
	chain, err := newChain(a.Ledger, l)
	if err != nil {
		_ = a.Close(context.Background())
		return err
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx) }()
	if extra.after != nil {
		go extra.after(serveCtx, a)
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	m := tui.New(tui.Deps{Engine: a.Engine, Chain: chain, Socket: l.Socket, NoColor: noColor, Note: extra.note})
	_, runErr := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	waiting := len(a.Engine.Snapshot().Pending)
	stopServe()
	<-served
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Close(closeCtx); err != nil {
		return err
	}
	if waiting > 0 {
		fmt.Fprintf(stderr, "ony-tui: console stopped; %d waiting requests were denied and recorded\n", waiting)
	}
	if runErr != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", runErr)
	}
	return nil
}

// newChain builds the console's ledger view from the ledger's key and
// checkpoint files.
func newChain(led *ledger.Ledger, l paths.Layout) (*ledgerchain.Chain, error) {
	lo := app.LedgerOptions(l)
	key, err := ledger.LoadAuditKey(lo.AuditKeyFile)
	if err != nil {
		return nil, err
	}
	opts := func() (ledger.VerifyOptions, error) {
		ver, err := ledger.LoadCheckpointVerifier(lo.CheckpointVerifierFile)
		if err != nil {
			return ledger.VerifyOptions{}, err
		}
		notes, err := ledger.ReadCheckpoints(l.CheckpointDir)
		if err != nil {
			return ledger.VerifyOptions{}, err
		}
		return ledger.VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: ver}, nil
	}
	return ledgerchain.New(led, filepath.Clean(l.LedgerFile), key, opts), nil
}
