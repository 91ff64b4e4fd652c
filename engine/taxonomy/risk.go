package taxonomy

import "github.com/ony-dev/ony-tui/engine/risk"

// Risk is the engine's risk scale (package risk). The taxonomy names it
// Risk and its levels Low..Critical for brevity in its own code; they are
// the same type and values, not a copy.
type Risk = risk.Level

// Risk levels, lowest first.
const (
	Low      = risk.Low
	Medium   = risk.Medium
	High     = risk.High
	Critical = risk.Critical
)

// ParseRisk parses a lowercase risk name.
func ParseRisk(s string) (Risk, error) { return risk.Parse(s) }
