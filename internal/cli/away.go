package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/console"
)

func newAwayCmd(g *globals, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "away on|off",
		Short: "Tell the running engine you are away from the consoles, or back",
		Long: `Marks the owner away (or back) on the engine that runs on this home, as w
does at the console. While away, requests that need a person go to the phone
when one is configured; without a phone they wait at the consoles until
their deadline. It talks to the engine over the console socket, which only
you may use.`,
		Example: `  ony-tui away on     # leaving the desk
  ony-tui away off    # back`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"on", "off"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var away bool
			switch args[0] {
			case "on":
				away = true
			case "off":
			default:
				return fmt.Errorf("away takes on or off, not %q", args[0])
			}
			l, err := g.layout()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			c, err := console.Dial(ctx, l.ConsoleSocket, console.ClientOptions{Label: "ony-tui away, " + consoleLabel(),
				Build: g.build.Version, EngineUID: os.Getuid()})
			if errors.Is(err, console.ErrNoEngine) {
				return fmt.Errorf("no engine is running on this home (%s): start one with `ony-tui serve` or `ony-tui`", l.ConsoleSocket)
			}
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.SetAway(ctx, away); err != nil {
				return fmt.Errorf("setting away: %w", err)
			}
			s := c.Snapshot()
			switch {
			case away && s.PhoneConfigured:
				fmt.Fprintln(stdout, "away: requests that need you go to the phone")
			case away:
				fmt.Fprintln(stdout, "away: no phone is configured, so requests wait at the consoles until their deadline")
			default:
				fmt.Fprintln(stdout, "back: requests wait for you at the consoles")
			}
			return nil
		},
	}
}
