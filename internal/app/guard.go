package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/guard"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/ledger"
)

// GuardStore is where the accepted touch-required policy is kept.
func GuardStore(l paths.Layout) guard.Store {
	return guard.Store{Path: filepath.Join(l.StateDir, "policy.json")}
}

// GuardState is the state approvals.require_touch protects, as on disk now.
func GuardState(l paths.Layout, cfg config.Config, tax *Taxonomy, reg *device.Registry) (guard.State, error) {
	b, err := os.ReadFile(l.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = nil, nil
	}
	if err != nil {
		return guard.State{}, fmt.Errorf("reading config: %w", err)
	}
	devs, err := reg.List()
	if err != nil {
		return guard.State{}, err
	}
	var actions []guard.Action
	for _, a := range tax.Actions() {
		actions = append(actions, guard.Action{ID: a.ID, Risk: a.Risk.String()})
	}
	level := ""
	if cfg.RequireTouch.Valid() {
		level = cfg.RequireTouch.String()
	}
	return guard.Current(b, level, tax.SHA256(), actions, devs), nil
}

// GuardAnchor reads the ledger's newest policy-confirmed entry.
func GuardAnchor(ctx context.Context, led *ledger.Ledger) (guard.Anchored, error) {
	e, ok, err := led.LastOf(ctx, ledger.KindPolicyConfirmed)
	if err != nil || !ok {
		return guard.Anchored{}, err
	}
	return guard.ParseDetail(e.Detail)
}

// checkGuard refuses to start while the touch-required policy was weakened
// without a touch, and accepts (and records) touch being turned on.
func (a *App) checkGuard(ctx context.Context, now func() time.Time) error {
	cur, err := GuardState(a.Layout, a.Config, a.Taxonomy, a.Devices)
	if err != nil {
		return err
	}
	anchor, err := GuardAnchor(ctx, a.Ledger)
	if err != nil {
		return fmt.Errorf("reading the accepted policy from the ledger: %w", err)
	}
	store := GuardStore(a.Layout)
	st, err := guard.Evaluate(store, anchor, cur)
	if err != nil {
		return err
	}
	if len(st.Pending) > 0 {
		return &guard.ErrChanged{Changes: st.Pending}
	}
	if st.Accept == "" {
		return nil
	}
	if len(cur.YubiKeys()) == 0 {
		return errors.New("approvals.require_touch is on, but no YubiKey is enrolled: enrol one first (ony-tui enroll yubikey), or turn it off in config.yaml")
	}
	hash, err := guard.Accept(store, st.Hash, cur, st.Accept, "engine", "", now())
	if err != nil {
		return err
	}
	_, err = a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindPolicyConfirmed, Detail: guard.Detail(hash, cur, st.Accept)})
	if err != nil {
		return fmt.Errorf("recording the accepted policy: %w", err)
	}
	return nil
}
