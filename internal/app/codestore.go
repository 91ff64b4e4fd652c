package app

import (
	"context"
	"time"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/ledger"
)

// CodeStore derives the 6-digit code path's state from the audit ledger:
// the last accepted time-step, the wrong codes of the last hour, and the
// lock. Because the ledger is the only place it is kept, a restart or a
// second process cannot reset it.
type CodeStore struct{ L *ledger.Ledger }

var _ totp.Store = CodeStore{}

// CodeState implements totp.Store.
func (s CodeStore) CodeState(ctx context.Context, now time.Time) (totp.State, error) {
	var st totp.State
	var err error
	if st.LastStep, err = s.L.MaxStep(ctx); err != nil {
		return totp.State{}, err
	}
	n, err := s.L.CountSince(ctx, ledger.KindCodeFailed, now.Add(-time.Hour))
	if err != nil {
		return totp.State{}, err
	}
	st.FailuresLastHour = n
	last, ok, err := s.L.LastOf(ctx, ledger.KindCodeLocked, ledger.KindCodeUnlocked)
	if err != nil {
		return totp.State{}, err
	}
	if ok && last.Kind == ledger.KindCodeLocked {
		st.Locked, st.LockedAt = true, last.Time
	}
	return st, nil
}
