package ledgercli

import (
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/ledger"
)

// VerifySchema names the version of the verify JSON object
// (docs/LEDGER-FORMAT.md §8). Fields are only ever added.
const VerifySchema = "ony-tui.ledger.verify/v1"

// LogSchema names the version of the log JSON Lines records
// (docs/LEDGER-FORMAT.md §9).
const LogSchema = "ony-tui.ledger.log/v1"

// StatsSchema names the version of the log --stats --json object
// (docs/LEDGER-FORMAT.md §10).
const StatsSchema = "ony-tui.ledger.stats/v1"

// statsJSON is log --stats --json: the figures with their schema.
type statsJSON struct {
	Schema string `json:"schema"`
	stats.Summary
}

type verifyJSON struct {
	Schema     string          `json:"schema"`
	Status     string          `json:"status"` // intact, tampered, unverifiable, error
	ExitCode   int             `json:"exit_code"`
	DB         string          `json:"db"`
	Error      string          `json:"error,omitempty"`
	Origin     string          `json:"origin,omitempty"`
	From       uint64          `json:"from,omitempty"`
	Entries    uint64          `json:"entries"`
	Verified   uint64          `json:"verified"`
	Head       *linkJSON       `json:"head,omitempty"`
	Problem    *problem        `json:"problem"`
	Break      *problem        `json:"break"`
	Tail       *problem        `json:"tail"`
	HeadSeq    uint64          `json:"head_seq"`
	BadAfter   uint64          `json:"bad_after"`
	Checkpoint *checkpointJSON `json:"checkpoint,omitempty"`
}

type linkJSON struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

type checkpointJSON struct {
	Given   int         `json:"given"`
	Checked int         `json:"checked"`
	Latest  *latestJSON `json:"latest"`
	Problem *problem    `json:"problem"`
}

type latestJSON struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Head   string `json:"head"`
}

// problem is a ledger.ChainError in JSON.
type problem struct {
	Seq     uint64 `json:"seq"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Tamper  bool   `json:"tampered"`
	WantSeq uint64 `json:"want_seq,omitempty"`
	GotSeq  uint64 `json:"got_seq,omitempty"`
	Want    string `json:"want,omitempty"`
	Got     string `json:"got,omitempty"`
	Pos     uint64 `json:"position,omitempty"`
	Kind    uint8  `json:"kind,omitempty"`
}

func problemJSON(p *ledger.ChainError) *problem {
	if p == nil {
		return nil
	}
	out := &problem{Seq: p.Seq, Reason: p.Reason.String(), Message: p.Explain(), Tamper: !p.Reason.CouldNotCheck(),
		WantSeq: p.WantSeq, GotSeq: p.GotSeq, Pos: p.Pos, Kind: uint8(p.Kind)}
	if !p.Want.IsZero() {
		out.Want = p.Want.String()
	}
	if !p.Got.IsZero() {
		out.Got = p.Got.String()
	}
	return out
}

// logJSON is one line of log --json: the entry's fields and its status.
type logJSON struct {
	Schema string `json:"schema"`
	ledger.Entry
	Status  string `json:"status"` // ok, tampered, unverified
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// SecretSuspected marks an entry, recorded before targets were
	// redacted, whose target, detail or risk hint holds a secret; those
	// fields are printed redacted.
	SecretSuspected bool `json:"secret_suspected,omitempty"`
}
