// Package config loads Ony's user configuration (config.yaml): the policy
// that maps risk to what is needed, deadlines, and the hook's fallback.
//
// Loading is strict: unknown keys and invalid values stop the load with the
// file position. A missing file means the defaults.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ony-dev/ony-tui/engine/risk"
)

// Requirement is what a request needs before it may run.
type Requirement int

// Requirements, weakest first. Their order matters: a floor is a minimum.
const (
	Auto        Requirement = iota + 1 // allowed by policy and recorded
	Approve                            // a human approval (keypad, YubiKey or phone)
	ApproveCode                        // a human approval plus a valid 6-digit code
	Block                              // always denied
)

var requirementNames = map[Requirement]string{Auto: "auto", Approve: "approve", ApproveCode: "approve+code", Block: "deny"}

// String returns the config spelling of r.
func (r Requirement) String() string {
	if s, ok := requirementNames[r]; ok {
		return s
	}
	return fmt.Sprintf("requirement(%d)", int(r))
}

// ParseRequirement reads "auto", "approve", "approve+code" or "deny".
func ParseRequirement(s string) (Requirement, error) {
	for r, name := range requirementNames {
		if s == name {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown requirement %q: use auto, approve, approve+code or deny", s)
}

// Fallback is what the hook answers when the console cannot be reached.
type Fallback string

// Fallbacks.
const (
	FallbackDeny Fallback = "deny" // deny outright (default)
	FallbackAsk  Fallback = "ask"  // hand back to the agent's own permission prompt, where the harness honours it
)

// Config is the loaded configuration.
type Config struct {
	// ByRisk maps each risk level to a requirement.
	ByRisk map[risk.Level]Requirement
	// ByAction overrides ByRisk for action ids, within the floors.
	ByAction map[string]Requirement
	// WrittenCode, when valid, is the least risk of a call that runs a file
	// the same agent session wrote or edited (python3 x.py after writing
	// x.py). The zero value is off: such runs keep their own risk, and the
	// console only says so.
	WrittenCode risk.Level
	// Deadline is how long a request waits for a human before it is denied.
	Deadline time.Duration
	// HookDeadline is how long the hook waits for a verdict before it
	// denies on its own; install writes harness timeouts longer than this.
	HookDeadline time.Duration
	// VerdictTTL is the lifetime of a signed verdict.
	VerdictTTL time.Duration
	// Fallback is the hook's answer when the console is unreachable.
	Fallback Fallback
	// Phone says when Ony calls the owner (phone.go).
	Phone Phone
	// RequireTouch is the lowest risk (high or critical) that the keypad
	// alone can no longer approve: a YubiKey touch (or the phone) is
	// needed. The zero (invalid) level means off.
	RequireTouch risk.Level
}

// Defaults returns the built-in configuration: low and medium automatic,
// high needs an approval, critical an approval and a code.
func Defaults() Config {
	return Config{
		ByRisk:       map[risk.Level]Requirement{risk.Low: Auto, risk.Medium: Auto, risk.High: Approve, risk.Critical: ApproveCode},
		ByAction:     map[string]Requirement{},
		Deadline:     2 * time.Minute,
		HookDeadline: 5 * time.Minute,
		VerdictTTL:   time.Minute,
		Fallback:     FallbackDeny,
		Phone:        DefaultPhone(),
	}
}

// Floors no configuration can go below.
const (
	// CriticalFloor is the least a critical request needs: an approval and
	// a code. Unknown actions are always critical.
	CriticalFloor = ApproveCode
)

// For returns what a request with this action and risk needs, applying the
// floors: a critical request, an invalid risk and the unknown action never
// need less than CriticalFloor.
func (c Config) For(action string, r risk.Level) Requirement {
	r = r.OrCritical()
	req, ok := c.ByAction[action]
	if !ok {
		req, ok = c.ByRisk[r]
	}
	if !ok {
		req = ApproveCode // a risk this config does not know is treated as critical
	}
	if (r == risk.Critical || action == "unknown") && req < CriticalFloor {
		req = CriticalFloor
	}
	if req < Approve && c.TouchRequired(r) {
		req = Approve // a touch is asked for: never allowed without a person
	}
	return req
}

// TouchRequired reports whether a request of this risk needs a YubiKey
// touch (or the phone): approvals.require_touch is at or below its risk, so
// the keypad alone cannot approve it. An invalid risk counts as critical.
func (c Config) TouchRequired(r risk.Level) bool {
	return c.RequireTouch.Valid() && r.OrCritical() >= c.RequireTouch
}

type fileFormat struct {
	Policy struct {
		Low         string            `yaml:"low"`
		Medium      string            `yaml:"medium"`
		High        string            `yaml:"high"`
		Critical    string            `yaml:"critical"`
		Actions     map[string]string `yaml:"actions"`
		WrittenCode string            `yaml:"written_code"`
	} `yaml:"policy"`
	Deadline     string       `yaml:"deadline"`
	HookDeadline string       `yaml:"hook_deadline"`
	VerdictTTL   string       `yaml:"verdict_ttl"`
	Fallback     string       `yaml:"fallback"`
	Phone        *phoneFormat `yaml:"phone"`
	Approvals    struct {
		RequireTouch string `yaml:"require_touch"`
	} `yaml:"approvals"`
}

// Load reads the config file at path. A missing file yields Defaults.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	return Parse(b, path)
}

// Parse parses config bytes; name is used in error messages.
func Parse(b []byte, name string) (Config, error) {
	c := Defaults()
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	var f fileFormat
	if err := yaml.UnmarshalWithOptions(b, &f, yaml.Strict()); err != nil {
		return Config{}, fmt.Errorf("%s", positioned(name, err))
	}
	for level, val := range map[risk.Level]string{risk.Low: f.Policy.Low, risk.Medium: f.Policy.Medium, risk.High: f.Policy.High, risk.Critical: f.Policy.Critical} {
		if val == "" {
			continue
		}
		r, err := ParseRequirement(val)
		if err != nil {
			return Config{}, fmt.Errorf("%s: policy.%s: %w", name, level, err)
		}
		c.ByRisk[level] = r
	}
	if c.ByRisk[risk.Critical] < CriticalFloor {
		return Config{}, fmt.Errorf("%s: policy.critical: %q is below the floor: critical actions always need %s", name, c.ByRisk[risk.Critical], CriticalFloor)
	}
	actions := make([]string, 0, len(f.Policy.Actions))
	for a := range f.Policy.Actions {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		r, err := ParseRequirement(f.Policy.Actions[a])
		if err != nil {
			return Config{}, fmt.Errorf("%s: policy.actions.%s: %w", name, a, err)
		}
		if a == "unknown" && r < CriticalFloor {
			return Config{}, fmt.Errorf("%s: policy.actions.unknown: unknown actions are always critical and need at least %s", name, CriticalFloor)
		}
		c.ByAction[a] = r
	}
	if w := f.Policy.WrittenCode; w != "" {
		l, err := risk.Parse(w)
		if err != nil {
			return Config{}, fmt.Errorf("%s: policy.written_code: %q is not low, medium, high or critical (or leave it out)", name, w)
		}
		c.WrittenCode = l
	}
	durations := []struct {
		key      string
		val      string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"deadline", f.Deadline, &c.Deadline, 5 * time.Second, time.Hour},
		{"hook_deadline", f.HookDeadline, &c.HookDeadline, 5 * time.Second, 2 * time.Hour},
		{"verdict_ttl", f.VerdictTTL, &c.VerdictTTL, 5 * time.Second, 10 * time.Minute},
	}
	for _, d := range durations {
		if d.val == "" {
			continue
		}
		v, err := time.ParseDuration(d.val)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %s: %q is not a duration like 90s or 5m", name, d.key, d.val)
		}
		if v < d.min || v > d.max {
			return Config{}, fmt.Errorf("%s: %s: %s is outside %s..%s", name, d.key, v, d.min, d.max)
		}
		*d.dst = v
	}
	if c.Deadline >= c.HookDeadline {
		return Config{}, fmt.Errorf("%s: deadline (%s) must be shorter than hook_deadline (%s), so the console denies before the hook gives up", name, c.Deadline, c.HookDeadline)
	}
	switch Fallback(f.Fallback) {
	case "":
	case FallbackDeny, FallbackAsk:
		c.Fallback = Fallback(f.Fallback)
	default:
		return Config{}, fmt.Errorf("%s: fallback: %q is not deny or ask", name, f.Fallback)
	}
	if f.Phone != nil {
		if err := parsePhone(f.Phone, &c, name); err != nil {
			return Config{}, err
		}
	} else if c.Phone.After >= c.Deadline {
		c.Phone.After = c.Deadline / 2
	}
	switch rt := f.Approvals.RequireTouch; rt {
	case "", "off":
	case "high", "critical":
		c.RequireTouch, _ = risk.Parse(rt)
		for _, level := range []risk.Level{risk.High, risk.Critical} {
			if c.TouchRequired(level) && c.ByRisk[level] == Auto {
				return Config{}, fmt.Errorf("%s: policy.%s is auto, but approvals.require_touch: %s asks for a touch on %s requests: set policy.%s to approve (or deny)", name, level, rt, level, level)
			}
		}
	default:
		return Config{}, fmt.Errorf("%s: approvals.require_touch: %q is not off, high or critical", name, rt)
	}
	return c, nil
}

// positioned renders a goccy/go-yaml error ("[line:col] message") as
// "name:line:col: message".
func positioned(name string, err error) string {
	msg := strings.TrimSpace(yaml.FormatError(err, false, false))
	first, _, _ := strings.Cut(msg, "\n")
	if strings.HasPrefix(first, "[") {
		if pos, rest, ok := strings.Cut(first[1:], "] "); ok && strings.Count(pos, ":") == 1 {
			return name + ":" + pos + ": " + rest
		}
	}
	return name + ": " + first
}
