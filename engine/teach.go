package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/ledger"
)

// "Classify this program" (the console's R on an unknown program): the
// owner picks a risk (low, medium or high) and a title; the engine
// approves the request (with the 6-digit code: this lowers a call from
// critical), then has the overlay add a rule for the program and reload,
// and records the overlay's new hash in the ledger. The rule applies to
// every later call from then on, for every session.

// OverlayRule is a rule of the owner's taxonomy overlay.
type OverlayRule struct {
	ID       string // owner.<word>
	Title    string
	Risk     risk.Level
	Programs []string
	File     string // the overlay's path
	Line     int    // where the rule is in it
	Comment  string // the comment above it (when and where it was made)
}

// OverlayChange is the overlay after a change: its new hash, and the rule
// added or removed.
type OverlayChange struct {
	Rule   OverlayRule
	SHA256 string // the overlay file's new SHA-256
}

// Overlay is the owner's taxonomy overlay as the engine changes it;
// internal/app implements it over the taxonomy. Each change is written to
// the file and loaded (strictly) before it returns: from then on the
// classifier uses it.
type Overlay interface {
	AddProgram(ctx context.Context, program string, r risk.Level, title, comment string) (OverlayChange, error)
	Rules(ctx context.Context) ([]OverlayRule, error)
	Remove(ctx context.Context, id string) (OverlayChange, error)
}

// Errors of classifying a program.
var (
	ErrNoOverlay       = errors.New("this engine has no taxonomy overlay to write")
	ErrNotClassifiable = errors.New("only an unknown program can be classified")
)

// ClassifyProgram approves a waiting request whose program the taxonomy
// does not know, with the 6-digit code, and has the overlay classify the
// program at r (low, medium or high) with title. If the approval stands
// but the rule cannot be written, the error says so.
func (e *Engine) ClassifyProgram(ctx context.Context, id string, r risk.Level, title string, a Approval) (OverlayRule, error) {
	if e.opts.Overlay == nil {
		return OverlayRule{}, ErrNoOverlay
	}
	e.mu.Lock()
	p, ok := e.pending[id]
	e.mu.Unlock()
	if !ok {
		return OverlayRule{}, fmt.Errorf("request %s: %w", id, ErrNotPending)
	}
	if Protected(p.class.Action) {
		return OverlayRule{}, fmt.Errorf("%s: %w", p.class.Action, ErrProtected)
	}
	if p.class.Action != "unknown" || p.class.Program == "" {
		return OverlayRule{}, fmt.Errorf("%w; this call is %s", ErrNotClassifiable, p.class.Action)
	}
	if r < risk.Low || r > risk.High {
		return OverlayRule{}, fmt.Errorf("classify %s: pick low, medium or high, not %s", p.class.Program, r)
	}
	title = strings.TrimSpace(title)
	if title == "" || len(title) > 200 {
		return OverlayRule{}, fmt.Errorf("classify %s: a title of 1 to 200 bytes is needed", p.class.Program)
	}
	if !a.Approve {
		return OverlayRule{}, errors.New("only an approval can classify a program")
	}
	prog := p.class.Program
	a.forceCode = true
	a.note = fmt.Sprintf("; program %s classified %s in the taxonomy overlay", prog, r)
	if err := e.Decide(ctx, id, a); err != nil {
		return OverlayRule{}, err
	}
	by := a.By
	if by == "" {
		by = "this console"
	}
	comment := fmt.Sprintf("%s: classified at the console %s (request %s, session %s)", e.now().Format("2006-01-02 15:04"), by, id, p.call.SessionID)
	ch, err := e.opts.Overlay.AddProgram(ctx, prog, r, title, comment)
	if err != nil {
		e.problem("request %s was approved, but classifying %s failed: %v", id, prog, err)
		return OverlayRule{}, fmt.Errorf("the request was approved, but the rule was not written: %w", err)
	}
	e.overlayLoaded(ctx, ch, "added "+ch.Rule.ID)
	return ch.Rule, nil
}

// OverlayRules lists the overlay's rules; none without an overlay.
func (e *Engine) OverlayRules(ctx context.Context) ([]OverlayRule, error) {
	if e.opts.Overlay == nil {
		return nil, nil
	}
	return e.opts.Overlay.Rules(ctx)
}

// ForgetRule removes an overlay rule; the program is unknown again.
func (e *Engine) ForgetRule(ctx context.Context, id string) (OverlayRule, error) {
	if e.opts.Overlay == nil {
		return OverlayRule{}, ErrNoOverlay
	}
	ch, err := e.opts.Overlay.Remove(ctx, id)
	if err != nil {
		return OverlayRule{}, err
	}
	e.overlayLoaded(ctx, ch, "removed "+ch.Rule.ID)
	return ch.Rule, nil
}

// overlayLoaded records the overlay's new hash, as the taxonomy's is
// recorded when it loads.
func (e *Engine) overlayLoaded(ctx context.Context, ch OverlayChange, what string) {
	detail := fmt.Sprintf("overlay sha256:%s from %s (%s)", ch.SHA256, ch.Rule.File, what)
	if _, err := e.opts.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindTaxonomyLoaded, Detail: detail}); err != nil {
		e.problem("ledger append failed for the overlay change (%s): %v", what, err)
	}
	e.notify()
}
