package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/risk"
)

func TestDefaultsAndMissingFile(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		action string
		risk   risk.Level
		want   Requirement
	}{
		{"file.read", risk.Low, Auto},
		{"file.edit.project", risk.Medium, Auto},
		{"git.push.force", risk.High, Approve},
		{"deploy.production", risk.Critical, ApproveCode},
		{"unknown", risk.Critical, ApproveCode},
		{"x", 0, ApproveCode},
		{"x", 9, ApproveCode},
	} {
		if got := c.For(tc.action, tc.risk); got != tc.want {
			t.Errorf("For(%s,%s) = %s, want %s", tc.action, tc.risk, got, tc.want)
		}
	}
}

func TestParseOverrides(t *testing.T) {
	c, err := Parse([]byte(`
policy:
  medium: approve
  actions:
    git.push.force: approve+code
    deploy.production: deny
  written_code: high
deadline: 90s
hook_deadline: 10m
fallback: ask
`), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.WrittenCode != risk.High || Defaults().WrittenCode.Valid() {
		t.Fatalf("written_code: %v (default %v)", c.WrittenCode, Defaults().WrittenCode)
	}
	if c.For("file.edit.project", risk.Medium) != Approve || c.For("git.push.force", risk.High) != ApproveCode ||
		c.For("deploy.production", risk.Critical) != Block || c.Deadline != 90*time.Second || c.Fallback != FallbackAsk {
		t.Fatalf("overrides not applied: %+v", c)
	}
}

// TestFloors tries to configure critical and unknown actions down; every
// attempt must fail to load or be raised back to the floor.
func TestFloors(t *testing.T) {
	for _, in := range []string{
		"policy:\n  critical: auto\n",
		"policy:\n  critical: approve\n",
		"policy:\n  actions:\n    unknown: auto\n",
	} {
		if _, err := Parse([]byte(in), "config.yaml"); err == nil || !strings.Contains(err.Error(), "critical") {
			t.Errorf("%q loaded: %v", in, err)
		}
	}
	c, err := Parse([]byte("policy:\n  actions:\n    deploy.production: auto\n"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For("deploy.production", risk.Critical); got != ApproveCode {
		t.Fatalf("per-action auto on a critical action gave %s", got)
	}
	if got := c.For("unknown", risk.Low); got != ApproveCode {
		t.Fatalf("unknown action with a low risk string gave %s", got)
	}
}

func TestStrictErrors(t *testing.T) {
	for in, want := range map[string]string{
		"polcy:\n  low: auto\n":              "polcy",
		"policy:\n  low: maybe\n":            "unknown requirement",
		"deadline: soon\n":                   "not a duration",
		"deadline: 1s\n":                     "outside",
		"deadline: 10m\nhook_deadline: 5m\n": "must be shorter",
		"fallback: allow\n":                  "not deny or ask",
		"policy:\n  written_code: yes\n":     "policy.written_code",
		"policy:\n  written_code: High\n":    "policy.written_code",
		"policy: [1, 2]\n":                   "config.yaml:1:9: sequence was used",
	} {
		_, err := Parse([]byte(in), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "config.yaml") {
			t.Errorf("%q: error %v, want it to mention %q and the file", in, err, want)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Fatal("loading a directory as config succeeded")
	}
	p := filepath.Join(dir, "c.yaml")
	_ = os.WriteFile(p, []byte("policy:\n  low: approve\n"), 0o600)
	c, err := Load(p)
	if err != nil || c.For("file.read", risk.Low) != Approve {
		t.Fatalf("Load: %v %v", c.For("file.read", risk.Low), err)
	}
}
