package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/guard"
	"github.com/ony-dev/ony-tui/engine/yubikey"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
)

func newPolicyCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show whether approvals need a YubiKey touch, and what changed since it was confirmed",
		Long: `With approvals.require_touch set in config.yaml, requests at or above that risk
need a YubiKey touch: the keypad alone cannot approve them. While it is on,
changes that could weaken it (turning it off or lowering it, editing
config.yaml, installing another taxonomy, enrolling or revoking a device) are
refused until a person confirms them with a touch on a YubiKey enrolled
before them; the console will not start until then. Every confirmation is
recorded in the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := g.openTools(cmd.Context())
			if err != nil {
				return err
			}
			defer t.close()
			st, cur, err := g.guardStatus(cmd.Context(), t)
			if err != nil {
				return err
			}
			printPolicy(stdout, st, cur)
			return nil
		},
	}
	confirm := &cobra.Command{
		Use:   "confirm",
		Short: "Confirm, with a touch, the changes made while touch is required",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.manage(cmd.Context(), func(t *tools) error {
				st, _, err := g.guardStatus(cmd.Context(), t)
				if err != nil {
					return err
				}
				if len(st.Pending) == 0 {
					fmt.Fprintln(stdout, "Nothing to confirm: the policy on disk is the one accepted.")
					return nil
				}
				if err := g.guarded(cmd.Context(), t, newTermPrompt(stdin, stdout), "", nil); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "Confirmed and recorded: the console starts with this policy.")
				return nil
			})
		},
	}
	cmd.AddCommand(confirm)
	return cmd
}

func printPolicy(w io.Writer, st guard.Status, cur guard.State) {
	switch {
	case cur.On():
		fmt.Fprintf(w, "touch required for %s requests (approvals.require_touch: %s)\n", levelWords(cur.RequireTouch), cur.RequireTouch)
	default:
		fmt.Fprintln(w, "touch not required: the keypad approves (a process running as you can press keys; set approvals.require_touch: high)")
	}
	if c := st.Confirmed; !c.At.IsZero() {
		fmt.Fprintf(w, "accepted %s by %s: %s\n", c.At.Local().Format(time.DateTime), c.By, c.Change)
	}
	if len(st.Pending) > 0 {
		fmt.Fprintln(w, "changed since, not confirmed (the console will not start):")
		for _, p := range st.Pending {
			fmt.Fprintln(w, "  - "+p)
		}
		fmt.Fprintln(w, "confirm with `ony-tui policy confirm` (a touch on a YubiKey enrolled before them), or undo them")
	}
}

func levelWords(rt string) string {
	if rt == "high" {
		return "high and critical"
	}
	return rt
}

// guardCurrent is the state the guard protects, as on disk now.
func (g *globals) guardCurrent(t *tools) (guard.State, error) {
	cfg, err := config.Load(t.layout.ConfigFile)
	if err != nil {
		return guard.State{}, fmt.Errorf("config: %w", err)
	}
	tax, err := app.LoadTaxonomy(t.layout, g.build.DefaultTaxonomy)
	if err != nil {
		return guard.State{}, err
	}
	return app.GuardState(t.layout, cfg, tax, t.devices)
}

// guardStatus compares the state on disk with the accepted one.
func (g *globals) guardStatus(ctx context.Context, t *tools) (guard.Status, guard.State, error) {
	cur, err := g.guardCurrent(t)
	if err != nil {
		return guard.Status{}, guard.State{}, err
	}
	anchor, err := app.GuardAnchor(ctx, t.ledger)
	if err != nil {
		return guard.Status{}, guard.State{}, err
	}
	st, err := guard.Evaluate(app.GuardStore(t.layout), anchor, cur)
	if err != nil && anchor.Found && anchor.On {
		// The accepted file is gone: the accepted state is unknown, so a
		// touch on a key enrolled now confirms the state on disk.
		prev := cur
		if !prev.On() {
			prev.RequireTouch = "high" // it was on: the ledger says so
		}
		return guard.Status{Hash: anchor.Hash, Confirmed: guard.Confirmed{State: prev}, Pending: []string{err.Error()}}, cur, nil
	}
	return st, cur, err
}

// guarded applies a change. While touch is required, it first asks for a
// touch on a YubiKey of the accepted state, signing the change (and any
// earlier unconfirmed ones), then applies it and records the new state as
// accepted. apply may be nil (confirming what is already on disk).
func (g *globals) guarded(ctx context.Context, t *tools, p *termPrompt, change string, apply func() error) error {
	st, _, err := g.guardStatus(ctx, t)
	if err != nil {
		return err
	}
	if !st.Confirmed.State.On() {
		if apply == nil {
			return nil
		}
		return apply()
	}
	all := append([]string(nil), st.Pending...)
	if change != "" {
		all = append(all, change)
	}
	desc := strings.Join(all, "; ")
	devs, err := t.devices.List()
	if err != nil {
		return err
	}
	confirmers := guard.Confirmers(st, devs)
	if len(confirmers) == 0 {
		return errors.New("touch is required, and no YubiKey of the accepted policy is still enrolled to confirm this: " +
			"enrol keys (a backup too) before require_touch is on; with every key lost, start a new Ony home")
	}
	fmt.Fprintf(p.out, "Touch is required (approvals.require_touch: %s). Confirm with a touch:\n", st.Confirmed.State.RequireTouch)
	for _, c := range all {
		fmt.Fprintln(p.out, "  - "+c)
	}
	var pin string
	for _, d := range confirmers {
		if yubikey.NeedsPIN(d) {
			if pin, err = p.secret("YubiKey PIN: "); err != nil {
				return err
			}
			break
		}
	}
	s, err := yubikey.NewKeys().Signer(ctx, confirmers, pin)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "Touch your YubiKey (serial %d) now, to confirm: it blinks for %s.\n", s.Serial(), yubikey.TouchTimeout)
	sig, err := s.SignBytes(guard.SigningBytes(st.Hash, desc))
	if err != nil {
		t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindTouchFailed, DeviceID: s.DeviceID(), Detail: "policy change not confirmed: " + err.Error()}) //nolint:errcheck // best effort: nothing was changed
		return fmt.Errorf("not confirmed, nothing changed: %w", err)
	}
	if apply != nil {
		if err := apply(); err != nil {
			return fmt.Errorf("confirmed, but the change failed (nothing was accepted): %w", err)
		}
	}
	cur, err := g.guardCurrent(t)
	if err != nil {
		return err
	}
	hash, err := guard.Accept(app.GuardStore(t.layout), st.Hash, cur, desc, s.DeviceID(), hex.EncodeToString(sig), time.Now())
	if err != nil {
		return err
	}
	if _, err := t.journal.Append(ctx, ledger.Entry{Kind: ledger.KindPolicyConfirmed, DeviceID: s.DeviceID(),
		Factors: []string{"yubikey"}, Detail: guard.Detail(hash, cur, "confirmed by touch: "+desc)}); err != nil {
		return fmt.Errorf("the change is made, but recording its confirmation failed (the console will ask again): %w", err)
	}
	return nil
}
