package tui

import (
	"time"

	"github.com/ony-dev/ony-tui/engine"
)

// snapshotMsg carries the engine's state. seq orders snapshots so an older
// one never replaces a newer one; watch marks the one produced by the
// change watcher, which must be re-armed after it.
type snapshotMsg struct {
	seq   uint64
	snap  engine.Snapshot
	watch bool
}

// chainMsg is the result of reading the newest ledger entries. rearm marks
// the one produced by the polling loop, which schedules the next poll.
type chainMsg struct {
	entries []ChainEntry
	status  ChainStatus
	err     error
	rearm   bool
}

// clockMsg is the once-a-second tick that moves ages and countdowns and
// clears transient messages.
type clockMsg time.Time

// decidedMsg is the result of an approve or deny, with the engine's state
// right after it.
type decidedMsg struct {
	id       string
	approve  bool
	withCode bool
	touch    bool // a YubiKey approval (Y)
	title    string
	err      error
	snap     snapshotMsg
}

// rememberedMsg is the result of a remember (R), with the engine's state
// right after it.
type rememberedMsg struct {
	id     string
	title  string
	answer engine.StandingAnswer
	rule   engine.OverlayRule // set by a classify
	err    error
	snap   snapshotMsg
}

// killSwitchMsg is the result of engaging or releasing the kill switch.
type killSwitchMsg struct {
	engage   bool
	denied   int  // requests waiting when it was engaged
	withCode bool // a release sent with the code
	err      error
	snap     snapshotMsg
}

// awayMsg is the result of changing the away state.
type awayMsg struct {
	away bool
	err  error
	snap snapshotMsg
}

// reverifyStartedMsg says a whole-chain re-verification is running.
type reverifyStartedMsg struct{ run *reverifyRun }

// reverifyProgressMsg reports how far a re-verification has come.
type reverifyProgressMsg struct {
	run         *reverifyRun
	done, total uint64
}

// reverifyDoneMsg is the outcome of a re-verification.
type reverifyDoneMsg struct {
	run    *reverifyRun
	status ChainStatus
	err    error
}
