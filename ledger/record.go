package ledger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"
)

// EntryDomain is the domain-separation prefix hashed before every record
// (docs/LEDGER-FORMAT.md §3). It ends in a NUL byte so that no other Ony
// domain string can be a prefix of it.
const EntryDomain = "ony-tui/ledger/entry/v1\x00"

// AuditKeySize is the size, in bytes, of the audit key.
const AuditKeySize = 32

// Fixed offsets of the record header (docs/LEDGER-FORMAT.md §4).
const (
	offSeq     = 0
	offPrev    = 8
	offTime    = 40
	offKind    = 48
	headerSize = 49 // seq, prev, time, kind
)

// errRecord is the root of every record decoding error.
var errRecord = errors.New("ledger: malformed record")

// AppendRecord appends the record of e (docs/LEDGER-FORMAT.md §4) to b and
// returns the extended slice. The record covers every field of e except
// Hash. It does not validate e; see [Entry.Validate].
func AppendRecord(b []byte, e *Entry) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	b = append(b, byte(e.Kind))
	for _, s := range [...]string{e.RequestID, e.SessionID, e.Harness, e.Action, e.Target, e.Risk, e.RiskHint, e.Decision, e.DeviceID} {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Factors)))
	for _, f := range e.Factors {
		b = appendString(b, f)
	}
	b = appendString(b, e.RequestDigest)
	b = binary.BigEndian.AppendUint64(b, e.Step)
	b = appendString(b, e.Detail)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// DecodeRecord parses a record written by [AppendRecord]. The result has
// every field but Hash set. Decoding is strict: a record DecodeRecord
// accepts re-encodes to exactly the same bytes.
func DecodeRecord(rec []byte) (Entry, error) {
	var e Entry
	if len(rec) < headerSize {
		return e, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", errRecord, len(rec), headerSize)
	}
	e.Seq = binary.BigEndian.Uint64(rec[offSeq:])
	copy(e.Prev[:], rec[offPrev:offPrev+HashSize])
	e.Time = time.Unix(0, int64(binary.BigEndian.Uint64(rec[offTime:]))).UTC()
	e.Kind = Kind(rec[offKind])
	d := decoder{b: rec, off: headerSize}
	for _, p := range [...]*string{&e.RequestID, &e.SessionID, &e.Harness, &e.Action, &e.Target, &e.Risk, &e.RiskHint, &e.Decision, &e.DeviceID} {
		*p = d.str(MaxFieldLen)
	}
	if n := d.u32(); d.err == nil {
		if n > MaxFactors {
			return e, fmt.Errorf("%w: %d factors, at most %d allowed", errRecord, n, MaxFactors)
		}
		if n > 0 {
			e.Factors = make([]string, n)
			for i := range e.Factors {
				e.Factors[i] = d.str(MaxFieldLen)
			}
		}
	}
	e.RequestDigest = d.str(MaxFieldLen)
	e.Step = d.u64()
	e.Detail = d.str(MaxDetailLen)
	if d.err != nil {
		return e, d.err
	}
	if d.off != len(rec) {
		return e, fmt.Errorf("%w: %d trailing bytes", errRecord, len(rec)-d.off)
	}
	return e, nil
}

// decoder reads length-prefixed fields; after the first error every read
// returns a zero value and the error sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if len(d.b)-d.off < n {
		d.err = fmt.Errorf("%w: field at offset %d needs %d bytes, %d left", errRecord, d.off, n, len(d.b)-d.off)
		return false
	}
	return true
}

func (d *decoder) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *decoder) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func (d *decoder) str(max int) string {
	n := d.u32()
	if d.err != nil {
		return ""
	}
	if n > uint32(max) {
		d.err = fmt.Errorf("%w: field at offset %d is %d bytes, at most %d allowed", errRecord, d.off-4, n, max)
		return ""
	}
	if !d.need(int(n)) {
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

// RecordHash returns HMAC-SHA256(key, [EntryDomain] ‖ rec), the hash of an
// entry whose record is rec (docs/LEDGER-FORMAT.md §3). Requires a key of
// [AuditKeySize] bytes.
func RecordHash(key, rec []byte) Hash {
	m := newMacer(key)
	return m.hash(rec)
}

// macer computes record hashes with one reusable HMAC state. It is not safe
// for concurrent use.
type macer struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

func newMacer(key []byte) *macer {
	if len(key) != AuditKeySize {
		panic(fmt.Sprintf("ledger: audit key is %d bytes, want %d", len(key), AuditKeySize))
	}
	return &macer{h: hmac.New(sha256.New, key)}
}

func (m *macer) hash(rec []byte) Hash {
	m.h.Reset()
	m.h.Write([]byte(EntryDomain))
	m.h.Write(rec)
	return Hash(m.h.Sum(m.sum[:0]))
}

// header is the fixed part of a record, readable without decoding the rest.
type header struct {
	seq  uint64
	prev Hash
	time int64 // Unix nanoseconds
	kind Kind
}

// parseHeader reads the fixed header of rec; ok is false when rec is too
// short to hold one.
func parseHeader(rec []byte) (h header, ok bool) {
	if len(rec) < headerSize {
		return h, false
	}
	h.seq = binary.BigEndian.Uint64(rec[offSeq:])
	copy(h.prev[:], rec[offPrev:offPrev+HashSize])
	h.time = int64(binary.BigEndian.Uint64(rec[offTime:]))
	h.kind = Kind(rec[offKind])
	return h, true
}

// recordStep returns the Step field of a record without decoding the rest;
// 0 for a record too short to hold one.
func recordStep(rec []byte) uint64 {
	off := headerSize
	skip := func() bool {
		if len(rec)-off < 4 {
			return false
		}
		n := int(binary.BigEndian.Uint32(rec[off:]))
		off += 4
		if n > len(rec)-off {
			return false
		}
		off += n
		return true
	}
	for i := 0; i < 9; i++ { // request id ... device id
		if !skip() {
			return 0
		}
	}
	if len(rec)-off < 4 {
		return 0
	}
	factors := int(binary.BigEndian.Uint32(rec[off:]))
	off += 4
	if factors > MaxFactors {
		return 0
	}
	for i := 0; i < factors+1; i++ { // the factors, then the request digest
		if !skip() {
			return 0
		}
	}
	if len(rec)-off < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(rec[off:])
}
