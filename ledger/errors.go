package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on them with [errors.Is]; the engine treats
// every error from [Ledger.Append] as "not recorded" and denies.
var (
	// ErrClosed is returned by methods called after [Ledger.Close].
	ErrClosed = errors.New("ledger: closed")
	// ErrInvalidEntry wraps every reason [Entry.Validate] rejects an entry.
	ErrInvalidEntry = errors.New("ledger: invalid entry")
	// ErrTampered is matched by a [*ChainError] that shows the ledger or its
	// checkpoint was altered, and wraps Open and Append refusals caused by one.
	ErrTampered = errors.New("ledger: tampered")
	// ErrWrongKey is matched by a [*ChainError] whose reason is
	// [ReasonWrongKey], and wraps Open refusals for a key that does not fit.
	ErrWrongKey = errors.New("ledger: wrong audit key")
	// ErrCheckpoint wraps Open refusals caused by the signed checkpoint: the
	// ledger is shorter than it, does not contain it, or belongs to another
	// origin, or a checkpoint file does not verify.
	ErrCheckpoint = errors.New("ledger: checkpoint does not match the ledger")
	// ErrLocked means another connection held the write lock past the busy
	// timeout (SQLITE_BUSY or SQLITE_LOCKED).
	ErrLocked = errors.New("ledger: database is locked")
	// ErrDiskFull means the database or the disk is full (SQLITE_FULL).
	ErrDiskFull = errors.New("ledger: disk full")
	// ErrFork means an insert collided with an existing seq: two writers
	// tried to extend the same head. It should be impossible; it is reported,
	// never papered over.
	ErrFork = errors.New("ledger: fork: seq already taken")
	// ErrNotLedger means the file is not an Ony ledger, or one written by a
	// newer schema.
	ErrNotLedger = errors.New("ledger: not an ony ledger")
	// ErrNewerSchema is matched, with ErrNotLedger, by a ledger written by
	// a newer schema than this build reads.
	ErrNewerSchema = errors.New("ledger: written by a newer ony-tui")
	// ErrNoChain wraps Open refusals to start a new chain silently: the
	// ledger file is missing, empty or holds no entries and no checkpoint,
	// while key files or checkpoints show that a chain was kept here
	// before. [StartNewChain] starts one deliberately.
	ErrNoChain = errors.New("ledger: no chain to continue")
)

// Reason names why verification stopped matching at an entry or checkpoint.
// Names (String) are part of the verify JSON schema (docs/LEDGER-FORMAT.md
// §8); numeric values are not persisted.
type Reason uint8

// Reasons, in no meaningful order.
const (
	reasonNone Reason = iota
	// ReasonEdited: the entry's stored hash does not match its contents.
	ReasonEdited
	// ReasonDeleted: one or more entries are missing (a gap in seq).
	ReasonDeleted
	// ReasonInserted: a foreign entry sits before a genuine one.
	ReasonInserted
	// ReasonReordered: genuine entries are out of order or stored at the
	// wrong position.
	ReasonReordered
	// ReasonDuplicated: a genuine entry appears twice.
	ReasonDuplicated
	// ReasonBrokenLink: the entry's prev hash is not the hash of the entry
	// before it.
	ReasonBrokenLink
	// ReasonTruncated: entries after the last one were deleted; the signed
	// checkpoint covers more entries than the ledger holds.
	ReasonTruncated
	// ReasonRolledBack: the ledger is an intact older state (an older copy
	// of the file); the signed checkpoint covers more entries.
	ReasonRolledBack
	// ReasonForked: the entry at a checkpoint's size is not the one the
	// checkpoint signed; the ledger was replaced or rewritten.
	ReasonForked
	// ReasonBadCheckpointSignature: a checkpoint's signature does not verify
	// under the checkpoint verifier key: the checkpoint was altered.
	ReasonBadCheckpointSignature
	// ReasonUnknownCheckpointKey: a checkpoint is signed by a key other than
	// the given verifier key. Could not check.
	ReasonUnknownCheckpointKey
	// ReasonOtherLedger: the checkpoint names another ledger (origin).
	ReasonOtherLedger
	// ReasonUnknownKind: an authentic entry has a kind this build does not
	// know (written by a newer build). Could not check.
	ReasonUnknownKind
	// ReasonWrongKey: the first entry fails under the given audit key while
	// the chain's links are consistent. Could not check.
	ReasonWrongKey
	// ReasonAfterBreak: the entry is consistent with the stored entry before
	// it, but follows an earlier break, so it is not verified.
	ReasonAfterBreak
	// ReasonNoCheckpoint: the ledger has entries but no signed checkpoint
	// was given to compare it with, so deleted newest entries cannot be
	// ruled out. Could not check.
	ReasonNoCheckpoint
	// ReasonLedgerMissing: the ledger file does not exist (or is empty)
	// while its checkpoints or keys do: it was deleted.
	ReasonLedgerMissing
	// ReasonLedgerDamaged: the ledger file is not a readable ledger while
	// its checkpoints or keys exist: its history was destroyed.
	ReasonLedgerDamaged
)

