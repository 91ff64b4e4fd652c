// Package stats is a picture of what Ony has been deciding, computed from
// the audit ledger: decisions per hour by risk, the share allowed
// automatically, what was held and how it ended (approved, denied, timed
// out), how long a person took to answer, and the actions held most often.
//
// A Tally is fed ledger entries one at a time and keeps running totals, so
// the console never re-reads the ledger: a Source reads only the entries
// appended since its last read. The figures come from entries as stored;
// whether the chain verifies is the ledger pane's and `verify`'s business.
package stats

import (
	"slices"
	"strings"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

// Decider says who or what decided a verdict: a person through one of the
// approval channels, or Ony itself.
type Decider string

// Deciders.
const (
	ByAuto       Decider = "auto"        // allowed by policy, no human asked
	ByRemembered Decider = "remembered"  // an answer given earlier for the same call
	ByKeypad     Decider = "keypad"      // a deliberate key at a console
	ByCode       Decider = "code"        // a key at a console and the 6-digit code
	ByTouch      Decider = "touch"       // a YubiKey touch
	ByPhone      Decider = "phone"       // a keypress on a phone call
	ByTimeout    Decider = "timeout"     // nobody answered before the deadline
	ByKillSwitch Decider = "kill switch" // denied while the kill switch was engaged
	ByPolicy     Decider = "policy"      // denied by policy (or no code device for a critical action)
	ByEngine     Decider = "engine"      // denied by Ony for another reason (hook gone, stopped, ledger)
)

// factorRemembered is the factor of a verdict answered by a remembered
// answer (issue 17 names it in engine/verdict).
const factorRemembered = "remembered"

// Human reports whether a person decided (and so whether the time to the
// answer says something about the person).
func (d Decider) Human() bool {
	switch d {
	case ByKeypad, ByCode, ByTouch, ByPhone:
		return true
	}
	return false
}

// DeciderOf returns who decided a verdict or an automatic allow, "" for
// any other kind of entry. It reads only what the ledger records: the
// kind, the factors and, for Ony's own denies, the reason.
func DeciderOf(e *ledger.Entry) Decider {
	switch e.Kind {
	case ledger.KindAutoAllow:
		return ByAuto
	case ledger.KindVerdict:
	default:
		return ""
	}
	has := func(f string) bool { return slices.Contains(e.Factors, f) }
	switch {
	case has(factorRemembered) || strings.HasPrefix(e.Detail, engine.ReasonSameCall):
		return ByRemembered
	case has(verdict.FactorYubiKey):
		return ByTouch
	case has(verdict.FactorPhone):
		return ByPhone
	case has(verdict.FactorTOTP):
		return ByCode
	case has(verdict.FactorKeypad):
		return ByKeypad
	case has(verdict.FactorAuto):
		return ByAuto
	}
	switch e.Detail {
	case engine.ReasonTimeout:
		return ByTimeout
	case engine.ReasonKillSwitch:
		return ByKillSwitch
	case engine.ReasonPolicy, engine.ReasonNoCode:
		return ByPolicy
	}
	return ByEngine
}
