package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/console"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
	"github.com/ony-dev/ony-tui/internal/app"
)

func newRulesCmd(g *globals, stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List what Ony remembers: answers for agent sessions, and the programs you classified",
		Long: `Lists what the owner taught Ony at the console (R on a held request):

  answers   "this exact call" or "this action on this target", for one agent
            session, kept by the running engine until it stops (ids a-…);
  overlay   programs classified in the taxonomy overlay
            (taxonomy.overlay.yaml beside the taxonomy; ids owner.…).

Answers come from the engine running on this home, over the console socket;
the overlay's rules from the file when no engine runs. ` + "`rules forget ID`" + ` forgets
one. Nothing here can be added from the command line: only a key pressed at
a console remembers.`,
		Example: `  ony-tui rules
  ony-tui rules --json
  ony-tui rules forget a-1b2c3d
  ony-tui rules forget owner.webctl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			r, err := remembered(ctx, g, l)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return r.print(stdout)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	forget := &cobra.Command{
		Use:   "forget ID",
		Short: "Forget a remembered answer (a-…) or an overlay rule (owner.…)",
		Long: `Forgets one answer of an agent session (the engine asks again from now on), or
removes a rule from the taxonomy overlay (the program is unknown, so critical,
again). A running engine reloads the overlay and records its new hash in the
ledger; with no engine running, the file is edited and the next engine loads it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			return forgetRule(ctx, g, l, args[0], stdout)
		},
	}
	cmd.AddCommand(forget)
	return cmd
}

// rememberedList is what `rules` shows.
type rememberedList struct {
	Engine  bool          `json:"engine"` // an engine runs: answers are its
	Answers []answerJSON  `json:"answers"`
	Overlay string        `json:"overlay"`
	Rules   []overlayJSON `json:"rules"`
}

type answerJSON struct {
	ID        string    `json:"id"`
	Scope     string    `json:"scope"`
	Harness   string    `json:"harness"`
	Session   string    `json:"session"`
	Covers    string    `json:"covers"`
	Risk      string    `json:"risk"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	RequestID string    `json:"request_id"`
	Uses      int       `json:"uses"`
}

type overlayJSON struct {
	ID       string   `json:"id"`
	Programs []string `json:"programs"`
	Risk     string   `json:"risk"`
	Title    string   `json:"title"`
	Line     int      `json:"line"`
	Comment  string   `json:"comment"`
}

// dialRules attaches to the engine on this home; nil, nil when none runs.
func dialRules(ctx context.Context, g *globals, l paths.Layout) (*console.Client, error) {
	uid, err := consoleEngineUID(l)
	if err != nil {
		return nil, err
	}
	c, err := console.Dial(ctx, l.ConsoleSocket, console.ClientOptions{Label: "ony-tui rules, " + consoleLabel(), Build: g.build.Version, EngineUID: uid})
	if errors.Is(err, console.ErrNoEngine) {
		return nil, nil
	}
	return c, err
}

func remembered(ctx context.Context, g *globals, l paths.Layout) (rememberedList, error) {
	out := rememberedList{Overlay: l.OverlayFile, Answers: []answerJSON{}, Rules: []overlayJSON{}}
	c, err := dialRules(ctx, g, l)
	if err != nil {
		return out, err
	}
	var rules []engine.OverlayRule
	if c != nil {
		defer c.Close()
		out.Engine = true
		as, rs, err := c.Remembered(ctx)
		if err != nil {
			return out, fmt.Errorf("asking the engine: %w", err)
		}
		for _, a := range as {
			out.Answers = append(out.Answers, answerJSON{ID: a.ID, Scope: a.Scope.String(), Harness: a.Harness, Session: a.Session,
				Covers: a.Describe(), Risk: a.Risk.String(), At: a.At, By: a.By, RequestID: a.RequestID, Uses: a.Uses})
		}
		rules = rs
	} else {
		tax, err := app.LoadTaxonomy(l, g.build.DefaultTaxonomy)
		if err != nil {
			return out, err
		}
		if rules, err = tax.Rules(ctx); err != nil {
			return out, err
		}
	}
	for _, r := range rules {
		out.Rules = append(out.Rules, overlayJSON{ID: r.ID, Programs: r.Programs, Risk: r.Risk.String(), Title: r.Title, Line: r.Line, Comment: r.Comment})
	}
	return out, nil
}

func (r rememberedList) print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch {
	case !r.Engine:
		fmt.Fprintln(tw, "answers for agent sessions: none (no engine is running on this home; they live in a running engine)")
	case len(r.Answers) == 0:
		fmt.Fprintln(tw, "answers for agent sessions: none (R at a console remembers one)")
	default:
		fmt.Fprintln(tw, "answers for agent sessions (until the engine stops):")
		fmt.Fprintln(tw, "  ID\tSESSION\tHARNESS\tCOVERS\tUP TO\tGIVEN\tBY\tUSED")
		for _, a := range r.Answers {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", a.ID, a.Session, a.Harness, a.Covers, a.Risk, a.At.Local().Format("15:04"), orNone(a.By), a.Uses)
		}
	}
	if len(r.Rules) == 0 {
		fmt.Fprintf(tw, "overlay rules: none (%s)\n", r.Overlay)
	} else {
		fmt.Fprintf(tw, "overlay rules (%s):\n", r.Overlay)
		fmt.Fprintln(tw, "  ID\tPROGRAMS\tRISK\tLINE\tTITLE")
		for _, o := range r.Rules {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", o.ID, strings.Join(o.Programs, ","), o.Risk, o.Line, o.Title)
		}
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func forgetRule(ctx context.Context, g *globals, l paths.Layout, id string, stdout io.Writer) error {
	overlay := strings.HasPrefix(id, taxonomy.OverlayPrefix)
	c, err := dialRules(ctx, g, l)
	if err != nil {
		return err
	}
	if c != nil {
		defer c.Close()
		if overlay {
			r, err := c.ForgetRule(ctx, id)
			if err != nil {
				return fmt.Errorf("forgetting %s: %w", id, err)
			}
			fmt.Fprintf(stdout, "forgot %s: %s is unknown (critical) again; the engine reloaded the overlay\n", r.ID, strings.Join(r.Programs, ", "))
			return nil
		}
		a, err := c.Forget(ctx, id)
		if err != nil {
			return fmt.Errorf("forgetting %s: %w", id, err)
		}
		fmt.Fprintf(stdout, "forgot %s: %s in session %s is asked again\n", a.ID, a.Describe(), a.Session)
		return nil
	}
	if !overlay {
		return fmt.Errorf("no engine is running on this home, so it remembers no answers (they end with the engine): nothing to forget")
	}
	if l.System && os.Getuid() != 0 {
		return fmt.Errorf("the system install's overlay (%s) is root's: run this as root", l.OverlayFile)
	}
	tax, err := app.LoadTaxonomy(l, g.build.DefaultTaxonomy)
	if err != nil {
		return err
	}
	_, gone, err := app.RemoveOverlayRule(tax.Taxonomy, l.OverlayFile, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forgot %s: %s is unknown (critical) again from the next engine start (%s)\n", gone.ID, strings.Join(gone.Programs, ", "), l.OverlayFile)
	return nil
}
