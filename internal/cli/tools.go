package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

// tools are the parts the management commands need, opened without taking
// the engine's lock: they work whether or not the console is running (the
// ledger takes appends from several processes).
type tools struct {
	layout  paths.Layout
	devices *device.Registry
	ledger  *ledger.Ledger
	journal app.Journal
}

func (g *globals) openTools(ctx context.Context) (*tools, error) {
	l, err := g.layout()
	if err != nil {
		return nil, err
	}
	if l.System {
		if err := asEngineUser(l); err != nil {
			return nil, err
		}
		syscall.Umask(0o077)
		if _, err := l.EnsureSystemDirs(); err != nil {
			return nil, err
		}
	} else if err := l.EnsureDirs(); err != nil {
		return nil, err
	}
	led, err := app.OpenLedger(ctx, l)
	if err != nil {
		return nil, err
	}
	return &tools{layout: l, devices: deviceRegistry(l), ledger: led, journal: app.Journal{L: led}}, nil
}

func (t *tools) close() error { return t.ledger.Close() }

// errNoTerminal refuses management commands outside a terminal: devices,
// codes and unlocking are decided by a person at the console's terminal,
// never by a program or over the hook socket.
var errNoTerminal = errors.New("this command must be run by a person at a terminal (stdin is not a terminal)")

func requireTerminal() error {
	if !term.IsTerminal(os.Stdin.Fd()) {
		return errNoTerminal
	}
	return nil
}

// useColor reports whether colour output is allowed (NO_COLOR unset and
// stdout a terminal).
func useColor() bool {
	_, no := os.LookupEnv("NO_COLOR")
	return !no && term.IsTerminal(os.Stdout.Fd())
}

func hostLabel() string {
	u := os.Getenv("USER")
	h, _ := os.Hostname()
	switch {
	case u != "" && h != "":
		return fmt.Sprintf("%s@%s", u, h)
	case h != "":
		return h
	default:
		return "console"
	}
}

// deviceRegistry opens a layout's registry. Read as another user than the
// engine's (the owner listing devices), a system install's registry is the
// engine user's public one; changes need that user (asEngineUser).
func deviceRegistry(l paths.Layout) *device.Registry {
	if l.System {
		if uid, err := l.EngineUID(); err == nil {
			return device.OpenWith(l.DevicesFile, l.KeysDir, nil, device.Access{Owner: uid, Shared: true})
		}
	}
	return app.Registry(l, nil)
}

// manage runs fn for a management command: only at a terminal, with the
// tools open, closing them afterwards.
func (g *globals) manage(ctx context.Context, fn func(*tools) error) error {
	if err := requireTerminal(); err != nil {
		return err
	}
	t, err := g.openTools(ctx)
	if err != nil {
		return err
	}
	defer t.close()
	return fn(t)
}
