package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// A standing answer is an approval the owner gave at a console for later
// calls of one agent session ("don't ask again"): the console's R on a held
// request. It covers either this exact call (harness, session, tool, input
// digest) or this action on this target (harness, session, action,
// target), never more than the risk it was given at. Standing answers live
// in the engine's memory only: they end when the engine stops (an engine
// outlives its consoles, docs/PROTOCOL.md), and at most MaxStandingAnswers
// are kept (the oldest goes first). A call a standing answer covers is
// approved by the engine with the factor "remembered", and its ledger entry
// names the answer.
//
// No answer can be given for Ony's own files, process or settings
// (ony.tamper) or an agent's hook configuration (harness.config): the
// engine refuses it, whatever a console asks.

// MaxStandingAnswers bounds the standing answers the engine keeps.
const MaxStandingAnswers = 256

// Scope says what a standing answer covers.
type Scope uint8

// Scopes. The zero value is invalid.
const (
	// ScopeCall is this exact call: the same harness, agent session, tool
	// and input digest.
	ScopeCall Scope = iota + 1
	// ScopeTarget is this action on this target, for the same harness and
	// agent session.
	ScopeTarget
)

// String is the scope's name on the console socket: "call" or "target".
func (s Scope) String() string {
	switch s {
	case ScopeCall:
		return "call"
	case ScopeTarget:
		return "target"
	}
	return fmt.Sprintf("invalid(%d)", uint8(s))
}

// ParseScope reads a scope's name.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "call":
		return ScopeCall, nil
	case "target":
		return ScopeTarget, nil
	}
	return 0, fmt.Errorf("invalid scope %q: want call or target", s)
}

// Errors of standing answers.
var (
	// ErrProtected refuses to remember (or lower) an action on Ony's own
	// files or an agent's hook configuration.
	ErrProtected = errors.New("this action can never be remembered: it touches Ony itself or an agent's hook configuration, so it is asked every time")
	// ErrNoSession refuses to remember a call whose harness named no
	// agent session: there is nothing to scope the answer to.
	ErrNoSession = errors.New("this call names no agent session, so an answer cannot be kept for its session")
	// ErrNoTarget refuses an action-on-target answer for a call without a
	// target.
	ErrNoTarget = errors.New("this call has no target: remember the exact call instead")
	// ErrUnknownTarget refuses an action-on-target answer for a call no
	// rule recognises.
	ErrUnknownTarget = errors.New("nothing recognises this call, so there is no action to remember on its target: remember the exact call, or classify the program")
	// ErrUnknownAnswer is a forget of an id the engine does not hold.
	ErrUnknownAnswer = errors.New("no such remembered answer (it may have been forgotten, or the engine restarted)")
)

// Protected reports whether an action can never be remembered or lowered:
// Ony's own files, process and settings, and an agent's hook
// configuration.
func Protected(action string) bool {
	for _, p := range []string{"ony.tamper", "harness.config"} {
		if action == p || strings.HasPrefix(action, p+".") {
			return true
		}
	}
	return false
}

// StandingAnswer is one remembered approval.
type StandingAnswer struct {
	ID      string // "a-" and 6 hex digits
	Scope   Scope
	Harness string
	Session string
	// Tool and InputDigest identify the call (ScopeCall).
	Tool        string
	InputDigest string
	// Action and Target are the classification it was given on; a
	// ScopeTarget answer covers this action on this target.
	Action string
	Target string
	// Risk is the highest risk the answer covers: the risk of the call it
	// was given on.
	Risk      risk.Level
	At        time.Time // when it was given
	By        string    // the console that gave it
	RequestID string    // the request it was given on
	Factors   []string  // how the owner approved it
	Uses      int       // calls it has answered since
}

// Covers reports whether the answer covers a call with this
// classification.
func (a *StandingAnswer) Covers(c *wire.ToolCall, class *Classification) bool {
	if c.Harness != a.Harness || c.SessionID != a.Session || class.Risk.OrCritical() > a.Risk || Protected(class.Action) {
		return false
	}
	switch a.Scope {
	case ScopeCall:
		return c.ToolName == a.Tool && c.InputDigest == a.InputDigest
	case ScopeTarget:
		// Only a call that does nothing else above low risk: on equal
		// risk the first part decides the classification, and an answer
		// for git.push on origin main must not cover
		// `git push origin main && ssh prod …`.
		return class.Action == a.Action && class.Target == a.Target && !class.Mixed
	}
	return false
}

// Describe says what the answer covers, in words.
func (a *StandingAnswer) Describe() string {
	if a.Scope == ScopeTarget {
		return fmt.Sprintf("%s on %s", a.Action, a.Target)
	}
	return fmt.Sprintf("this exact %s call (%s)", a.Tool, a.Action)
}

// reason is the verdict's reason (and the ledger entry's detail) of a call
// the answer approved.
func (a *StandingAnswer) reason() string {
	return fmt.Sprintf("auto: remembered %s, session %s (%s: %s)", a.At.Local().Format("15:04"), a.Session, a.ID, a.Describe())
}

// standingAnswers are the engine's standing answers, oldest first. The
// engine's mu guards them.
type standingAnswers struct {
	list []*StandingAnswer
}

func (s *standingAnswers) add(a *StandingAnswer) {
	s.list = append(s.list, a)
	if len(s.list) > MaxStandingAnswers {
		s.list = append(s.list[:0], s.list[len(s.list)-MaxStandingAnswers:]...)
	}
}

