package ledger

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

var testKey = bytes.Repeat([]byte{7}, AuditKeySize)

// runVerifier feeds rows to a fresh Verifier through the stored-row path.
func runVerifier(rows []rawRow) *Verifier {
	v := NewVerifier(testKey, 1, Hash{})
	for _, r := range rows {
		v.checkRaw(r.pos, r.rec, r.hash)
	}
	return v
}

// checkAgainstReference compares the Verifier with the reference verifier
// on rows and checks the Verifier's own invariants.
func checkAgainstReference(t *testing.T, rows []rawRow) {
	t.Helper()
	v := runVerifier(rows)
	verified, firstBad := refVerify(testKey, 1, Hash{}, rows)
	if got := int(v.Verified()); got != verified {
		t.Fatalf("Verified() = %d, reference %d", got, verified)
	}
	err := v.Err()
	if (err == nil) != (firstBad < 0) {
		t.Fatalf("Err() = %v, reference first bad row %d", err, firstBad)
	}
	if err != nil {
		if err.Seq != uint64(firstBad)+1 {
			t.Fatalf("Err().Seq = %d (%v), reference breaks at row %d (seq %d)", err.Seq, err, firstBad, firstBad+1)
		}
		if err.Reason == reasonNone || err.Reason == ReasonAfterBreak {
			t.Fatalf("Err() has reason %s", err.Reason)
		}
		if after := v.Seen() - v.Verified() - 1; v.BadAfter() > after {
			t.Fatalf("BadAfter %d > %d entries after the break", v.BadAfter(), after)
		}
	} else if v.BadAfter() != 0 {
		t.Fatalf("BadAfter %d without a break", v.BadAfter())
	}
	if int(v.Seen()) != len(rows) {
		t.Fatalf("Seen %d, want %d", v.Seen(), len(rows))
	}
}

func TestVerifierMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(uint64(len(t.Name())), 0x1ed9e))
	base := genuineRows(testKey, 12)
	checkAgainstReference(t, base)
	for i := 0; i < 3000; i++ {
		ops := make([]byte, 3*(1+rng.IntN(3)))
		for j := range ops {
			ops[j] = byte(rng.UintN(256))
		}
		rows := mutate(testKey, base, ops)
		t.Run("", func(t *testing.T) { checkAgainstReference(t, rows) })
		if t.Failed() {
			t.Fatalf("ops %v", ops)
		}
	}
}

// TestVerifierReasons pins how each tampering is named, on rows.
func TestVerifierReasons(t *testing.T) {
	base := genuineRows(testKey, 10)
	for _, tc := range []struct {
		name     string
		ops      []byte
		seq      uint64
		reason   Reason
		badAfter uint64
	}{
		{"edited", []byte{3, 3, 60}, 4, ReasonEdited, 0},
		{"edited prev", []byte{3, 3, 8}, 4, ReasonBrokenLink, 0},
		{"rehashed", []byte{5, 3, 0}, 4, ReasonEdited, 1},
		{"deleted", []byte{1, 4, 0}, 5, ReasonDeleted, 0},
		{"swapped", []byte{0, 4, 5}, 5, ReasonReordered, 0},
		{"duplicated", []byte{2, 4, 0}, 6, ReasonDuplicated, 0},
		{"inserted", []byte{6, 4, 1}, 5, ReasonInserted, 0},
		{"moved", []byte{7, 9, 30}, 10, ReasonReordered, 0},
		{"unknown kind", []byte{8, 9, 200}, 10, ReasonUnknownKind, 0},
		{"rewritten by a key holder", []byte{8, 6, 1}, 8, ReasonBrokenLink, 0}, // entry 7 re-hashed: only the next link shows it
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := runVerifier(mutate(testKey, base, tc.ops))
			err := v.Err()
			if err == nil || err.Seq != tc.seq || err.Reason != tc.reason || v.BadAfter() != tc.badAfter {
				t.Fatalf("got %v (bad after %d), want %s at %d with %d bad after", err, v.BadAfter(), tc.reason, tc.seq, tc.badAfter)
			}
		})
	}
}

