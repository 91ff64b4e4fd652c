package vectorgen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ony-dev/ony-tui/ledger"
)

// Case is one tamper vector. The expectations are written by hand from the
// format spec (docs/LEDGER-FORMAT.md §7, §9).
type Case struct {
	Name string
	Desc string
	// WantSeq and WantReason are the first problem verify must report
	// (Report.Problem); WantReason is "" for an intact ledger.
	WantSeq    uint64
	WantReason string
	// WantExit is the exit code of ony-tui verify: 0 intact, 1 tampered,
	// 2 could not check.
	WantExit int
	// OpenRefuses says ledger.Open, with the real keys, must refuse the
	// result: Open verifies the whole ledger and its checkpoints.
	OpenRefuses bool

	build func(context.Context, Layout) error
	// verifyKey, if set, names the audit key file (in the layout's
	// directory) verify must use instead of the real one.
	verifyKey string
}

// Cases returns every tamper vector. The base ledger has 20 entries and
// checkpoints at sizes 0, 10 and 20.
func Cases() []Case {
	return []Case{
		{Name: "intact", Desc: "happy path", build: base},
		{Name: "empty", Desc: "no entries, checkpoint of size 0", build: func(ctx context.Context, l Layout) error {
			return AppendSample(ctx, l, 1, 0)
		}},
		{Name: "edited-first", Desc: "action of entry 1 changed", WantSeq: 1, WantReason: "edited", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				return editEntry(db, 1, func(e *ledger.Entry) { e.Action = "fs.read" })
			})},
		{Name: "edited-middle", Desc: "target of entry 10 changed", WantSeq: 10, WantReason: "edited", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				return editEntry(db, 10, func(e *ledger.Entry) { e.Target = "origin/main" })
			})},
		{Name: "edited-last", Desc: "risk of entry 20 changed from low to critical", WantSeq: 20, WantReason: "edited", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				return editEntry(db, 20, func(e *ledger.Entry) { e.Risk = "critical" })
			})},
		{Name: "edited-prev", Desc: "one bit of entry 7's prev hash flipped", WantSeq: 7, WantReason: "broken-link", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				return editEntry(db, 7, func(e *ledger.Entry) { e.Prev[0] ^= 0x01 })
			})},
		{Name: "rehashed", Desc: "stored hash of entry 13 replaced", WantSeq: 13, WantReason: "edited", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`UPDATE entries SET hash = ? WHERE seq = 13`, randomBytes(32))
				return err
			})},
		{Name: "deleted-middle", Desc: "entry 12 deleted", WantSeq: 12, WantReason: "deleted", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`DELETE FROM entries WHERE seq = 12`)
				return err
			})},
		{Name: "deleted-last", Desc: "entries 18 to 20 deleted", WantSeq: 18, WantReason: "truncated", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`DELETE FROM entries WHERE seq >= 18`)
				return err
			})},
		{Name: "deleted-all", Desc: "every entry deleted", WantSeq: 1, WantReason: "truncated", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`DELETE FROM entries`)
				return err
			})},
		{Name: "inserted", Desc: "a forged entry inserted before entry 5", WantSeq: 5, WantReason: "inserted", WantExit: 1, OpenRefuses: true,
			build: tamper(insertForged)},
		{Name: "swapped", Desc: "entries 8 and 9 swapped", WantSeq: 8, WantReason: "reordered", WantExit: 1, OpenRefuses: true,
			build: tamper(swap89)},
		{Name: "duplicated", Desc: "entry 6 stored a second time after itself", WantSeq: 7, WantReason: "duplicated", WantExit: 1, OpenRefuses: true,
			build: tamper(duplicate6)},
		{Name: "moved", Desc: "entry 20 renumbered to position 25", WantSeq: 20, WantReason: "reordered", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`UPDATE entries SET seq = 25 WHERE seq = 20`)
				return err
			})},
		{Name: "garbage", Desc: "record of entry 3 replaced by random bytes", WantSeq: 3, WantReason: "edited", WantExit: 1, OpenRefuses: true,
			build: tamper(func(db *sql.DB) error {
				_, err := db.Exec(`UPDATE entries SET rec = ? WHERE seq = 3`, randomBytes(120))
				return err
			})},
		{Name: "rolled-back", Desc: "ledger file replaced by its copy from entry 10", WantSeq: 11, WantReason: "rolled-back", WantExit: 1, OpenRefuses: true,
			build: rollBack},
		{Name: "forked", Desc: "copy from entry 10 extended differently to 25 entries", WantSeq: 20, WantReason: "forked", WantExit: 1, OpenRefuses: true,
			build: fork},
		{Name: "checkpoint-forged", Desc: "head line of the latest checkpoint changed", WantSeq: 20, WantReason: "bad-checkpoint-signature", WantExit: 1, OpenRefuses: true,
			build: forgeCheckpoint},
		{Name: "checkpoint-other-key", Desc: "latest checkpoint re-signed by another key of the same name", WantSeq: 20, WantReason: "unknown-checkpoint-key", WantExit: 2, OpenRefuses: true,
			build: resignCheckpoint},
		{Name: "wrong-key", Desc: "verified with another audit key", WantSeq: 1, WantReason: "wrong-key", WantExit: 2,
			build: wrongKey, verifyKey: otherKeyFile},
		{Name: "unknown-kind", Desc: "entry 21 of kind 200, hashed with the real key", WantSeq: 21, WantReason: "unknown-kind", WantExit: 2, OpenRefuses: true,
			build: unknownKind},
		{Name: "no-checkpoints", Desc: "the checkpoint directory emptied", WantSeq: 20, WantReason: "no-checkpoint", WantExit: 2, OpenRefuses: true,
			build: func(ctx context.Context, l Layout) error {
				if err := base(ctx, l); err != nil {
					return err
				}
				return emptyDir(l.CheckpointDir)
			}},
		{Name: "truncated-no-checkpoints", Desc: "entries 18 to 20 deleted and the checkpoint directory emptied: head_seq still says 20",
			WantSeq: 18, WantReason: "truncated", WantExit: 1, OpenRefuses: true,
			build: func(ctx context.Context, l Layout) error {
				if err := tamper(deleteFrom(18))(ctx, l); err != nil {
					return err
				}
				return emptyDir(l.CheckpointDir)
			}},
		{Name: "truncated-head-seq-lowered", Desc: "entries 18 to 20 deleted, head_seq set to 17 and the checkpoint directory emptied: nothing left shows it",
			WantSeq: 17, WantReason: "no-checkpoint", WantExit: 2, OpenRefuses: true,
			build: func(ctx context.Context, l Layout) error {
				err := tamper(func(db *sql.DB) error {
					if err := deleteFrom(18)(db); err != nil {
						return err
					}
					_, err := db.Exec(`UPDATE meta SET value = '17' WHERE key = 'head_seq'`)
					return err
				})(ctx, l)
				if err != nil {
					return err
				}
				return emptyDir(l.CheckpointDir)
			}},
		{Name: "truncated-after-checkpoint", Desc: "25 entries; the checkpoints of 25 deleted, then entries 23 to 25: the checkpoint of 20 cannot see it, head_seq can",
			WantSeq: 23, WantReason: "truncated", WantExit: 1, OpenRefuses: true,
			build: truncateAfterCheckpoint},
	}
}

