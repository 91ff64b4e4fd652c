package ledger

import (
	"fmt"
	"strings"
)

// Kind says what an entry records. Kinds are persisted inside every record
// and covered by its hash (docs/LEDGER-FORMAT.md §4).
//
// Kinds are persisted. Do NOT reorder, renumber or reuse a value; add new
// kinds at the end. The zero value is invalid.
type Kind uint8

// Valid kinds. Do NOT reorder.
const (
	KindInvalid         Kind = iota // never written
	KindRequest                     // a tool call reached the engine
	KindVerdict                     // a verdict was decided (approve or deny)
	KindAutoAllow                   // a low-risk call was allowed by policy
	KindKillEngaged                 // the kill switch was engaged
	KindKillReleased                // the kill switch was released
	KindDeviceEnrolled              // an approval device was enrolled
	KindDeviceRevoked               // an approval device was revoked
	KindCodeFailed                  // a 6-digit code was wrong
	KindCodeLocked                  // codes were locked after repeated failures
	KindCodeUnlocked                // the code lock was lifted
	KindPhonePlaced                 // a phone call was placed
	KindPhoneAnswered               // a phone call was answered
	KindPhoneFailed                 // a phone call failed or was not answered
	KindConsoleStarted              // the console started
	KindConsoleStopped              // the console stopped
	KindTaxonomyLoaded              // a taxonomy was loaded (Detail holds its hash)
	KindAwayChanged                 // the owner's away setting changed
	KindPhoneEnded                  // an answered phone call ended
	KindChainStarted                // a new chain was started deliberately; Detail names the previous head
	KindTouchRequested              // a YubiKey was asked to sign an approval (waits for a touch)
	KindTouchFailed                 // a YubiKey signature was not made (no touch, card missing, ...)
	KindPolicyConfirmed             // the touch-required policy state was accepted (by a touch, or as a strengthening)
	KindAnswerForgotten             // a standing answer (remembered for an agent session) was forgotten

	kindEnd // one past the last valid kind; not persisted
)

// name returns the stable name of a known kind, "" otherwise.
func (k Kind) name() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindRequest:
		return "request"
	case KindVerdict:
		return "verdict"
	case KindAutoAllow:
		return "auto-allow"
	case KindKillEngaged:
		return "kill-engaged"
	case KindKillReleased:
		return "kill-released"
	case KindDeviceEnrolled:
		return "device-enrolled"
	case KindDeviceRevoked:
		return "device-revoked"
	case KindCodeFailed:
		return "code-failed"
	case KindCodeLocked:
		return "code-locked"
	case KindCodeUnlocked:
		return "code-unlocked"
	case KindPhonePlaced:
		return "phone-placed"
	case KindPhoneAnswered:
		return "phone-answered"
	case KindPhoneFailed:
		return "phone-failed"
	case KindConsoleStarted:
		return "console-started"
	case KindConsoleStopped:
		return "console-stopped"
	case KindTaxonomyLoaded:
		return "taxonomy-loaded"
	case KindAwayChanged:
		return "away-changed"
	case KindPhoneEnded:
		return "phone-ended"
	case KindChainStarted:
		return "chain-started"
	case KindTouchRequested:
		return "touch-requested"
	case KindTouchFailed:
		return "touch-failed"
	case KindPolicyConfirmed:
		return "policy-confirmed"
	case KindAnswerForgotten:
		return "answer-forgotten"
	}
	return ""
}

// Kinds lists every valid kind in numeric order.
func Kinds() []Kind {
	ks := make([]Kind, 0, kindEnd-1)
	for k := KindInvalid + 1; k < kindEnd; k++ {
		ks = append(ks, k)
	}
	return ks
}

// Valid reports whether k is a kind this build knows. A ledger written by a
// newer build may hold kinds this one does not know.
func (k Kind) Valid() bool { return k > KindInvalid && k < kindEnd }

// String returns the kind's stable name, or "kind?<n>" for an unknown value.
func (k Kind) String() string {
	if n := k.name(); n != "" {
		return n
	}
	return fmt.Sprintf("kind?<%d>", uint8(k))
}

// ParseKind returns the kind with the given name (as printed by String).
func ParseKind(s string) (Kind, error) {
	for k := KindInvalid + 1; k < kindEnd; k++ {
		if k.name() == s {
			return k, nil
		}
	}
	return KindInvalid, fmt.Errorf("ledger: unknown kind %q (want one of %s)", s, kindList())
}

func kindList() string {
	names := make([]string, 0, kindEnd-1)
	for k := KindInvalid + 1; k < kindEnd; k++ {
		names = append(names, k.name())
	}
	return strings.Join(names, ", ")
}

// MarshalText encodes k as its name. An unknown kind encodes as "kind?<n>".
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name. It accepts "kind?<n>" for any n, so
// that output of a newer build can be read back.
func (k *Kind) UnmarshalText(b []byte) error {
	s := string(b)
	var n uint8
	if _, err := fmt.Sscanf(s, "kind?<%d>", &n); err == nil && s == fmt.Sprintf("kind?<%d>", n) {
		*k = Kind(n)
		return nil
	}
	v, err := ParseKind(s)
	if err != nil {
		return err
	}
	*k = v
	return nil
}
