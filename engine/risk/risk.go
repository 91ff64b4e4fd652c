// Package risk is Ony's one risk scale: how much harm an action can do, as
// the engine derives it from the taxonomy. The taxonomy assigns it, the
// policy maps it to what a request needs, the console colours it, the
// verdict and the ledger record its name.
//
// The zero value is invalid, so a risk that was never set can never pass for
// low: every consumer treats an invalid level as critical.
package risk

import "fmt"

// Level is a risk level. The zero value is invalid.
type Level uint8

// Levels, lowest first.
const (
	Low Level = iota + 1
	Medium
	High
	Critical
)

// Levels lists every valid level, lowest first.
func Levels() []Level { return []Level{Low, Medium, High, Critical} }

// name returns the name of a valid level.
func (l Level) name() string {
	switch l {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	case Critical:
		return "critical"
	}
	return ""
}

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l >= Low && l <= Critical }

// String returns "low", "medium", "high" or "critical", and "invalid(N)"
// for anything else.
func (l Level) String() string {
	if !l.Valid() {
		return fmt.Sprintf("invalid(%d)", uint8(l))
	}
	return l.name()
}

// OrCritical returns l, or Critical when l is not a valid level: the floor
// every consumer applies to a risk it cannot trust.
func (l Level) OrCritical() Level {
	if !l.Valid() {
		return Critical
	}
	return l
}

// Parse parses a lowercase level name.
func Parse(s string) (Level, error) {
	for _, l := range Levels() {
		if l.name() == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("invalid risk %q: want low, medium, high or critical", s)
}

// MarshalText encodes a valid level as its name.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("marshalling risk: invalid value %d", uint8(l))
	}
	return []byte(l.name()), nil
}

// UnmarshalText decodes a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
