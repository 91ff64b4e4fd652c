package tui

import (
	"context"

	"github.com/ony-dev/ony-tui/ledger/live"
)

// Chain is the audit ledger as the console shows it. The application
// implements it over the ledger package; the console only reads.
type Chain interface {
	// Latest returns the newest n entries (ascending), each already checked
	// by the live incremental verifier, and the chain status.
	Latest(ctx context.Context, n int) ([]ChainEntry, ChainStatus, error)
	// Reverify recomputes the whole chain from genesis, calling
	// progress(done, total) as it goes.
	Reverify(ctx context.Context, progress func(done, total uint64)) (ChainStatus, error)
}

// ChainEntry is one ledger entry as the live panel shows it (package
// ledger/live, which the console protocol carries too).
type ChainEntry = live.Entry

// ChainStatus summarises the chain.
type ChainStatus = live.Status
