package tui

import "context"

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

// ChainEntry is one ledger entry as the live panel shows it. It holds no
// raw command or secret: only what the ledger itself keeps.
type ChainEntry struct {
	Seq      uint64
	Kind     string // the ledger's record kind, e.g. "verdict"
	Action   string // the taxonomy action, e.g. "deploy.production"; may be empty
	Decision string // "approve", "deny" or empty
	Prev     string // full lowercase hex of the previous entry's hash; empty or zeros for genesis
	Hash     string // full lowercase hex
	Verified bool   // the entry verifies
	Broken   bool   // the entry is at or after the first break
}

// ChainStatus summarises the chain.
type ChainStatus struct {
	Entries    uint64 // entries in the ledger
	Verified   uint64 // entries that verify
	Head       string // full lowercase hex of the newest entry's hash
	Checkpoint string // the last signed checkpoint, e.g. "size 1200 ok"; empty if none
	BreakSeq   uint64 // the first entry that stops matching; 0 when intact
	// BreakReason says why the entry at BreakSeq does not verify.
	BreakReason string
	// AfterBreak counts the entries after the break that no longer verify.
	AfterBreak uint64
}

// Broken reports whether the chain has a break.
func (s ChainStatus) Broken() bool { return s.BreakSeq != 0 }
