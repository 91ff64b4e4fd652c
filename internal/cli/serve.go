package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/console"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

func newServeCmd(g *globals, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var newChain bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the engine without a screen",
		Long: `Runs the same engine as the console, on the same socket and ledger, with no
screen. Requests that policy allows are answered; requests that need a human
wait for a console to attach (ony-tui in another terminal) or another channel
(with a phone enrolled, Ony calls at once while no console is attached), and
are denied at their deadline. Phone diagnostics go to stderr.

With --system it is the engine of a system install, run as its own user
(the systemd unit that "sudo ony-tui install --system service" writes does
that): it reads its policy from /etc/ony, keeps its keys, TOTP secret and
ledger in /var/lib/ony where the owner's user cannot read them, answers only
hooks of the owner's uid (--owner) on /run/ony/ony.sock, signs with ECDSA
keys the hook verifies from public keys, and refuses any approval that
carries no factor the agent cannot produce (a keypress alone).`,
		Example: `  ony-tui serve &
  ONY_HOME=/tmp/ony ony-tui serve
  sudo -u ony /usr/local/lib/ony/ony-tui serve --system --owner alice
  ony-tui serve --new-chain   # at a terminal: archive a lost or damaged ledger and start a new chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			owners, err := g.ownerUIDs()
			if err != nil {
				return err
			}
			var by string
			if newChain {
				if by, err = confirmNewChain(l, stdin, stdout); err != nil {
					return err
				}
			}
			a, err := app.Start(cmd.Context(), app.Options{Layout: l, DefaultTaxonomy: g.build.DefaultTaxonomy,
				Build: g.build.Version, Mode: "headless", Owners: owners, NewChain: by,
				// Consoles that attach are shown the ledger, as the
				// console that runs an engine itself shows it.
				Chain: ledgerViewOf(l),
				Logf: func(format string, args ...any) {
					fmt.Fprintf(stderr, "ony-tui: "+format+"\n", args...)
				},
				Problems: func(msg string) { fmt.Fprintf(stderr, "ony-tui: error: %s\n", msg) }})
			if err != nil {
				return startHints(err, l)
			}
			if a.Previous != nil {
				fmt.Fprintf(stderr, "ony-tui: started a new ledger chain; the earlier files are in %s\n", a.Previous.Archive)
			}
			fmt.Fprintf(stderr, "ony-tui: serving on %s (headless)\n", l.Socket)
			serr := a.Serve(cmd.Context())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := a.Close(ctx); err != nil {
				return err
			}
			fmt.Fprintln(stderr, "ony-tui: stopped; waiting requests were denied and recorded")
			return serr
		},
	}
	cmd.Flags().BoolVar(&newChain, "new-chain", false, newChainUsage)
	return cmd
}

// ledgerViewOf is the ledger view attached consoles are shown.
func ledgerViewOf(l paths.Layout) func(*ledger.Ledger) (console.ChainSource, error) {
	return func(led *ledger.Ledger) (console.ChainSource, error) { return newChain(led, l) }
}
