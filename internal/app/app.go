// Package app assembles a running Ony engine from its parts: configuration,
// taxonomy, audit ledger, device registry, code verifier, engine and socket
// server. The console, the headless server and the demo all start through
// it, so they behave the same; the CLI tools open the parts they need with
// OpenTools.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/console"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/host"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/phone"
	"github.com/ony-dev/ony-tui/engine/proctable"
	"github.com/ony-dev/ony-tui/engine/server"
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// Options configure Start.
type Options struct {
	Layout paths.Layout
	// DefaultTaxonomy is the embedded taxonomy.yaml, used unless the config
	// directory has its own.
	DefaultTaxonomy []byte
	// Build names this binary in records and pongs.
	Build string
	// Mode is recorded at start: "console", "headless" or "demo".
	Mode string
	// Chain builds the ledger view consoles attached over the console
	// socket are shown; nil shows them none.
	Chain func(*ledger.Ledger) (console.ChainSource, error)
	// Owners are the uids whose hooks the engine of a system install
	// (Layout.System) serves: the owner's user, whose agents it gates, and
	// whose consoles may attach. It must be set for a system layout and
	// left empty otherwise.
	Owners []int
	Now    func() time.Time
	// Logf receives the phone channel's diagnostics (headless mode); nil
	// discards them. Problems reach the consoles either way.
	Logf func(format string, args ...any)
	// NewChain, when not empty, starts a new ledger chain deliberately
	// (the owner confirmed it at a terminal), recording who asked (see
	// ledger.StartNewChain).
	NewChain string
	// Problems, if set, also receives the problems found after the start
	// (the ledger's background verification); the engine shows them too.
	Problems func(msg string)
}

// App is a started engine with everything it needs.
type App struct {
	Layout   paths.Layout
	Config   config.Config
	Taxonomy *Taxonomy
	Ledger   *ledger.Ledger
	Journal  Journal
	Devices  *device.Registry
	Codes    *totp.Verifier
	Engine   *engine.Engine
	Server   *server.Server
	// Consoles is the console socket: consoles in other terminals attach
	// to this engine there.
	Consoles *console.Server
	Phone    *phone.Service // calls the owner when nobody answers (phone.go)

	// Previous is the chain a deliberate new chain replaced, nil otherwise.
	Previous *ledger.PreviousChain
	// Stats keeps the figures of what the engine decided, read from the
	// ledger incrementally; the console's stats view and attached consoles
	// ask it.
	Stats *stats.Source

	lock *server.Lock
	mode string
	stop chan struct{}  // closed when the app is released
	bg   sync.WaitGroup // background work that uses the ledger (recheckGuard)
}

