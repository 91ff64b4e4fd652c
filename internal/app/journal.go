package app

import (
	"context"
	"fmt"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/ledger"
)

// Journal records engine events in the audit ledger.
type Journal struct{ L *ledger.Ledger }

var _ engine.Journal = Journal{}

// Append implements engine.Journal: it returns only after the entry is
// durably committed.
func (j Journal) Append(ctx context.Context, r engine.Record) (uint64, error) {
	kind, err := ledger.ParseKind(string(r.Kind))
	if err != nil {
		return 0, fmt.Errorf("recording %s: %w", r.Kind, err)
	}
	e, err := j.L.Append(ctx, ledger.Entry{
		Kind: kind, RequestID: r.RequestID, SessionID: r.SessionID, Harness: r.Harness,
		Action: r.Action, Target: r.Target, Risk: r.Risk, RiskHint: r.RiskHint, Decision: r.Decision,
		DeviceID: r.DeviceID, Factors: r.Factors, RequestDigest: r.RequestDigest, Step: r.Step, Detail: r.Detail,
	})
	if err != nil {
		return 0, err
	}
	return e.Seq, nil
}
