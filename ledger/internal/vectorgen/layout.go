// Package vectorgen builds the ledger tamper vectors: real SQLite ledgers,
// written by the ledger package itself, with one tampering applied each
// through plain SQL or file operations, as an attacker with write access to
// the files would. Each [Case] states, by hand, what verification must
// report: the seq, the reason and the verify exit code. Tests in ledger and
// ledger/ledgercli build every case in a temporary directory and check
// those expectations; nothing here computes an expected result.
package vectorgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
)

// Layout is where one test ledger keeps its files.
type Layout struct {
	Dir           string
	DB            string // ledger file
	KeysDir       string // 0700
	CheckpointDir string // 0700
	// VerifyKey is the audit key file verify should use; it is the real key
	// except in the wrong-key case.
	VerifyKey string
}

// NewLayout creates the directories of a ledger under dir.
func NewLayout(dir string) (Layout, error) {
	l := Layout{
		Dir:           dir,
		DB:            filepath.Join(dir, "ledger.db"),
		KeysDir:       filepath.Join(dir, "keys"),
		CheckpointDir: filepath.Join(dir, "checkpoints"),
	}
	l.VerifyKey = filepath.Join(l.KeysDir, ledger.AuditKeyName)
	for _, d := range []string{l.KeysDir, l.CheckpointDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return l, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return l, nil
}

// Epoch returns the time of the first entry written through
// [Layout.Options].
func Epoch() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC) }

// Options returns ledger options for the layout: a checkpoint every 10
// entries, none on a timer, and a clock that starts at Epoch and advances
// one second per call, so vectors are reproducible.
func (l Layout) Options() ledger.Options {
	o := ledger.DefaultOptions(l.KeysDir, l.CheckpointDir)
	o.CheckpointEvery = 10
	o.CheckpointInterval = -1
	var tick atomic.Int64
	o.Now = func() time.Time { return Epoch().Add(time.Duration(tick.Add(1)-1) * time.Second) }
	return o
}

// SampleEntry returns the i-th entry of the deterministic test traffic (i
// from 1): requests, verdicts and the other kinds in turn, with realistic
// fields and no secrets.
func SampleEntry(i int) ledger.Entry {
	kinds := []ledger.Kind{ledger.KindRequest, ledger.KindVerdict, ledger.KindAutoAllow, ledger.KindCodeFailed,
		ledger.KindRequest, ledger.KindVerdict, ledger.KindPhonePlaced, ledger.KindPhoneAnswered}
	risks := []string{"low", "medium", "high", "critical"}
	decisions := []string{"approve", "deny"}
	k := kinds[(i-1)%len(kinds)]
	digest := sha256.Sum256([]byte(fmt.Sprintf("tool call %d", i)))
	e := ledger.Entry{
		Kind:          k,
		RequestID:     fmt.Sprintf("req-%06d", i),
		SessionID:     "sess-4f1c",
		Harness:       "claude-code",
		Action:        "git.push",
		Target:        fmt.Sprintf("origin/feature-%d", i),
		Risk:          risks[i%len(risks)],
		RiskHint:      "low",
		RequestDigest: hex.EncodeToString(digest[:]),
	}
	switch k {
	case ledger.KindVerdict:
		e.Decision = decisions[(i/4)%len(decisions)]
		e.DeviceID = "yubikey-1"
		e.Factors = []string{"keypad", "yubikey"}
	case ledger.KindCodeFailed:
		e.Step = uint64(59_000_000 + i)
		e.DeviceID = "totp-1"
		e.Detail = "code did not match"
	case ledger.KindPhonePlaced, ledger.KindPhoneAnswered:
		e.DeviceID = "phone-1"
	}
	return e
}

func hexKey(key []byte) string { return hex.EncodeToString(key) + "\n" }
