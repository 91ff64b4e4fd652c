package ledger

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzDecodeRecord: a record DecodeRecord accepts re-encodes to the same
// bytes, and decoding is total (never panics).
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range genuineRows(testKey, 3) {
		f.Add(r.rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		e, err := DecodeRecord(rec)
		if err != nil {
			return
		}
		if got := AppendRecord(nil, &e); !bytes.Equal(got, rec) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", got, rec)
		}
		if s := recordStep(rec); s != e.Step {
			t.Fatalf("recordStep = %d, DecodeRecord says %d", s, e.Step)
		}
		back, err := DecodeRecord(AppendRecord(nil, &e))
		if err != nil || back.Seq != e.Seq || back.Detail != e.Detail || len(back.Factors) != len(e.Factors) {
			t.Fatalf("second decode: %+v, %v", back, err)
		}
	})
}

// FuzzVerifierRows feeds arbitrary stored rows to the Verifier (through the
// row path and through Check on decoded entries): it must never panic, and
// must agree with the reference verifier.
func FuzzVerifierRows(f *testing.F) {
	var seed []byte
	for _, r := range genuineRows(testKey, 3) {
		seed = appendFuzzRow(seed, r)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows := parseFuzzRows(data)
		checkAgainstReference(t, rows)
		v := NewVerifier(testKey, 1, Hash{})
		for _, r := range rows {
			_ = v.Check(decodeRow(r.pos, r.rec, r.hash))
		}
		_ = v.Err()
	})
}

// FuzzVerifierDifferential tampers with a genuine chain as directed by ops
// (see mutate) and compares the Verifier with the reference verifier.
func FuzzVerifierDifferential(f *testing.F) {
	f.Add([]byte{3, 3, 60})
	f.Add([]byte{0, 4, 5, 1, 7, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 30 {
			return
		}
		checkAgainstReference(t, mutate(testKey, genuineRows(testKey, 10), ops))
	})
}

// Fuzz row encoding: u16 position, u16 record length, record, then the hash
// length byte and hash.
func appendFuzzRow(b []byte, r rawRow) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(r.pos))
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.rec)))
	b = append(b, r.rec...)
	b = append(b, byte(len(r.hash)))
	return append(b, r.hash...)
}

func parseFuzzRows(data []byte) []rawRow {
	var rows []rawRow
	for len(data) >= 4 && len(rows) < 64 {
		pos := binary.BigEndian.Uint16(data)
		n := int(binary.BigEndian.Uint16(data[2:]))
		data = data[4:]
		if n > len(data) {
			n = len(data)
		}
		r := rawRow{pos: uint64(pos), rec: data[:n]}
		data = data[n:]
		if len(data) > 0 {
			hn := min(int(data[0]), len(data)-1)
			r.hash = data[1 : 1+hn]
			data = data[1+hn:]
		}
		rows = append(rows, r)
	}
	return rows
}
