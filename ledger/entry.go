package ledger

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits on entry fields, enforced by [Entry.Validate] before an entry is
// appended and by [DecodeRecord] when one is read (docs/LEDGER-FORMAT.md §4).
const (
	// MaxFieldLen is the longest, in bytes, any string field may be.
	MaxFieldLen = 4096
	// MaxDetailLen is the longest, in bytes, Detail may be.
	MaxDetailLen = 1024
	// MaxFactors is the most approval factors one entry may list.
	MaxFactors = 16
)

// Entry is one ledger entry. The ledger stores actions, targets, risks,
// decisions, devices and digests; it never stores raw commands, file
// contents, codes or secrets. A sensitive value appears only as a digest.
//
// Seq, Time, Prev and Hash are assigned by [Ledger.Append]; the caller fills
// the rest. The serialisation of an entry (its record) is specified in
// docs/LEDGER-FORMAT.md §4 and must never change for existing data: a new
// field needs a new record version.
type Entry struct {
	Seq  uint64    `json:"seq"`  // position in the chain, 1 for the first entry
	Time time.Time `json:"time"` // when the entry was appended (UTC, nanoseconds)
	Kind Kind      `json:"kind"`

	RequestID string `json:"request_id,omitempty"` // engine request id
	SessionID string `json:"session_id,omitempty"` // agent session id
	Harness   string `json:"harness,omitempty"`    // claude-code, codex, cursor, ...
	Action    string `json:"action,omitempty"`     // classified action, e.g. git.push
	Target    string `json:"target,omitempty"`     // classified target, e.g. origin/main
	Risk      string `json:"risk,omitempty"`       // server-assigned risk
	RiskHint  string `json:"risk_hint,omitempty"`  // the agent's hint, recorded and ignored
	Decision  string `json:"decision,omitempty"`   // approve, deny, ...
	DeviceID  string `json:"device_id,omitempty"`  // the approving or affected device

	Factors []string `json:"factors,omitempty"` // approval factors used (keypad, totp, yubikey, phone)

	// RequestDigest is the lowercase hex SHA-256 of the canonical tool call,
	// or empty.
	RequestDigest string `json:"request_digest,omitempty"`
	// Step is the TOTP time step accepted or failed, 0 if none. The engine
	// derives the last used step from it.
	Step uint64 `json:"step,omitempty"`
	// Detail is short human text with no secrets: a deny reason,
	// "sha256:<taxonomy hash>", ...
	Detail string `json:"detail,omitempty"`

	Prev Hash `json:"prev"` // Hash of the entry before, zero for seq 1
	Hash Hash `json:"hash"` // HMAC-SHA256 of this entry's record
}

// Validate reports whether e may be appended: a known kind, valid UTF-8
// strings within the length limits, at most [MaxFactors] factors, and a
// RequestDigest that is empty or 64 lowercase hex digits. It does not look
// at Seq, Time, Prev or Hash, which the ledger assigns.
func (e *Entry) Validate() error {
	if !e.Kind.Valid() {
		return fmt.Errorf("%w: kind %d is not a known kind", ErrInvalidEntry, uint8(e.Kind))
	}
	fields := [...]struct {
		name, v string
		max     int
	}{
		{"request id", e.RequestID, MaxFieldLen},
		{"session id", e.SessionID, MaxFieldLen},
		{"harness", e.Harness, MaxFieldLen},
		{"action", e.Action, MaxFieldLen},
		{"target", e.Target, MaxFieldLen},
		{"risk", e.Risk, MaxFieldLen},
		{"risk hint", e.RiskHint, MaxFieldLen},
		{"decision", e.Decision, MaxFieldLen},
		{"device id", e.DeviceID, MaxFieldLen},
		{"request digest", e.RequestDigest, MaxFieldLen},
		{"detail", e.Detail, MaxDetailLen},
	}
	for _, f := range fields {
		if err := checkField(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if len(e.Factors) > MaxFactors {
		return fmt.Errorf("%w: %d factors, at most %d allowed", ErrInvalidEntry, len(e.Factors), MaxFactors)
	}
	for i, f := range e.Factors {
		if err := checkField(fmt.Sprintf("factor %d", i), f, MaxFieldLen); err != nil {
			return err
		}
	}
	if d := e.RequestDigest; d != "" && !isLowerHex(d, 64) {
		return fmt.Errorf("%w: request digest must be 64 lowercase hex digits (a sha256), got %d characters", ErrInvalidEntry, len(d))
	}
	return nil
}

// checkField never quotes the value: it may be long, and a caller that put
// a secret in the wrong field must not see it echoed into logs.
func checkField(name, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%w: %s is %d bytes, at most %d allowed", ErrInvalidEntry, name, len(v), max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidEntry, name)
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
