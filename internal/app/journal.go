package app

import (
	"context"
	"fmt"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/ledger"
)

// Journal records engine events in the audit ledger.
type Journal struct{ L *ledger.Ledger }

var _ engine.Journal = Journal{}

// Append implements engine.Journal: it returns only after the entry is
// durably committed. Whoever wrote the entry (the engine, the code
// verifier, the phone), its target, hint and detail are redacted once more
// here (package redact), so no entry kind can carry a secret into the
// ledger.
func (j Journal) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	e.Target, e.RiskHint, e.Detail = redact.String(e.Target), redact.String(e.RiskHint), redact.String(e.Detail)
	out, err := j.L.Append(ctx, e)
	if err != nil {
		return 0, fmt.Errorf("recording %s: %w", e.Kind, err)
	}
	return out.Seq, nil
}
