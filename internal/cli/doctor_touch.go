package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
)

// touch says whether approvals need a YubiKey touch (the posture), and
// whether the policy on disk is the one accepted.
func (d *doctor) touch(ctx context.Context, cfg config.Config) {
	reg := deviceRegistry(d.l)
	ds, _ := reg.List()
	keys := 0
	for _, x := range ds {
		if x.Kind == device.KindYubiKey && x.Active() {
			keys++
		}
	}
	if !cfg.RequireTouch.Valid() {
		text := "touch not required: the keypad approves, and a process running as you can press keys"
		if keys > 0 {
			text = fmt.Sprintf("touch not required (%d YubiKey enrolled, Y approves with it); the keypad approves too", keys)
		}
		d.add("info", "touch", text, "to require a touch: approvals: {require_touch: high} in config.yaml")
		return
	}
	if keys == 0 {
		d.add("FAIL", "touch", "approvals.require_touch is "+cfg.RequireTouch.String()+" but no YubiKey is enrolled: the console will not start", "ony-tui enroll yubikey")
		return
	}
	if _, err := os.Stat(d.l.LedgerFile); err != nil {
		d.add("ok", "touch", fmt.Sprintf("touch required for %s requests; %d YubiKeys enrolled (accepted at the next start)", levelWords(cfg.RequireTouch.String()), keys), "")
		return
	}
	t, err := d.g.openTools(ctx)
	if err != nil {
		d.add("FAIL", "touch", err.Error(), "")
		return
	}
	defer t.close()
	st, _, err := d.g.guardStatus(ctx, t)
	switch {
	case err != nil:
		d.add("FAIL", "touch", err.Error(), "ony-tui policy")
	case len(st.Pending) > 0:
		d.add("FAIL", "touch", "changed while touch is required, not confirmed (the console will not start): "+strings.Join(st.Pending, "; "), "ony-tui policy confirm")
	default:
		text := fmt.Sprintf("touch required for %s requests: the keypad alone cannot approve them; %d YubiKeys enrolled", levelWords(cfg.RequireTouch.String()), keys)
		if keys == 1 {
			d.add("warn", "touch", text+", no backup", "enrol a second YubiKey: losing the only one locks every change to the policy")
			return
		}
		d.add("ok", "touch", text, "")
	}
}