// deleteFrom deletes the entries from seq on.
func deleteFrom(seq int) func(db *sql.DB) error {
	return func(db *sql.DB) error {
		_, err := db.Exec(`DELETE FROM entries WHERE seq >= ?`, seq)
		return err
	}
}

// emptyDir removes everything inside dir.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func truncateAfterCheckpoint(ctx context.Context, l Layout) error {
	if err := AppendSample(ctx, l, 1, 25); err != nil {
		return err
	}
	for _, p := range []string{filepath.Join(l.CheckpointDir, "checkpoint"), filepath.Join(l.CheckpointDir, "history", fmt.Sprintf("%020d.ckpt", 25))} {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return withDB(l, deleteFrom(23))
}

// tamper builds the base ledger and then runs fn on the file.
func tamper(fn func(db *sql.DB) error) func(context.Context, Layout) error {
	return func(ctx context.Context, l Layout) error {
		if err := base(ctx, l); err != nil {
			return err
		}
		return withDB(l, fn)
	}
}

func insertForged(db *sql.DB) error {
	_, prev, err := readRow(db, 4)
	if err != nil {
		return err
	}
	forged := SampleEntry(5)
	forged.Seq, forged.Time, forged.Decision = 5, Epoch(), "approve"
	copy(forged.Prev[:], prev)
	if err := shift(db, 5, 1); err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO entries(seq, rec, hash) VALUES (5, ?, ?)`, ledger.AppendRecord(nil, &forged), randomBytes(32))
	return err
}

func swap89(db *sql.DB) error {
	r8, h8, err := readRow(db, 8)
	if err != nil {
		return err
	}
	r9, h9, err := readRow(db, 9)
	if err != nil {
		return err
	}
	if _, err := db.Exec(`UPDATE entries SET rec = ?, hash = ? WHERE seq = 8`, r9, h9); err != nil {
		return err
	}
	_, err = db.Exec(`UPDATE entries SET rec = ?, hash = ? WHERE seq = 9`, r8, h8)
	return err
}

func duplicate6(db *sql.DB) error {
	rec, h, err := readRow(db, 6)
	if err != nil {
		return err
	}
	if err := shift(db, 7, 1); err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO entries(seq, rec, hash) VALUES (7, ?, ?)`, rec, h)
	return err
}