// Start loads and checks everything, and listens on the socket. It refuses
// to start on any problem: an invalid config or taxonomy, a ledger that
// does not match its checkpoint, another engine on the same home. It does
// not serve until Serve is called.
func Start(ctx context.Context, o Options) (_ *App, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	l := o.Layout
	sys, err := prepare(l, o.Owners)
	if err != nil {
		return nil, err
	}
	a := &App{Layout: l, mode: o.Mode, stop: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = a.release() // undo what was opened; err says why
		}
	}()
	if a.lock, err = server.AcquireLock(l.LockFile); err != nil {
		return nil, err
	}
	if a.Config, err = config.Load(l.ConfigFile); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if a.Taxonomy, err = loadTaxonomy(l, o.DefaultTaxonomy, sys.home); err != nil {
		return nil, err
	}
	if err = a.startLedger(ctx, o); err != nil {
		return nil, err
	}
	a.Journal = Journal{L: a.Ledger}
	a.Devices = Registry(l, o.Now)
	for _, k := range []device.Kind{device.KindEngine, device.KindConsole} {
		d, created, err := ensure(a.Devices, k)
		if err != nil {
			return nil, fmt.Errorf("device registry: %w", err)
		}
		if created {
			if _, err := a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindDeviceEnrolled, DeviceID: d.ID,
				Detail: string(k) + " device created"}); err != nil {
				return nil, fmt.Errorf("recording device %s: %w", d.ID, err)
			}
		}
	}
	guardLater, err := a.checkGuard(ctx, o.Now)
	if err != nil {
		return nil, err
	}
	a.Codes = totp.New(a.Devices, CodeStore{L: a.Ledger}, a.Journal, o.Now)
	a.Engine, err = engine.New(engine.Options{Classifier: a.Taxonomy, Journal: a.Journal, Devices: a.Devices,
		Config: a.Config, Codes: a.Codes, Cards: newCardChannel(), Overlay: a.Taxonomy, KillSwitchFile: l.KillSwitch, Now: o.Now, RequireFactor: l.System, HostID: host.ID()})
	if err != nil {
		return nil, err
	}
	if guardLater {
		ctx, cancel := context.WithCancel(context.Background())
		a.bg.Add(2)
		go func() { defer a.bg.Done(); <-a.stop; cancel() }()
		go func() { defer a.bg.Done(); a.recheckGuard(ctx, o.Now) }()
	}
	for _, r := range []ledger.Entry{
		{Kind: ledger.KindConsoleStarted, Detail: fmt.Sprintf("%s started (%s)", o.Mode, o.Build)},
		{Kind: ledger.KindTaxonomyLoaded, Detail: fmt.Sprintf("sha256:%s from %s", a.Taxonomy.SHA256(), a.Taxonomy.Source)},
	} {
		if _, err := a.Journal.Append(ctx, r); err != nil {
			return nil, fmt.Errorf("recording start: %w", err)
		}
	}
	if o := a.Taxonomy.Overlay(); o != nil {
		if _, err := a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindTaxonomyLoaded,
			Detail: fmt.Sprintf("overlay sha256:%s from %s (rules: %d)", o.SHA256(), o.Name(), len(o.Rules()))}); err != nil {
			return nil, fmt.Errorf("recording start: %w", err)
		}
	}
	if a.Server, err = server.Listen(l.Socket, a.Engine, server.Options{Build: o.Build, Peers: o.Owners, HookGroup: sys.hookGID}); err != nil {
		return nil, err
	}
	var chain console.ChainSource
	if o.Chain != nil {
		if chain, err = o.Chain(a.Ledger); err != nil {
			return nil, err
		}
	}
	a.Stats = stats.NewSource(a.Ledger.Since, o.Now)
	consoleOwner := os.Getuid()
	if l.System {
		consoleOwner = o.Owners[0]
	}
	if a.Consoles, err = console.Listen(l.ConsoleSocket, a.Engine, console.ServerOptions{Owner: consoleOwner, Build: o.Build, Chain: chain, Stats: a.Stats,
		HookGroup: sys.hookGID}); err != nil {
		return nil, err
	}
	a.startPhone(o)
	go a.watchFullCheck(a.Ledger, o.Problems)
	return a, nil
}

// ensure returns the active device of a kind, creating it if needed.
func ensure(reg *device.Registry, k device.Kind) (device.Device, bool, error) {
	d, err := reg.ActiveOf(k)
	if err == nil {
		return d, false, nil
	}
	if !errors.Is(err, device.ErrNotFound) {
		return device.Device{}, false, err
	}
	d, err = reg.Create(k, string(k)+" on "+hostname())
	return d, err == nil, err
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "this host"
	}
	return h
}

// Serve answers hooks until ctx ends. It then denies and records every
// waiting request first, so each waiting hook receives a signed "console
// stopped" deny rather than a closed socket, and only then stops serving.
func (a *App) Serve(ctx context.Context) error {
	serving, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	consoles := make(chan error, 1)
	go func() { done <- a.Server.Serve(serving) }()
	go func() { consoles <- a.Consoles.Serve(serving) }()
	select {
	case err := <-done:
		stop()
		<-consoles
		return err
	case <-ctx.Done():
	}
	a.Engine.Close(context.Background())
	stop()
	<-consoles
	return <-done
}

