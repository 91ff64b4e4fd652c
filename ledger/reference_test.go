package ledger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// rawRow is one row of the entries table as stored.
type rawRow struct {
	pos       uint64
	rec, hash []byte
}

// refVerify is the reference verifier: a direct reading of
// docs/LEDGER-FORMAT.md §7, kept obviously correct and used only to test the
// real Verifier. It returns how many rows verify from the start and the
// index of the first row that does not (-1 if none).
func refVerify(key []byte, start uint64, prev Hash, rows []rawRow) (verified int, firstBad int) {
	for i, r := range rows {
		want := start + uint64(i)
		if len(r.rec) < 49 || len(r.hash) != 32 {
			return i, i
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte("ony-tui/ledger/entry/v1\x00"))
		m.Write(r.rec)
		seq := binary.BigEndian.Uint64(r.rec[0:8])
		kind := r.rec[48]
		if !hmac.Equal(m.Sum(nil), r.hash) || seq != want || r.pos != want ||
			Hash(r.rec[8:40]) != prev || kind == 0 || kind > 23 { // 23: answer-forgotten, the last kind (update with kind.go)
			return i, i
		}
		prev = Hash(r.hash)
	}
	return len(rows), -1
}

// genuineRows returns a correct chain of n rows under key, starting at seq 1.
func genuineRows(key []byte, n int) []rawRow {
	rows := make([]rawRow, 0, n)
	var prev Hash
	for i := 1; i <= n; i++ {
		e := testEntry(i)
		e.Seq, e.Prev, e.Time = uint64(i), prev, time.Unix(int64(i), 0).UTC()
		if i%3 == 0 {
			e.Kind = KindRequest
		}
		rec := AppendRecord(nil, &e)
		h := RecordHash(key, rec)
		rows = append(rows, rawRow{pos: uint64(i), rec: rec, hash: h[:]})
		prev = h
	}
	return rows
}

// mutate applies ops, three bytes each (opcode, a, b), to a copy of rows:
// the tamperings of the vectors, and arbitrary bit flips.
func mutate(key []byte, rows []rawRow, ops []byte) []rawRow {
	out := make([]rawRow, len(rows))
	for i, r := range rows {
		out[i] = rawRow{pos: r.pos, rec: append([]byte(nil), r.rec...), hash: append([]byte(nil), r.hash...)}
	}
	for len(ops) >= 3 && len(out) > 0 {
		op, a, b := ops[0]%9, int(ops[1])%len(out), int(ops[2])
		ops = ops[3:]
		switch op {
		case 0: // swap contents, keep positions
			j := b % len(out)
			out[a].rec, out[j].rec = out[j].rec, out[a].rec
			out[a].hash, out[j].hash = out[j].hash, out[a].hash
		case 1: // delete
			out = append(out[:a], out[a+1:]...)
		case 2: // duplicate after itself, shifting positions
			dup := rawRow{pos: out[a].pos + 1, rec: out[a].rec, hash: out[a].hash}
			rest := append([]rawRow{dup}, out[a+1:]...)
			for k := 1; k < len(rest); k++ {
				rest[k].pos++
			}
			out = append(out[:a+1], rest...)
		case 3: // flip a bit of the record
			if len(out[a].rec) > 0 {
				out[a].rec[b%len(out[a].rec)] ^= 1 << (b % 8)
			}
		case 4: // set the seq inside the record
			if len(out[a].rec) >= 8 {
				binary.BigEndian.PutUint64(out[a].rec, uint64(b))
			}
		case 5: // replace the stored hash
			out[a].hash[b%32] ^= 0x80
		case 6: // insert a forged entry (random hash) before a
			f := append([]byte(nil), out[a].rec...)
			forged := rawRow{pos: out[a].pos, rec: f, hash: make([]byte, 32)}
			forged.hash[0] = byte(b)
			for k := a; k < len(out); k++ {
				out[k].pos++
			}
			out = append(out[:a], append([]rawRow{forged}, out[a:]...)...)
		case 7: // move to another position
			out[a].pos = uint64(b)
		case 8: // re-hash with the real key (a newer writer, or a key holder)
			if len(out[a].rec) > offKind {
				out[a].rec[offKind] = byte(b)
			}
			h := RecordHash(key, out[a].rec)
			out[a].hash = h[:]
		}
	}
	return out
}