func rollBack(ctx context.Context, l Layout) error {
	if err := AppendSample(ctx, l, 1, 10); err != nil {
		return err
	}
	older := filepath.Join(l.Dir, "older.db")
	if err := copyLedger(l.DB, older); err != nil {
		return err
	}
	if err := AppendSample(ctx, l, 11, 20); err != nil {
		return err
	}
	return replaceLedger(l, older)
}

func fork(ctx context.Context, l Layout) error {
	if err := AppendSample(ctx, l, 1, 10); err != nil {
		return err
	}
	f, err := NewLayout(filepath.Join(l.Dir, "fork"))
	if err != nil {
		return err
	}
	for _, p := range [][2]string{{l.KeysDir, f.KeysDir}, {l.CheckpointDir, f.CheckpointDir}} {
		if err := copyDir(p[0], p[1]); err != nil {
			return err
		}
	}
	if err := copyLedger(l.DB, f.DB); err != nil {
		return err
	}
	if err := AppendSample(ctx, l, 11, 20); err != nil {
		return err
	}
	other := func(i int) ledger.Entry {
		e := SampleEntry(i)
		e.Target = "origin/rewritten"
		return e
	}
	if err := appendEntries(ctx, f, 11, 25, other); err != nil {
		return err
	}
	return replaceLedger(l, f.DB)
}

// latestCheckpoint returns the text and signature block of the latest
// checkpoint file.
func latestCheckpoint(l Layout) (path, text, sigs string, err error) {
	path = filepath.Join(l.CheckpointDir, "checkpoint")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", "", err
	}
	text, sigs, _ = strings.Cut(string(b), "\n\n")
	return path, text + "\n", sigs, nil
}

func forgeCheckpoint(ctx context.Context, l Layout) error {
	if err := base(ctx, l); err != nil {
		return err
	}
	path, text, sigs, err := latestCheckpoint(l)
	if err != nil {
		return err
	}
	lines := strings.Split(text, "\n")
	lines[2] = base64.StdEncoding.EncodeToString(randomBytes(32))
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"+sigs), 0o600)
}

func resignCheckpoint(ctx context.Context, l Layout) error {
	if err := base(ctx, l); err != nil {
		return err
	}
	path, text, _, err := latestCheckpoint(l)
	if err != nil {
		return err
	}
	skey, _, err := note.GenerateKey(rand.Reader, "ony-tui-ledger")
	if err != nil {
		return err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return err
	}
	return os.WriteFile(path, msg, 0o600)
}

const otherKeyFile = "other-audit.key"

func wrongKey(ctx context.Context, l Layout) error {
	if err := base(ctx, l); err != nil {
		return err
	}
	other := filepath.Join(l.Dir, otherKeyFile)
	key := make([]byte, ledger.AuditKeySize)
	copy(key, randomBytes(ledger.AuditKeySize))
	return os.WriteFile(other, []byte(hexKey(key)), 0o600)
}

func unknownKind(ctx context.Context, l Layout) error {
	if err := base(ctx, l); err != nil {
		return err
	}
	key, err := ledger.LoadAuditKey(l.VerifyKey)
	if err != nil {
		return err
	}
	return withDB(l, func(db *sql.DB) error {
		_, prev, err := readRow(db, 20)
		if err != nil {
			return err
		}
		e := ledger.Entry{Seq: 21, Time: Epoch(), Kind: ledger.Kind(200), Detail: "from a newer ony-tui"}
		copy(e.Prev[:], prev)
		rec := ledger.AppendRecord(nil, &e)
		h := ledger.RecordHash(key, rec)
		if _, err := db.Exec(`INSERT INTO entries(seq, rec, hash) VALUES (21, ?, ?)`, rec, h[:]); err != nil {
			return err
		}
		_, err = db.Exec(`UPDATE meta SET value = '21' WHERE key = 'head_seq'`)
		return err
	})
}
