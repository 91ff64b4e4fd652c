package harness

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// What a harness does with a hook's reply, per each harness's documentation
// (docs/HARNESSES.md, Sources) and the real CLIs (hook/realharness).
const (
	outRuns    = "runs"    // the tool runs without asking anyone
	outBlocked = "blocked" // the tool call is refused
	outPrompt  = "prompt"  // the harness's own permission prompt decides
	outNative  = "native"  // no decision: the harness's normal permission flow (may auto-allow)
)

// harnessReads models how each harness reads (stdout, stderr, exit code) for
// an event, from the rules in the harnesses' documentation: it is the other
// side of Encode. Where a measured version reads more leniently (Gemini CLI
// 0.61.0 parses JSON on stdout whatever the exit code), the model keeps the
// documented, stricter reading.
func harnessReads(t *testing.T, harness string, ev Event, stdout, stderr string, code int) string {
	t.Helper()
	var obj map[string]any
	if s := strings.TrimSpace(stdout); s != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		if err := dec.Decode(&obj); err != nil || dec.More() {
			t.Fatalf("%s %s: stdout is not exactly one JSON object: %q", harness, ev, stdout)
		}
	}
	get := func(path ...string) string {
		var v any = obj
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	decided := func(value, allowWord string) string {
		switch value {
		case allowWord:
			return outRuns
		case "deny":
			return outBlocked
		case "ask":
			return outPrompt
		case "":
			return outNative
		}
		t.Fatalf("%s %s: unexpected decision %q", harness, ev, value)
		return ""
	}
	switch harness {
	case Claude:
		if ev == EventPermissionRequest { // exit 2 is ignored for this event
			if code != 0 || obj == nil {
				return outPrompt
			}
			return decided(get("hookSpecificOutput", "decision", "behavior"), "allow")
		}
		switch code {
		case 2:
			return outBlocked
		case 0:
			return decided(get("hookSpecificOutput", "permissionDecision"), "allow")
		}
		return outNative
	case Codex:
		if code == 2 && strings.TrimSpace(stderr) != "" {
			return outBlocked
		}
		if code != 0 {
			return outNative // hook failed: fail open
		}
		if ev == EventPermissionRequest {
			if obj == nil {
				return outPrompt
			}
			return decided(get("hookSpecificOutput", "decision", "behavior"), "allow")
		}
		if obj != nil && get("hookSpecificOutput", "permissionDecision") != "deny" {
			t.Fatalf("codex PreToolUse: %q fails open", stdout)
		}
		return decided(get("hookSpecificOutput", "permissionDecision"), "")
	case Cursor: // installed with failClosed: only an explicit allow runs
		if code == 0 && get("permission") == "allow" {
			return outRuns
		}
		return outBlocked
	case Gemini:
		switch code {
		case 2:
			return outBlocked
		case 0:
			return decided(get("decision"), "allow")
		}
		return outRuns
	case Copilot:
		if code != 0 {
			return outBlocked // preToolUse and permissionRequest deny on exit 2
		}
		if ev == EventPermissionRequestCamel || ev == EventPermissionRequest {
			return decided(get("behavior"), "allow")
		}
		return decided(get("permissionDecision"), "allow")
	}
	t.Fatalf("unknown harness %s", harness)
	return ""
}

// adapterEvents lists the events each adapter accepts.
func adapterEvents(harness string) []Event {
	switch harness {
	case Claude, Codex:
		return []Event{EventPreToolUse, EventPermissionRequest}
	case Cursor:
		return []Event{EventPreToolUseCamel, EventBeforeShellExecution, EventBeforeMCPExecution, EventBeforeReadFile}
	case Gemini:
		return []Event{EventBeforeTool}
	}
	return []Event{EventPreToolUseCamel, EventPermissionRequestCamel, EventPreToolUse, EventPermissionRequest}
}

// TestDecisionsAsHarnessesReadThem checks every adapter and event: a deny is
// always read as blocked, an ask is read as the harness's own prompt where
// HonoursAsk says so and as blocked everywhere else, and an allow is never
// read as blocked.
func TestDecisionsAsHarnessesReadThem(t *testing.T) {
	for _, name := range Names() {
		a, _ := Lookup(name)
		for _, ev := range adapterEvents(name) {
			for _, reason := range []string{"", "no", strings.Repeat("<&>\"", 5000)} {
				read := func(d Decision) string {
					var out, errb bytes.Buffer
					code := a.Encode(ev, d, &out, &errb)
					return harnessReads(t, name, ev, out.String(), errb.String(), code)
				}
				if got := read(Decision{Reason: reason}); got != outBlocked {
					t.Errorf("%s %s: deny is read as %s", name, ev, got)
				}
				wantAsk := outBlocked
				if a.HonoursAsk(ev) {
					wantAsk = outPrompt
				}
				if got := read(Decision{Ask: true, Allow: true, Reason: reason}); got != wantAsk {
					t.Errorf("%s %s: ask is read as %s, want %s", name, ev, got, wantAsk)
				}
				if got := read(Decision{Allow: true, Reason: reason}); got == outBlocked || got == outPrompt {
					t.Errorf("%s %s: allow is read as %s", name, ev, got)
				}
			}
		}
		var out, errb bytes.Buffer
		code := a.DenyWithoutInput(nil, "", &out, &errb)
		if got := harnessReads(t, name, adapterEvents(name)[0], out.String(), errb.String(), code); got != outBlocked {
			t.Errorf("%s: DenyWithoutInput is read as %s", name, got)
		}
	}
}
