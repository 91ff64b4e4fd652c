package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// sha is the hex SHA-256 of s.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// parseCase is one stdin and the call it must parse to.
type parseCase struct {
	name  string
	stdin string
	env   map[string]string
	event Event
	want  wire.ToolCall
}

func runParseCases(t *testing.T, a Adapter, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ev, err := a.Parse([]byte(tc.stdin), envOf(tc.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev != tc.event {
				t.Errorf("event = %q, want %q", ev, tc.event)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("call mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// errCase is a stdin Parse must refuse with an error wrapping want.
type errCase struct {
	name  string
	stdin string
	env   map[string]string
	want  error
}

func runErrCases(t *testing.T, a Adapter, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := a.Parse([]byte(tc.stdin), envOf(tc.env))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %v", c, tc.want)
			}
			if c != nil {
				t.Errorf("Parse returned a call with error %v", err)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v does not wrap %v", err, tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, a.Name()+": ") {
				t.Errorf("error %q does not name the harness", msg)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		a, err := Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if a.Name() != name {
			t.Errorf("Lookup(%q).Name() = %q", name, a.Name())
		}
	}
	if a, err := Lookup("claude-code"); err != nil || a.Name() != Claude {
		t.Errorf("Lookup(claude-code) = %v, %v", a, err)
	}
	for _, bad := range []string{"", "windsurf", "Claude", "codex "} {
		if _, err := Lookup(bad); err == nil {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
}

func TestReasonText(t *testing.T) {
	if got := reasonText("  "); got != DefaultDenyReason {
		t.Errorf("blank reason = %q", got)
	}
	if got := reasonText("bad \xff byte"); got != "bad \uFFFD byte" {
		t.Errorf("invalid UTF-8 = %q", got)
	}
	long := strings.Repeat("é", 12000)
	got := reasonText(long)
	if n := len([]rune(got)); n != maxReasonRunes {
		t.Errorf("capped reason has %d runes, want %d", n, maxReasonRunes)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("capped reason does not end with an ellipsis")
	}
}

// encodeCase is one Encode call and its exact output.
type encodeCase struct {
	harness string
	event   Event
	d       Decision
	stdout  string
	stderr  string
	code    int
}

var (
	allow = Decision{Allow: true}
	deny  = Decision{Reason: "no"}
	ask   = Decision{Ask: true, Allow: true, Reason: "no"}
)

func encodeCases() []encodeCase {
	const (
		claudeDeny = `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"no"}}` + "\n"
		permDeny   = `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"no"}}}` + "\n"
		permAllow  = `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}` + "\n"
		cursorDeny = `{"permission":"deny","user_message":"no","agent_message":"no"}` + "\n"
		cursorOK   = `{"permission":"allow"}` + "\n"
		geminiDeny = `{"decision":"deny","reason":"no"}` + "\n"
		copDeny    = `{"permissionDecision":"deny","permissionDecisionReason":"no","behavior":"deny","message":"no"}` + "\n"
	)
	unknownClaude := `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"` + unknownEventReason + `"}}` + "\n"
	cases := []encodeCase{
		{Claude, EventPreToolUse, allow, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow"}}` + "\n", "", 0},
		{Claude, EventPreToolUse, deny, claudeDeny, "no\n", 2},
		{Claude, EventPreToolUse, ask, claudeDeny, "no\n", 2},
		{Claude, EventPermissionRequest, allow, permAllow, "", 0},
		{Claude, EventPermissionRequest, deny, permDeny, "", 0},
		{Claude, EventPermissionRequest, ask, "", "", 0},
		{Claude, "Stop", allow, unknownClaude, unknownEventReason + "\n", 2},
		{Claude, "Stop", deny, claudeDeny, "no\n", 2},

		{Codex, EventPreToolUse, allow, "", "", 0},
		{Codex, EventPreToolUse, deny, claudeDeny, "no\n", 2},
		{Codex, EventPreToolUse, ask, claudeDeny, "no\n", 2},
		{Codex, EventPermissionRequest, allow, permAllow, "", 0},
		{Codex, EventPermissionRequest, deny, permDeny, "no\n", 2},
		{Codex, EventPermissionRequest, ask, "", "", 0},
		{Codex, "", allow, unknownClaude, unknownEventReason + "\n", 2},

		{Gemini, EventBeforeTool, allow, `{"decision":"allow"}` + "\n", "", 0},
		{Gemini, EventBeforeTool, deny, geminiDeny, "no\n", 2},
		{Gemini, EventBeforeTool, ask, geminiDeny, "no\n", 2},
		{Gemini, EventPreToolUse, allow, `{"decision":"deny","reason":"` + unknownEventReason + `"}` + "\n", unknownEventReason + "\n", 2},
		{Gemini, EventPreToolUse, deny, geminiDeny, "no\n", 2},

		{Copilot, EventPreToolUseCamel, allow, `{"permissionDecision":"allow"}` + "\n", "", 0},
		{Copilot, EventPreToolUseCamel, deny, `{"permissionDecision":"deny","permissionDecisionReason":"no"}` + "\n", "no\n", 2},
		{Copilot, EventPreToolUseCamel, ask, `{"permissionDecision":"ask","permissionDecisionReason":"no"}` + "\n", "", 0},
		{Copilot, EventPermissionRequestCamel, allow, `{"behavior":"allow"}` + "\n", "", 0},
		{Copilot, EventPermissionRequestCamel, deny, `{"behavior":"deny","message":"no"}` + "\n", "no\n", 2},
		{Copilot, EventPermissionRequestCamel, ask, `{"behavior":"deny","message":"no"}` + "\n", "no\n", 2},
		{Copilot, EventPreToolUse, allow, `{"permissionDecision":"allow","hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow"}}` + "\n", "", 0},
		{Copilot, EventPreToolUse, deny, `{"permissionDecision":"deny","permissionDecisionReason":"no","hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"no"}}` + "\n", "no\n", 2},
		{Copilot, EventPreToolUse, ask, `{"permissionDecision":"ask","permissionDecisionReason":"no","hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"no"}}` + "\n", "", 0},
		{Copilot, EventPermissionRequest, allow, `{"behavior":"allow","hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}` + "\n", "", 0},
		{Copilot, EventPermissionRequest, ask, `{"behavior":"deny","message":"no","hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"no"}}}` + "\n", "no\n", 2},
		{Copilot, "", deny, copDeny, "no\n", 2},
		{Copilot, EventBeforeTool, ask, `{"permissionDecision":"deny","permissionDecisionReason":"` + unknownEventReason + `","behavior":"deny","message":"` + unknownEventReason + `"}` + "\n", unknownEventReason + "\n", 2},
	}
	for _, ev := range []Event{EventPreToolUseCamel, EventBeforeShellExecution, EventBeforeMCPExecution, EventBeforeReadFile} {
		cases = append(cases,
			encodeCase{Cursor, ev, allow, cursorOK, "", 0},
			encodeCase{Cursor, ev, deny, cursorDeny, "", 0},
			encodeCase{Cursor, ev, ask, cursorDeny, "", 0})
	}
	// An unknown event is always a deny, even for an allow decision.
	return append(cases,
		encodeCase{Cursor, EventPreToolUse, Decision{Allow: true, Reason: "approved"}, `{"permission":"deny","user_message":"` + unknownEventReason + `","agent_message":"` + unknownEventReason + `"}` + "\n", "", 0},
		encodeCase{Cursor, EventPreToolUse, deny, cursorDeny, "", 0})
}

func TestEncode(t *testing.T) {
	for _, tc := range encodeCases() {
		name := tc.harness + "/" + string(tc.event) + "/" + verdictName(tc.d)
		t.Run(name, func(t *testing.T) {
			a, err := Lookup(tc.harness)
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := a.Encode(tc.event, tc.d, &out, &errb)
			if code != tc.code {
				t.Errorf("exit code = %d, want %d", code, tc.code)
			}
			if out.String() != tc.stdout {
				t.Errorf("stdout = %q\nwant     %q", out.String(), tc.stdout)
			}
			if errb.String() != tc.stderr {
				t.Errorf("stderr = %q, want %q", errb.String(), tc.stderr)
			}
		})
	}
}

func verdictName(d Decision) string {
	switch d.verdict() {
	case verdictAllow:
		return "allow"
	case verdictAsk:
		return "ask"
	}
	return "deny"
}

func TestEncodeDefaultReason(t *testing.T) {
	for _, name := range Names() {
		a, _ := Lookup(name)
		var out, errb bytes.Buffer
		a.DenyWithoutInput([]byte("{not json"), "", &out, &errb)
		if !strings.Contains(out.String()+errb.String(), DefaultDenyReason) {
			t.Errorf("%s: deny without a reason does not carry the default reason: %q / %q", name, out.String(), errb.String())
		}
	}
}

func TestDenyWithoutInput(t *testing.T) {
	tests := []struct {
		harness string
		stdin   string
		stdout  string
		code    int
	}{
		{Claude, `{"hook_event_name" : "PermissionRequest", "tool_input": {`, `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"bad"}}}` + "\n", 0},
		{Claude, `garbage`, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"bad"}}` + "\n", 2},
		{Codex, `{"hook_event_name":"PermissionRequest",`, `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"bad"}}}` + "\n", 2},
		{Codex, ``, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"bad"}}` + "\n", 2},
		{Cursor, `{`, `{"permission":"deny","user_message":"bad","agent_message":"bad"}` + "\n", 0},
		{Gemini, `{`, `{"decision":"deny","reason":"bad"}` + "\n", 2},
		{Copilot, `{`, `{"permissionDecision":"deny","permissionDecisionReason":"bad","behavior":"deny","message":"bad"}` + "\n", 2},
	}
	for _, tc := range tests {
		a, _ := Lookup(tc.harness)
		var out, errb bytes.Buffer
		code := a.DenyWithoutInput([]byte(tc.stdin), "bad", &out, &errb)
		if code != tc.code || out.String() != tc.stdout {
			t.Errorf("%s %q: got %d %q, want %d %q", tc.harness, tc.stdin, code, out.String(), tc.code, tc.stdout)
		}
		if code == exitBlock && strings.TrimSpace(errb.String()) == "" {
			t.Errorf("%s: exit 2 with an empty stderr (Codex would fail open)", tc.harness)
		}
	}
}

func TestSniffEvent(t *testing.T) {
	for in, want := range map[string]string{
		`{"hook_event_name":"PreToolUse"}`:         "PreToolUse",
		"{\"hook_event_name\"\n:\t\"Permission":    "",
		`{"x":1,"hook_event_name": "BeforeTool", `: "BeforeTool",
		`{"hook_event_name": 5}`:                   "",
		`{"hook_event_name"`:                       "",
		``:                                         "",
	} {
		if got := sniffEvent([]byte(in)); got != want {
			t.Errorf("sniffEvent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShellJoin(t *testing.T) {
	got := ShellJoin([]string{"/opt/ony tui/ony-tui", "hook", "codex", "--home", "/h/it's", ""})
	want := `'/opt/ony tui/ony-tui' hook codex --home '/h/it'\''s' ''`
	if got != want {
		t.Errorf("ShellJoin = %s, want %s", got, want)
	}
}

func TestFirstURL(t *testing.T) {
	for in, want := range map[string]string{
		"Summarise https://example.com/a?b=c. and http://x.org": "https://example.com/a?b=c",
		"see (http://a.b/c) now":                                "http://a.b/c",
		"no links here":                                         "",
	} {
		if got := firstURL(in); got != want {
			t.Errorf("firstURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRiskHintTruncated(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	got := riskHint(fields{"risk_level": json.RawMessage(strconv.Quote(long))})
	if len(got) > maxRiskLen || !utf8.ValidString(got) || len(got) != 128 {
		t.Errorf("risk hint = %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if got := riskHint(fields{"risk": json.RawMessage("null"), "riskLevel": json.RawMessage(`"high"`)}); got != "high" {
		t.Errorf("risk hint skipping null = %q", got)
	}
}

// BenchmarkParseEncode measures the adapter's share of the hook's hot path.
func BenchmarkParseEncode(b *testing.B) {
	stdin := []byte(claudeStdin("Bash", `{"command":"npm test","description":"Run tests","timeout":120000}`))
	a := claudeAdapter{}
	for b.Loop() {
		c, ev, err := a.Parse(stdin, nil)
		if err != nil || c == nil {
			b.Fatal(err)
		}
		a.Encode(ev, Decision{Allow: true}, io.Discard, io.Discard)
	}
}
