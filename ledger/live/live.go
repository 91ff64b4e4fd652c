// Package live is the ledger as a console shows it while the engine runs:
// the newest entries, each checked by the ledger's incremental verifier, and
// the chain's status. The console's ledger pane and the console protocol
// both carry these values; they hold no command or secret, only what the
// ledger itself keeps.
package live

// Entry is one ledger entry as the live pane shows it.
type Entry struct {
	Seq      uint64 `json:"seq"`
	Kind     string `json:"kind"`     // the ledger's record kind, e.g. "verdict"
	Action   string `json:"action"`   // the taxonomy action, e.g. "deploy.production"; may be empty
	Decision string `json:"decision"` // "approve", "deny" or empty
	// By says who decided a verdict or an automatic allow: auto,
	// remembered, keypad, code, touch, phone, or Ony's own timeout, kill
	// switch, policy or engine (engine/stats.Decider); empty for other
	// kinds.
	By string `json:"by"`
	// Note names the standing answer that decided an entry the engine
	// approved with one ("auto: remembered 14:02, session s-12"); empty
	// otherwise.
	Note     string `json:"note,omitempty"`
	Prev     string `json:"prev"`     // full lowercase hex of the previous entry's hash; empty or zeros for genesis
	Hash     string `json:"hash"`     // full lowercase hex
	Verified bool   `json:"verified"` // the entry verifies
	Broken   bool   `json:"broken"`   // the entry is at or after the first break
}

// Status summarises the chain.
type Status struct {
	Entries    uint64 `json:"entries"`    // entries in the ledger
	Verified   uint64 `json:"verified"`   // entries that verify
	Head       string `json:"head"`       // full lowercase hex of the newest entry's hash
	Checkpoint string `json:"checkpoint"` // the last signed checkpoint in words, e.g. "signed up to entry 1,200"; empty if none
	BreakSeq   uint64 `json:"break_seq"`  // the first entry that stops matching; 0 when intact
	// BreakReason says why the entry at BreakSeq does not verify.
	BreakReason string `json:"break_reason"`
	// AfterBreak counts the entries after the break that no longer verify.
	AfterBreak uint64 `json:"after_break"`
	// BreakMeaning says what the break means, when the ledger's own full
	// verification at start found it (before the checkpoint it opened from).
	BreakMeaning string `json:"break_meaning,omitempty"`

	// Anchor is the signed checkpoint the ledger opened from: entries up to
	// it are verified by a background pass, whose progress Checking,
	// CheckDone and CheckTotal give. 0 when the ledger verified every entry
	// at start.
	Anchor     uint64 `json:"anchor,omitempty"`
	Checking   bool   `json:"checking,omitempty"`
	CheckDone  uint64 `json:"check_done,omitempty"`
	CheckTotal uint64 `json:"check_total,omitempty"`
	// CheckFailed says why that pass could not run; empty otherwise.
	CheckFailed string `json:"check_failed,omitempty"`
}

// Broken reports whether the chain has a break.
func (s Status) Broken() bool { return s.BreakSeq != 0 }