// name returns the stable name of a reason, "" for an unknown value.
func (r Reason) name() string {
	switch r {
	case reasonNone:
		return "none"
	case ReasonEdited:
		return "edited"
	case ReasonDeleted:
		return "deleted"
	case ReasonInserted:
		return "inserted"
	case ReasonReordered:
		return "reordered"
	case ReasonDuplicated:
		return "duplicated"
	case ReasonBrokenLink:
		return "broken-link"
	case ReasonTruncated:
		return "truncated"
	case ReasonRolledBack:
		return "rolled-back"
	case ReasonForked:
		return "forked"
	case ReasonBadCheckpointSignature:
		return "bad-checkpoint-signature"
	case ReasonUnknownCheckpointKey:
		return "unknown-checkpoint-key"
	case ReasonOtherLedger:
		return "other-ledger"
	case ReasonUnknownKind:
		return "unknown-kind"
	case ReasonWrongKey:
		return "wrong-key"
	case ReasonAfterBreak:
		return "after-break"
	case ReasonNoCheckpoint:
		return "no-checkpoint"
	case ReasonLedgerMissing:
		return "ledger-missing"
	case ReasonLedgerDamaged:
		return "ledger-damaged"
	}
	return ""
}

// String returns the reason's stable name, as used in the verify JSON.
func (r Reason) String() string {
	if n := r.name(); n != "" {
		return n
	}
	return fmt.Sprintf("reason?<%d>", uint8(r))
}

// MarshalText encodes r as its name.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// CouldNotCheck reports whether r means verification could not be carried
// out (wrong key, unknown signer, newer format) rather than that tampering
// was found. verify exits 2 for these and 1 for the others.
func (r Reason) CouldNotCheck() bool {
	switch r {
	case ReasonWrongKey, ReasonUnknownCheckpointKey, ReasonUnknownKind, ReasonNoCheckpoint:
		return true
	}
	return false
}

// ChainError describes the first place a ledger stops verifying. Seq is the
// entry where the problem shows: the seq that was expected at that point of
// the chain (for a missing or misplaced entry), the entry itself, or the
// checkpoint size. Want and Got hold seqs or hashes as the reason needs; a
// hash computed over content that did not verify is never reported, so that
// verify cannot be used to forge hashes.
type ChainError struct {
	Seq    uint64
	Reason Reason
	// WantSeq and GotSeq are set when positions disagree (deleted, inserted,
	// reordered, duplicated, truncated, rolled back).
	WantSeq, GotSeq uint64
	// Want and Got are set when stored hashes disagree (broken link: the
	// previous entry's hash and this entry's prev; forked, rolled back: the
	// checkpoint's head and the ledger's). For an edited entry Got is its
	// stored hash and Want is zero.
	Want, Got Hash
	// Kind is the unknown kind, for ReasonUnknownKind.
	Kind Kind
	// Pos is the storage position of an authentic entry stored where it
	// does not belong (reordered), zero otherwise.
	Pos uint64

	// byHeadSeq marks a truncation shown by the meta table's head_seq
	// rather than by a signed checkpoint.
	byHeadSeq bool
	// anchored marks a missing or damaged ledger whose latest signed
	// checkpoint is known (WantSeq, Want); found says what the file holds.
	anchored bool
	found    string
}

