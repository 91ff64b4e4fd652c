package config

import (
	"strings"
	"testing"
	"time"
)

func TestPhoneDefaults(t *testing.T) {
	c, err := Parse([]byte("deadline: 2m\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Phone != DefaultPhone() || c.Phone.After != time.Minute || c.Phone.OnFailure != PhoneWait {
		t.Fatalf("defaults %+v", c.Phone)
	}
	// A deadline shorter than the default wait halves it.
	c, err = Parse([]byte("deadline: 40s\n"), "config.yaml")
	if err != nil || c.Phone.After != 20*time.Second {
		t.Fatalf("short deadline: %+v %v", c.Phone, err)
	}
}

func TestPhoneSection(t *testing.T) {
	c, err := Parse([]byte("phone:\n  after: 30s\n  min_gap: 5m\n  max_per_hour: 3\n  ring: 45s\n  on_failure: deny\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Phone{After: 30 * time.Second, MinGap: 5 * time.Minute, MaxPerHour: 3, Ring: 45 * time.Second, OnFailure: PhoneDeny}
	if c.Phone != want {
		t.Fatalf("got %+v, want %+v", c.Phone, want)
	}
	for in, msg := range map[string]string{
		"phone:\n  after: soon\n":            "phone.after",
		"phone:\n  after: 3m\n":              "must be shorter than deadline",
		"phone:\n  ring: 1s\n":               "phone.ring",
		"phone:\n  max_per_hour: 0\n":        "phone.max_per_hour",
		"phone:\n  max_per_hour: 61\n":       "phone.max_per_hour",
		"phone:\n  on_failure: ask\n":        "wait or deny",
		"phone:\n  to: \"+14155550123\"\n":   "unknown field",
		"phone:\n  token: PT0123456789\n":    "unknown field",
		"phone:\n  min_gap: -1s\n":           "phone.min_gap",
		"phone:\n  after: 1s\n  after: 2s\n": "already defined",
	} {
		_, err := Parse([]byte(in), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want an error with %q", in, err, msg)
		}
	}
}
