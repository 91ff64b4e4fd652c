package taxonomy

import "fmt"

// Risk is how much harm an action can do. The zero value is invalid, so a
// risk that was never set can never pass for low.
type Risk uint8

// Risk levels, lowest first.
const (
	Low Risk = iota + 1
	Medium
	High
	Critical
)

// name returns the name of a valid risk.
func (r Risk) name() string {
	switch r {
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

// Valid reports whether r is one of the four levels.
func (r Risk) Valid() bool { return r >= Low && r <= Critical }

// String returns "low", "medium", "high" or "critical", and "invalid(N)"
// for anything else.
func (r Risk) String() string {
	if !r.Valid() {
		return fmt.Sprintf("invalid(%d)", uint8(r))
	}
	return r.name()
}

// ParseRisk parses a lowercase risk name.
func ParseRisk(s string) (Risk, error) {
	for r := Low; r <= Critical; r++ {
		if r.name() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("invalid risk %q: want low, medium, high or critical", s)
}

// MarshalText encodes a valid risk as its name.
func (r Risk) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("marshalling risk: invalid value %d", uint8(r))
	}
	return []byte(r.name()), nil
}

// UnmarshalText decodes a risk name.
func (r *Risk) UnmarshalText(b []byte) error {
	v, err := ParseRisk(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
