package config

import (
	"fmt"
	"time"
)

// Phone says when Ony calls the owner through SignalWire. Who to call and
// the SignalWire credentials are not here: `ony-tui enroll phone` keeps
// them in a 0600 file in the keys directory. Without an enrolled phone
// these settings do nothing.
type Phone struct {
	// After is how long a high or critical request waits with no key
	// pressed at a console before Ony calls (60 s, or half the deadline if
	// that is shorter and phone: is not set). Away mode, and an engine with
	// no console attached, call at once.
	After time.Duration
	// MinGap is the least time between the end of one call and the start
	// of the next.
	MinGap time.Duration
	// MaxPerHour caps the calls started in any hour.
	MaxPerHour int
	// Ring is how long the phone rings before the call counts as not
	// answered.
	Ring time.Duration
	// OnFailure is what happens to requests a call could not settle (no
	// answer, busy, declined, hung up, no key, an unknown key, a dropped
	// connection).
	OnFailure PhoneFailure
}

// PhoneFailure is the fallback after a call that settled nothing.
type PhoneFailure string

// Fallbacks after a failed call.
const (
	// PhoneWait leaves the requests waiting for the console until their
	// deadline, when they are denied as always (default).
	PhoneWait PhoneFailure = "wait"
	// PhoneDeny denies them at once.
	PhoneDeny PhoneFailure = "deny"
)

// DefaultPhone returns the built-in phone settings.
func DefaultPhone() Phone {
	return Phone{After: 60 * time.Second, MinGap: time.Minute, MaxPerHour: 10, Ring: 30 * time.Second, OnFailure: PhoneWait}
}

// phoneFormat is the phone: section of config.yaml.
type phoneFormat struct {
	After      string `yaml:"after"`
	MinGap     string `yaml:"min_gap"`
	MaxPerHour *int   `yaml:"max_per_hour"`
	Ring       string `yaml:"ring"`
	OnFailure  string `yaml:"on_failure"`
}

// parsePhone applies the phone: section to c; c.Deadline is already set.
func parsePhone(f *phoneFormat, c *Config, name string) error {
	p := DefaultPhone()
	if p.After >= c.Deadline && f.After == "" {
		p.After = c.Deadline / 2
	}
	for _, d := range []struct {
		key      string
		val      string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"after", f.After, &p.After, 0, time.Hour},
		{"min_gap", f.MinGap, &p.MinGap, 0, time.Hour},
		{"ring", f.Ring, &p.Ring, 5 * time.Second, 2 * time.Minute},
	} {
		if d.val == "" {
			continue
		}
		v, err := time.ParseDuration(d.val)
		if err != nil {
			return fmt.Errorf("%s: phone.%s: %q is not a duration like 90s or 5m", name, d.key, d.val)
		}
		if v < d.min || v > d.max {
			return fmt.Errorf("%s: phone.%s: %s is outside %s..%s", name, d.key, v, d.min, d.max)
		}
		*d.dst = v
	}
	if f.MaxPerHour != nil {
		if n := *f.MaxPerHour; n < 1 || n > 60 {
			return fmt.Errorf("%s: phone.max_per_hour: %d is outside 1..60", name, n)
		}
		p.MaxPerHour = *f.MaxPerHour
	}
	switch PhoneFailure(f.OnFailure) {
	case "":
	case PhoneWait, PhoneDeny:
		p.OnFailure = PhoneFailure(f.OnFailure)
	default:
		return fmt.Errorf("%s: phone.on_failure: %q is not wait or deny", name, f.OnFailure)
	}
	if p.After >= c.Deadline {
		return fmt.Errorf("%s: phone.after (%s) must be shorter than deadline (%s), or no request would wait long enough for a call", name, p.After, c.Deadline)
	}
	c.Phone = p
	return nil
}
