package tui

import (
	"context"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// Engine is the authority the console drives: the engine in this process
// (*engine.Engine), or one the console attached to over the console socket
// (engine/console.Client). Every method may be called from a tea.Cmd, never
// from Update.
type Engine interface {
	// Snapshot returns the engine's state now.
	Snapshot() engine.Snapshot
	// Subscribe returns a channel that receives a value after each change
	// (coalesced), and the function that ends the subscription.
	Subscribe() (<-chan struct{}, func())
	// Decide approves or denies one waiting request.
	Decide(ctx context.Context, id string, a engine.Approval) error
	// EngageKillSwitch denies everything waiting and everything new.
	EngageKillSwitch(ctx context.Context) error
	// ReleaseKillSwitch lets requests through to the policy again.
	ReleaseKillSwitch(ctx context.Context, code string) error
	// SetAway marks the owner away from the consoles, or back.
	SetAway(ctx context.Context, away bool) error
	// Activity notes that a person pressed a key here; it must not block.
	Activity()
	// Remember approves one waiting request and keeps the approval as a
	// standing answer for its agent session (the console's R).
	Remember(ctx context.Context, id string, scope engine.Scope, a engine.Approval) (engine.StandingAnswer, error)
	// StandingAnswers lists the standing answers the engine holds.
	StandingAnswers(ctx context.Context) ([]engine.StandingAnswer, error)
	// Forget removes one standing answer.
	Forget(ctx context.Context, id string) (engine.StandingAnswer, error)
	// ClassifyProgram approves one waiting request whose program no rule
	// recognises and classifies the program in the owner's overlay.
	ClassifyProgram(ctx context.Context, id string, r risk.Level, title string, a engine.Approval) (engine.OverlayRule, error)
	// OverlayRules lists the overlay's rules.
	OverlayRules(ctx context.Context) ([]engine.OverlayRule, error)
	// ForgetRule removes one overlay rule.
	ForgetRule(ctx context.Context, id string) (engine.OverlayRule, error)
}

var _ Engine = (*engine.Engine)(nil)