// Close denies and records every waiting request, records the stop, writes
// the final checkpoint and releases the home. It is safe to call once.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Server != nil {
		_ = a.Server.Close()
	}
	a.stopPhone()
	if a.Engine != nil {
		a.Engine.Close(ctx)
		if _, err := a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindConsoleStopped, Detail: a.mode + " stopped"}); err != nil {
			errs = append(errs, fmt.Errorf("recording stop: %w", err))
		}
	}
	if err := a.release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *App) release() error {
	var errs []error
	a.stopPhone()
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	if a.Server != nil {
		_ = a.Server.Close()
	}
	if a.Consoles != nil {
		_ = a.Consoles.Close()
	}
	a.bg.Wait()
	if a.Ledger != nil {
		if err := a.Ledger.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing ledger: %w", err))
		}
		a.Ledger = nil
	}
	if a.lock != nil {
		if err := a.lock.Release(); err != nil {
			errs = append(errs, err)
		}
		a.lock = nil
	}
	return errors.Join(errs...)
}

// LedgerOptions are the ledger's files in a layout. The device registry
// and the archive of earlier chains also show that a chain was kept here,
// so that the ledger never starts a new one silently; the ledger opens
// from its latest checkpoint and verifies the whole chain in the
// background.
func LedgerOptions(l paths.Layout) ledger.Options {
	o := ledger.DefaultOptions(l.KeysDir, l.CheckpointDir)
	o.PriorFiles = []string{l.DevicesFile, l.ArchiveDir}
	o.OpenFromCheckpoint = true
	return o
}

// OpenLedger opens (creating if needed) the ledger of a layout.
func OpenLedger(ctx context.Context, l paths.Layout) (*ledger.Ledger, error) {
	led, err := ledger.Open(ctx, l.LedgerFile, LedgerOptions(l))
	if err != nil {
		return nil, fmt.Errorf("audit ledger: %w", err)
	}
	return led, nil
}

// Taxonomy is the loaded taxonomy with where it came from, and the owner's
// overlay over it (overlay.go). It implements engine.Classifier and
// engine.Overlay.
type Taxonomy struct {
	*taxonomy.Taxonomy        // the taxonomy without the overlay
	Source             string // the user file's path, or "embedded default"
	ov                 overlayState
}

// Classify implements engine.Classifier, with the overlay.
func (t *Taxonomy) Classify(c *wire.ToolCall, from engine.Host) engine.Classification {
	origin := taxonomy.Local
	if from != engine.HostLocal {
		origin = taxonomy.Remote
	}
	r := t.Current().ClassifyFrom(c, origin)
	return engine.Classification{Action: r.Action, Title: r.Title, Risk: r.Risk, Target: r.Target, Matcher: r.Matcher,
		Writes: r.Writes, Runs: r.Runs, Program: r.Program, Mixed: r.Mixed}
}

// LoadTaxonomy loads the user's taxonomy.yaml from the config directory if
// there is one, and the embedded default otherwise. Any error stops the
// caller: Ony never runs with a lax taxonomy.
func LoadTaxonomy(l paths.Layout, embedded []byte) (*Taxonomy, error) {
	return loadTaxonomy(l, embedded, "")
}

// loadTaxonomy is LoadTaxonomy with the home directory of the user whose
// agents are gated ("" for this process's own, from HOME).
func loadTaxonomy(l paths.Layout, embedded []byte, home string) (*Taxonomy, error) {
	data, src := embedded, "embedded default"
	b, err := os.ReadFile(l.TaxonomyFile)
	switch {
	case err == nil:
		data, src = b, l.TaxonomyFile
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("reading taxonomy: %w", err)
	}
	exe, _ := os.Executable()
	vars := map[string]string{}
	if home == "" {
		// The agent's shell shares this process's environment. In a system
		// install it does not: the engine runs as its own user.
		home = os.Getenv("HOME")
		for _, k := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", paths.EnvHome} {
			if v := os.Getenv(k); v != "" {
				vars[k] = v
			}
		}
		// TMPDIR is known even when unset: ${TMPDIR:-/tmp} is then /tmp.
		vars["TMPDIR"] = os.Getenv("TMPDIR")
	}
	env := taxonomy.Env{Home: home, OnyRoots: l.Roots(), OnyBinary: exe, Vars: vars, Processes: proctable.New(l.LockFile)}
	name := src
	if src == "embedded default" {
		name = "taxonomy.yaml"
	}
	t, err := taxonomy.Load(data, name, env)
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	tax := &Taxonomy{Taxonomy: t, Source: src}
	if err := tax.loadOverlay(l); err != nil {
		return nil, err
	}
	return tax, nil
}
