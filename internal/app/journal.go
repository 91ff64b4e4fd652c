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
func (j Journal) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	out, err := j.L.Append(ctx, e)
	if err != nil {
		return 0, fmt.Errorf("recording %s: %w", e.Kind, err)
	}
	return out.Seq, nil
}
