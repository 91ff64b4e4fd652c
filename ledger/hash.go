package ledger

import (
	"encoding/hex"
	"fmt"
)

// HashSize is the size, in bytes, of a [Hash].
const HashSize = 32

// Hash is an entry hash: HMAC-SHA256 under the audit key over the entry's
// record (docs/LEDGER-FORMAT.md §3). The genesis entry's Prev is the zero
// Hash.
type Hash [HashSize]byte

// String returns h as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 8 hex digits of h followed by "…", for display.
func (h Hash) Short() string { return hex.EncodeToString(h[:4]) + "…" }

// IsZero reports whether h is all zero bytes (the genesis link).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as 64 lowercase hex digits.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, hex.EncodedLen(HashSize))
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText decodes 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != hex.EncodedLen(HashSize) {
		return fmt.Errorf("ledger.Hash.UnmarshalText: text wrong length: %d, want %d", len(b), hex.EncodedLen(HashSize))
	}
	var v Hash
	if _, err := hex.Decode(v[:], b); err != nil {
		return fmt.Errorf("ledger.Hash.UnmarshalText: %w", err)
	}
	*h = v
	return nil
}

// ParseHash decodes a hash written as 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}