func (s *standingAnswers) match(c *wire.ToolCall, class *Classification) *StandingAnswer {
	for i := len(s.list) - 1; i >= 0; i-- {
		if a := s.list[i]; a.Covers(c, class) {
			a.Uses++
			return a
		}
	}
	return nil
}

func newAnswerID() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating an answer id: %w", err)
	}
	return "a-" + hex.EncodeToString(b[:]), nil
}

// Remember approves a waiting request, as Decide does, and keeps the
// approval as a standing answer of the given scope for the request's agent
// session. It refuses protected actions (ErrProtected), calls without a
// session, and, for ScopeTarget, calls without a target. Remembering a
// critical request needs the 6-digit code whatever the policy says, and a
// YubiKey touch where approvals.require_touch applies (Via yubikey, as
// Decide). The answer is kept only once the approval is recorded and
// delivered.
func (e *Engine) Remember(ctx context.Context, id string, scope Scope, a Approval) (StandingAnswer, error) {
	e.mu.Lock()
	p, ok := e.pending[id]
	e.mu.Unlock()
	if !ok {
		return StandingAnswer{}, fmt.Errorf("request %s: %w", id, ErrNotPending)
	}
	if scope != ScopeCall && scope != ScopeTarget {
		return StandingAnswer{}, fmt.Errorf("remember request %s: invalid scope", id)
	}
	if Protected(p.class.Action) {
		return StandingAnswer{}, fmt.Errorf("%s: %w", p.class.Action, ErrProtected)
	}
	if p.call.SessionID == "" {
		return StandingAnswer{}, ErrNoSession
	}
	if scope == ScopeTarget && p.class.Target == "" {
		return StandingAnswer{}, ErrNoTarget
	}
	if scope == ScopeTarget && p.class.Action == "unknown" {
		// "unknown on webctl" would cover whatever else an unknown
		// command line does after its first program.
		return StandingAnswer{}, ErrUnknownTarget
	}
	if !a.Approve {
		return StandingAnswer{}, errors.New("only an approval can be remembered")
	}
	aid, err := newAnswerID()
	if err != nil {
		return StandingAnswer{}, err
	}
	ans := &StandingAnswer{ID: aid, Scope: scope, Harness: p.call.Harness, Session: p.call.SessionID,
		Action: p.class.Action, Target: p.class.Target, Risk: p.class.Risk.OrCritical(), By: a.By, RequestID: id}
	if scope == ScopeCall {
		ans.Tool, ans.InputDigest = p.call.ToolName, p.call.InputDigest
	}
	a.remember = ans
	a.forceCode = ans.Risk == risk.Critical
	if err := e.Decide(ctx, id, a); err != nil {
		return StandingAnswer{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.standing.list {
		if s == ans {
			return *s, nil
		}
	}
	return StandingAnswer{}, errors.New("the approval was not recorded, so nothing was remembered")
}

// keepStanding keeps the answer p was approved with, once its approval is
// delivered. Callers hold no lock.
func (e *Engine) keepStanding(p *pending) {
	e.mu.Lock()
	ans := p.remember
	if ans == nil {
		e.mu.Unlock()
		return
	}
	ans.At = e.now()
	e.standing.add(ans)
	e.mu.Unlock()
}

// rememberNote is added to the reason of the approval that gave a standing
// answer.
func rememberNote(p *pending) string {
	if p.remember == nil {
		return ""
	}
	return fmt.Sprintf("; remembered for session %s as %s: %s", p.remember.Session, p.remember.ID, p.remember.Describe())
}

// answerStanding approves p with a standing answer that covers it, if
// one does. It reports whether it did.
func (e *Engine) answerStanding(ctx context.Context, p *pending) bool {
	if Protected(p.class.Action) {
		return false
	}
	e.mu.Lock()
	a := e.standing.match(&p.call, &p.class)
	var reason string
	if a != nil {
		reason = a.reason()
	}
	e.mu.Unlock()
	if a == nil {
		return false
	}
	e.finish(ctx, p, verdict.Approve, reason, ledger.KindVerdict, device.KindEngine, []string{verdict.FactorRemembered}, 0)
	return true
}

// StandingAnswers returns the standing answers the engine holds, oldest
// first. It never fails in process; the error is the console socket's.
func (e *Engine) StandingAnswers(context.Context) ([]StandingAnswer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]StandingAnswer, len(e.standing.list))
	for i, a := range e.standing.list {
		out[i] = *a
		out[i].Factors = append([]string(nil), a.Factors...)
	}
	return out, nil
}

// Forget removes a standing answer; calls it covered are asked again. It
// takes effect before it is recorded (forgetting only makes Ony ask more),
// and a failure to record it is reported.
func (e *Engine) Forget(ctx context.Context, id string) (StandingAnswer, error) {
	e.mu.Lock()
	var got *StandingAnswer
	for i, a := range e.standing.list {
		if a.ID == id {
			got = a
			e.standing.list = append(e.standing.list[:i], e.standing.list[i+1:]...)
			break
		}
	}
	e.mu.Unlock()
	if got == nil {
		return StandingAnswer{}, fmt.Errorf("%s: %w", id, ErrUnknownAnswer)
	}
	e.notify()
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindAnswerForgotten, Harness: got.Harness, SessionID: got.Session,
		Action: got.Action, Target: got.Target, Detail: fmt.Sprintf("forgot %s: %s (given %s, used %d times)",
			got.ID, got.Describe(), got.At.Local().Format("15:04"), got.Uses)}); err != nil {
		e.problem("answer %s forgotten, but recording it failed: %v", got.ID, err)
		return *got, fmt.Errorf("answer %s forgotten, but recording it failed: %w", got.ID, err)
	}
	return *got, nil
}