func TestVerifierWrongKey(t *testing.T) {
	rows := genuineRows(testKey, 5)
	v := NewVerifier(bytes.Repeat([]byte{8}, AuditKeySize), 1, Hash{})
	for _, r := range rows {
		v.checkRaw(r.pos, r.rec, r.hash)
	}
	err := v.Err()
	if err == nil || err.Reason != ReasonWrongKey || err.Seq != 1 || !errors.Is(err, ErrWrongKey) || errors.Is(err, ErrTampered) {
		t.Fatalf("wrong key: %v", err)
	}
	// One entry alone cannot tell a wrong key from an edit.
	v = NewVerifier(bytes.Repeat([]byte{8}, AuditKeySize), 1, Hash{})
	v.checkRaw(rows[0].pos, rows[0].rec, rows[0].hash)
	if err := v.Err(); err == nil || err.Reason != ReasonEdited {
		t.Fatalf("one entry under a wrong key: %v, want edited", err)
	}
	// An edited first entry followed by a good one is an edit, not a key.
	edited := mutate(testKey, rows, []byte{3, 0, 70})
	if err := runVerifier(edited).Err(); err == nil || err.Reason != ReasonEdited || err.Seq != 1 {
		t.Fatalf("edited first entry: %v, want edited at 1", err)
	}
}

// TestVerifierLive is the console's live view: entries arrive one at a time
// through Check, starting after an already verified head.
func TestVerifierLive(t *testing.T) {
	rows := genuineRows(testKey, 8)
	entries := make([]Entry, len(rows))
	for i, r := range rows {
		entries[i] = decodeRow(r.pos, r.rec, r.hash)
	}
	v := NewVerifier(testKey, 4, entries[2].Hash) // resume after entry 3
	for _, e := range entries[3:5] {
		if err := v.Check(e); err != nil {
			t.Fatalf("Check(%d): %v", e.Seq, err)
		}
	}
	bad := entries[5]
	bad.Target = "elsewhere"
	err := v.Check(bad)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Seq != 6 || ce.Reason != ReasonEdited || !errors.Is(err, ErrTampered) {
		t.Fatalf("Check(edited 6) = %v", err)
	}
	err = v.Check(entries[6])
	if !errors.As(err, &ce) || ce.Reason != ReasonAfterBreak || ce.Seq != 7 || errors.Is(err, ErrTampered) {
		t.Fatalf("Check(7) after the break = %v, want after-break", err)
	}
	if s, h := v.Head(); s != 5 || h != entries[4].Hash {
		t.Fatalf("Head() = %d %s, want 5", s, h)
	}
	if v.Verified() != 2 || v.BadAfter() != 0 || v.Err().Seq != 6 {
		t.Fatalf("verified %d bad %d err %v", v.Verified(), v.BadAfter(), v.Err())
	}
}

// TestVerifierNeverRevealsComputedHash: reporting the hash computed over
// edited content would let anyone forge entries by running verify.
func TestVerifierNeverRevealsComputedHash(t *testing.T) {
	rows := mutate(testKey, genuineRows(testKey, 4), []byte{3, 1, 70})
	computed := RecordHash(testKey, rows[1].rec)
	v := NewVerifier(testKey, 1, Hash{})
	for _, r := range rows {
		if ce := v.checkRaw(r.pos, r.rec, r.hash); ce != nil && (ce.Want == computed || ce.Got == computed) {
			t.Fatalf("ChainError %+v carries the computed hash", ce)
		}
	}
	if e := v.Err(); e.Want == computed || e.Got == computed || bytes.Contains([]byte(e.Error()), []byte(computed.String()[:8])) {
		t.Fatalf("Err() %v reveals the computed hash", e)
	}
}
