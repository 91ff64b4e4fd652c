package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/engine/console"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/tui"
)

// consoleRun is what the console needs beyond the app: a header note (the
// demo's code) and work to start once the engine serves (the demo agent).
type consoleRun struct {
	note     func() string
	after    func(ctx context.Context, a *app.App)
	newChain bool // --new-chain: confirm at the terminal, then start a new ledger chain
}

// runConsole attaches to the engine running on this home (a service, or
// another terminal's console) and, when none runs, starts one in this
// process. With newChain it starts one (never attaches): a new ledger chain
// needs the home's engine to start.
func runConsole(ctx context.Context, g *globals, stdin io.Reader, stdout, stderr io.Writer, mode string, newChain bool) error {
	l, err := g.layout()
	if err != nil {
		return err
	}
	if err := needTerminal(); err != nil {
		return err
	}
	engineUID, err := consoleEngineUID(l)
	if err != nil {
		return err
	}
	if newChain {
		if engineUID != os.Getuid() {
			return fmt.Errorf("--new-chain starts this user's engine; the system install's ledger belongs to its engine's user (run it as that user)")
		}
		return startConsole(ctx, g, l, stdin, stdout, stderr, mode, consoleRun{newChain: true})
	}
	c, err := console.Dial(ctx, l.ConsoleSocket, console.ClientOptions{Label: consoleLabel(), Build: g.build.Version, EngineUID: engineUID})
	switch {
	case err == nil:
		return attachConsole(ctx, c, l)
	case errors.Is(err, console.ErrNoEngine) && engineUID == os.Getuid():
		return startConsole(ctx, g, l, stdin, stdout, stderr, mode, consoleRun{})
	case errors.Is(err, console.ErrNoEngine):
		return fmt.Errorf("the system install's engine is not running (no console socket at %s): start it (sudo systemctl start ony.service), then run this again", l.ConsoleSocket)
	default:
		return fmt.Errorf("attaching to the engine on %s: %w", l.ConsoleSocket, err)
	}
}

// consoleEngineUID is the uid the engine a console attaches to must run as:
// this user's own, or in a system install the engine's user (the owner of
// its state directory, which only root can have given it). Run as the
// engine's user itself, the console starts the engine in its own process
// when none runs.
func consoleEngineUID(l paths.Layout) (int, error) {
	if !l.System {
		return os.Getuid(), nil
	}
	if asEngineUser(l) == nil {
		return os.Getuid(), nil
	}
	return l.EngineUID()
}

func needTerminal() error {
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return fmt.Errorf("the console needs a terminal: run it in one (a side terminal, a tmux pane, an SSH session), or use `ony-tui serve` for a headless engine")
	}
	return nil
}

// attachConsole shows an engine that runs elsewhere. Quitting detaches:
// the engine keeps running and requests keep waiting until their deadline.
func attachConsole(ctx context.Context, c *console.Client, l paths.Layout) error {
	defer c.Close()
	_, noColor := os.LookupEnv("NO_COLOR")
	m := tui.New(tui.Deps{Engine: c, Chain: c, Socket: l.Socket, NoColor: noColor, Label: consoleLabel(), Attached: true,
		Stats: tui.StatsFunc(c.Stats)})
	if err := tui.Run(ctx, m); err != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// startConsole starts the engine in this process and shows it. Consoles in
// other terminals can attach to it while it runs; when this one quits, the
// engine stops and denies (and records) whatever still waits.
func startConsole(ctx context.Context, g *globals, l paths.Layout, stdin io.Reader, stdout, stderr io.Writer, mode string, extra consoleRun) error {
	if err := needTerminal(); err != nil {
		return err
	}
	owners, err := g.ownerUIDs()
	if err != nil {
		return err
	}
	var by string
	if extra.newChain {
		if by, err = confirmNewChain(l, stdin, stdout); err != nil {
			return err
		}
	}
	var chain *app.Chain
	a, err := app.Start(ctx, app.Options{Layout: l, DefaultTaxonomy: g.build.DefaultTaxonomy, Build: g.build.Version, Mode: mode, Owners: owners,
		NewChain: by,
		Chain: func(led *ledger.Ledger) (console.ChainSource, error) {
			var err error
			chain, err = newChain(led, l)
			return chain, err
		}})
	if err != nil {
		return startHints(err, l)
	}
	label := consoleLabel()
	_, detach := a.Engine.AttachConsole(label)
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx) }()
	if extra.after != nil {
		go extra.after(serveCtx, a)
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	m := tui.New(tui.Deps{Engine: a.Engine, Chain: chain, Socket: l.Socket, NoColor: noColor, Note: extra.note, Label: label,
		Stats: a.Stats})
	runErr := tui.Run(ctx, m)
	detach()
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

// The console's ledger pane reads the live ledger through app.Chain.
var _ tui.Chain = (*app.Chain)(nil)

// newChain builds the console's ledger view from the ledger's key and
// checkpoint files.
func newChain(led *ledger.Ledger, l paths.Layout) (*app.Chain, error) {
	src := app.LedgerOptions(l).VerifySources()
	key, err := ledger.LoadAuditKey(src.AuditKeyFile)
	if err != nil {
		return nil, err
	}
	opts := func() (ledger.VerifyOptions, error) { return ledger.LoadVerifyOptions(src) }
	return app.NewChain(led, filepath.Clean(l.LedgerFile), key, opts), nil
}
