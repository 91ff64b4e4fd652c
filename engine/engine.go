// Package engine is Ony's authority: it takes tool calls from hooks,
// derives their real risk itself, decides what they need, holds the ones
// that need a human, and issues signed verdicts.
//
// The engine has no terminal dependency. The console (package tui) and the
// headless `ony-tui serve` both drive the same Engine; the socket server in
// engine/server feeds it requests.
//
// Every decision is recorded in the journal before its verdict is released.
// If the journal cannot record it, the request is denied.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// Classification is the engine's view of a classified call.
type Classification struct {
	Action  string
	Title   string
	Risk    risk.Level
	Target  string
	Matcher string
	// Writes and Runs are the absolute paths the call writes or edits, and
	// the files it directly executes, as far as the classifier can tell.
	Writes, Runs []string
	// Program is the program no rule recognises, when that made the call
	// the unknown action: the owner may classify it (teach.go).
	Program string
	// Mixed: another part of the call, above low risk, does something else
	// than Action on Target (a remembered action on a target does not
	// cover it).
	Mixed bool
}

// Host says where the agent that made a call runs, as the engine judges
// from the identity the hook sends (wire.Request.Host).
type Host uint8

// Hosts.
const (
	// HostLocal: the hook runs on the engine's own host.
	HostLocal Host = iota
	// HostRemote: another host, or a hook that did not say (an older or
	// foreign hook): nothing on the engine's host describes the call.
	HostRemote
)

// Classifier derives the risk of a call from the taxonomy. It must be safe
// for concurrent use and never consult the agent's risk hint. For a call
// from another host it must not read the engine's own file system or
// processes.
type Classifier interface {
	Classify(c *wire.ToolCall, from Host) Classification
}

// Journal is the audit ledger as the engine uses it. Append returns the
// sequence number of the entry only once it is durably committed. The
// engine fills an entry's kind and fields; the ledger assigns its sequence
// number, time and hashes. An entry never holds raw commands, file
// contents, codes or secrets: the tool call is represented by its digest.
type Journal interface {
	Append(ctx context.Context, e ledger.Entry) (seq uint64, err error)
}

// CodeChecker verifies 6-digit codes for critical approvals. It is
// implemented by the TOTP verifier; nil means no code device is enrolled.
type CodeChecker interface {
	// Check verifies code for the request and, on success, consumes its
	// time-step. It returns the step accepted.
	Check(ctx context.Context, requestID, code string) (step uint64, err error)
	// Enrolled reports whether a code device is enrolled and usable.
	Enrolled() bool
}

// Options configure an Engine.
type Options struct {
	Classifier Classifier
	Journal    Journal
	Devices    *device.Registry
	Config     config.Config
	Codes      CodeChecker // may be nil
	// Cards signs approvals on an enrolled YubiKey; nil means this engine
	// has no YubiKey channel.
	Cards CardSigner
	// Overlay is the owner's taxonomy overlay, where "classify this
	// program" writes; nil means programs cannot be classified here.
	Overlay Overlay
	// KillSwitchFile persists the kill switch across restarts; it exists
	// while the switch is engaged.
	KillSwitchFile string
	// MaxPending bounds the requests waiting for a human.
	MaxPending int
	// RequireFactor makes every human approval carry a factor the agent's
	// own code cannot produce: a 6-digit code, a YubiKey touch or the
	// phone. A console keypad approval without a code is refused with
	// ErrFactorRequired. A system install sets it: there the code's secret
	// is out of the agent's reach, and a keypress is not (code the agent
	// runs as the owner can drive the owner's terminal).
	RequireFactor bool
	Now           func() time.Time
	// HostID is this host's identity (engine/host.ID); a request whose
	// hook names another host, or none, is classified as remote.
	HostID string
}

// Engine is the request lifecycle. Its methods are safe for concurrent use.
type Engine struct {
	opts Options
	now  func() time.Time

	mu       sync.Mutex
	pending  map[string]*pending
	order    []string // request ids in arrival order
	kill     bool
	away     bool
	errs     []Problem
	conns    int
	sessions map[string]int // agent session -> live requests
	recent   map[recentKey]recentApproval
	closed   bool
	phone    PhoneStatus     // the phone channel and its call (phone.go)
	written  writtenFiles    // files each agent session wrote (written.go)
	standing standingAnswers // the owner's answers for later calls (standing.go)

	consoles map[string]Console // attached consoles by id
	activity time.Time          // the last key pressed at any console
	decided  []Decided          // the newest decisions on held requests, oldest first

	watch Notifier // Subscribe's notifications

	signers sync.Map // device id -> verdict.Signer
}

// Problem is an error shown to the person at the console.
type Problem struct {
	Time    time.Time
	Message string
}

const maxProblems = 20

// New returns an engine. It reads the persisted kill switch state.
func New(opts Options) (*Engine, error) {
	if opts.Classifier == nil || opts.Journal == nil || opts.Devices == nil {
		return nil, errors.New("engine: classifier, journal and devices are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1000
	}
	e := &Engine{
		opts:     opts,
		now:      opts.Now,
		pending:  map[string]*pending{},
		sessions: map[string]int{},
		recent:   map[recentKey]recentApproval{},
		consoles: map[string]Console{},
	}
	engaged, err := readKillSwitch(opts.KillSwitchFile)
	if err != nil {
		return nil, err
	}
	e.kill = engaged
	return e, nil
}

// problem records an error for the console and notifies.
func (e *Engine) problem(format string, args ...any) {
	e.mu.Lock()
	e.errs = append(e.errs, Problem{Time: e.now(), Message: fmt.Sprintf(format, args...)})
	if len(e.errs) > maxProblems {
		e.errs = e.errs[len(e.errs)-maxProblems:]
	}
	e.mu.Unlock()
	e.notify()
}

// Problem reports an error from outside the engine (the socket server, the
// ledger view) so the console shows it.
func (e *Engine) Problem(msg string) { e.problem("%s", msg) }

// ConnOpened and ConnClosed count live hook connections for the console.
func (e *Engine) ConnOpened() { e.mu.Lock(); e.conns++; e.mu.Unlock(); e.notify() }

// ConnClosed is the counterpart of ConnOpened.
func (e *Engine) ConnClosed() { e.mu.Lock(); e.conns--; e.mu.Unlock(); e.notify() }

// newRequestID returns "req_" and 12 random hex digits.
func newRequestID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating request id: %w", err)
	}
	return "req_" + hex.EncodeToString(b[:]), nil
}