// Error describes the problem in one lowercase line.
func (e *ChainError) Error() string {
	return fmt.Sprintf("ledger: entry %d: %s", e.Seq, e.Explain())
}

// Explain returns a human explanation of the problem without the entry
// number prefix.
func (e *ChainError) Explain() string {
	switch e.Reason {
	case ReasonEdited:
		return "edited: its contents do not match its stored hash " + e.Got.Short()
	case ReasonDeleted:
		return fmt.Sprintf("deleted: expected entry %d, found entry %d", e.WantSeq, e.GotSeq)
	case ReasonInserted:
		return fmt.Sprintf("inserted: a foreign entry sits before the genuine entry %d", e.WantSeq)
	case ReasonReordered:
		if e.Pos != 0 {
			return fmt.Sprintf("reordered: entry %d is stored at position %d", e.WantSeq, e.Pos)
		}
		return fmt.Sprintf("reordered: expected entry %d, found entry %d", e.WantSeq, e.GotSeq)
	case ReasonDuplicated:
		return fmt.Sprintf("duplicated: expected entry %d, found a second copy of entry %d", e.WantSeq, e.GotSeq)
	case ReasonBrokenLink:
		return fmt.Sprintf("broken link: prev hash %s is not the hash %s of entry %d", e.Got.Short(), e.Want.Short(), e.Seq-1)
	case ReasonTruncated:
		if e.byHeadSeq {
			return fmt.Sprintf("truncated: the ledger recorded %d entries (head_seq), it ends at entry %d", e.WantSeq, e.GotSeq)
		}
		return fmt.Sprintf("truncated: the signed checkpoint covers %d entries, the ledger ends at entry %d", e.WantSeq, e.GotSeq)
	case ReasonRolledBack:
		return fmt.Sprintf("rolled back: the ledger is an older copy ending at entry %d; the signed checkpoint covers %d entries", e.GotSeq, e.WantSeq)
	case ReasonForked:
		return fmt.Sprintf("forked: the signed checkpoint's head is %s, the ledger's entry %d is %s", e.Want.Short(), e.Seq, e.Got.Short())
	case ReasonBadCheckpointSignature:
		return "bad checkpoint signature: the checkpoint was altered or forged"
	case ReasonUnknownCheckpointKey:
		return "checkpoint is not signed by the given checkpoint verifier key"
	case ReasonOtherLedger:
		return "the checkpoint belongs to another ledger (origin differs)"
	case ReasonUnknownKind:
		return fmt.Sprintf("unknown kind %d: written by a newer ony-tui", uint8(e.Kind))
	case ReasonWrongKey:
		return "wrong audit key: the first entry fails under this key while the chain's links are consistent"
	case ReasonAfterBreak:
		return "not verified: follows an earlier break in the chain"
	case ReasonNoCheckpoint:
		return fmt.Sprintf("no signed checkpoint to compare its %d entries with, so deleted newest entries cannot be ruled out", e.GotSeq)
	case ReasonLedgerMissing, ReasonLedgerDamaged:
		s := "the ledger file is missing"
		if e.Reason == ReasonLedgerDamaged || e.found != "" {
			s = "the ledger file holds " + e.found
		}
		if e.anchored {
			return fmt.Sprintf("%s, but a signed checkpoint covers %d entries (head %s): its history is gone", s, e.WantSeq, e.Want.Short())
		}
		return s + ", but its audit key or checkpoints exist: its history is gone"
	}
	return e.Reason.String()
}

// Is makes errors.Is(err, ErrTampered) match tampering reasons and
// errors.Is(err, ErrWrongKey) match ReasonWrongKey.
func (e *ChainError) Is(target error) bool {
	switch target {
	case ErrTampered:
		return !e.Reason.CouldNotCheck() && e.Reason != ReasonAfterBreak
	case ErrWrongKey:
		return e.Reason == ReasonWrongKey
	}
	return false
}
