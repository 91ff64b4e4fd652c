package config

import (
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/risk"
)

func TestRequireTouch(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want map[risk.Level]bool // risk -> touch required
	}{
		{"", map[risk.Level]bool{risk.Low: false, risk.Medium: false, risk.High: false, risk.Critical: false, 0: false}},
		{"approvals:\n  require_touch: off\n", map[risk.Level]bool{risk.High: false, risk.Critical: false}},
		{"approvals:\n  require_touch: high\n", map[risk.Level]bool{risk.Medium: false, risk.High: true, risk.Critical: true, 0: true, 9: true}},
		{"approvals:\n  require_touch: critical\n", map[risk.Level]bool{risk.High: false, risk.Critical: true, 0: true}},
	} {
		c, err := Parse([]byte(tc.yaml), "config.yaml")
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		for level, want := range tc.want {
			if got := c.TouchRequired(level); got != want {
				t.Errorf("%q: TouchRequired(%v) = %v, want %v", tc.yaml, level, got, want)
			}
		}
	}
}

// With a touch required for a risk, nothing at that risk is allowed without
// a person, whatever an action override says.
func TestRequireTouchIsAFloorOfApproval(t *testing.T) {
	c, err := Parse([]byte("approvals:\n  require_touch: high\npolicy:\n  actions:\n    git.push.force: auto\n    file.read: auto\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For("git.push.force", risk.High); got != Approve {
		t.Fatalf("high action overridden to auto: %s", got)
	}
	if got := c.For("file.read", risk.Low); got != Auto {
		t.Fatalf("low action: %s", got)
	}
}

func TestRequireTouchRefusesContradictions(t *testing.T) {
	for yaml, want := range map[string]string{
		"approvals:\n  require_touch: high\npolicy:\n  high: auto\n": "policy.high is auto",
		"approvals:\n  require_touch: medium\n":                      `"medium" is not off, high or critical`,
		"approvals:\n  require_touch: yes\n":                         "require_touch",
		"approvals:\n  require_tuch: high\n":                         "require_tuch",
	} {
		if _, err := Parse([]byte(yaml), "config.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", yaml, err, want)
		}
	}
}
