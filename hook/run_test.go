package hook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const claudeRead = `{"session_id":"s1","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t1"}`

// panicReader panics on the first read, standing in for any bug inside the
// hook.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

func run(t *testing.T, opts Options, stdin string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	var in = strings.NewReader(stdin)
	code := Run(context.Background(), opts, in, &out, &errb)
	return out.String(), errb.String(), code
}

func home(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	_ = os.Chmod(h, 0o700)
	return h
}

func TestPanicIsRecoveredAsDeny(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), Options{Harness: "claude", Home: home(t)}, panicReader{}, &out, &errb)
	if code != 2 || !strings.Contains(out.String(), `"permissionDecision":"deny"`) || !strings.Contains(out.String(), "failed internally") {
		t.Fatalf("panic: code %d stdout %s stderr %s", code, out.String(), errb.String())
	}
	// Copilot and Cursor get their own deny encoding for the same panic.
	for _, h := range []string{"copilot", "cursor", "gemini", "codex"} {
		out.Reset()
		errb.Reset()
		code := Run(context.Background(), Options{Harness: h, Home: home(t)}, panicReader{}, &out, &errb)
		if !strings.Contains(out.String(), "deny") && code != 2 {
			t.Errorf("%s panic: code %d stdout %s", h, code, out.String())
		}
	}
}

func TestArgErrorDenies(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"claude", "--home", home(t), "--nope"}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 || !strings.Contains(out.String(), "unknown flag --nope") {
		t.Fatalf("code %d stdout %s", code, out.String())
	}
	out.Reset()
	code = Main([]string{"claude", "--deadline", "soon"}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 || !strings.Contains(out.String(), "not a duration") {
		t.Fatalf("bad deadline: %d %s", code, out.String())
	}
	out.Reset()
	code = Main([]string{}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 {
		t.Fatalf("no harness: %d", code)
	}
}

func TestBadConfigDenies(t *testing.T) {
	h := home(t)
	_ = os.MkdirAll(filepath.Join(h, "config"), 0o700)
	_ = os.WriteFile(filepath.Join(h, "config", "config.yaml"), []byte("fallback: allow\n"), 0o600)
	out, _, code := run(t, Options{Harness: "claude", Home: h}, claudeRead)
	if code != 2 || !strings.Contains(out, "configuration is invalid") {
		t.Fatalf("bad config: %d %s", code, out)
	}
}

// TestFallbackAsk hands back to the harness's own prompt only where the
// harness honours it; elsewhere the unreachable console is a deny.
func TestFallbackAsk(t *testing.T) {
	h := home(t)
	_ = os.MkdirAll(filepath.Join(h, "config"), 0o700)
	_ = os.WriteFile(filepath.Join(h, "config", "config.yaml"), []byte("fallback: ask\n"), 0o600)
	// Claude PreToolUse does not honour ask reliably: deny.
	out, _, code := run(t, Options{Harness: "claude", Home: h}, claudeRead)
	if code != 2 || !strings.Contains(out, "not running") {
		t.Fatalf("PreToolUse with fallback ask: %d %s", code, out)
	}
	// Claude PermissionRequest does: no output, Claude shows its dialog.
	perm := `{"session_id":"s1","cwd":"/p","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"ls"}}`
	out, _, code = run(t, Options{Harness: "claude", Home: h}, perm)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("PermissionRequest with fallback ask: %d %q", code, out)
	}
	// Default fallback: deny even for PermissionRequest.
	h2 := home(t)
	out, _, code = run(t, Options{Harness: "claude", Home: h2}, perm)
	if code != 0 || !strings.Contains(out, `"behavior":"deny"`) {
		t.Fatalf("PermissionRequest with fallback deny: %d %s", code, out)
	}
}

// blockingReader never returns, like a harness that never closes stdin.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

func TestStdinNeverClosedDeniesAtTheDeadline(t *testing.T) {
	var out, errb bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), Options{Harness: "claude", Home: home(t), Deadline: 300 * time.Millisecond}, blockingReader{}, &out, &errb)
	if code != 2 || !strings.Contains(out.String(), "stdin was not closed") {
		t.Fatalf("code %d stdout %s", code, out.String())
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("hook waited %s for stdin", el)
	}
}

// TestPanicAfterParseDeniesInTheParsedShape: a PermissionRequest key nested
// in tool_input must not change how a PreToolUse deny is written.
func TestPanicAfterParseDeniesInTheParsedShape(t *testing.T) {
	in := `{"session_id":"s1","cwd":"/p","tool_input":{"command":"ls","hook_event_name":"PermissionRequest"},"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1"}`
	var out, errb bytes.Buffer
	// A Getenv that panics stands in for a bug after Parse succeeded.
	code := Run(context.Background(), Options{Harness: "claude", Getenv: func(k string) string {
		if k == "ONY_HOME" {
			panic("boom after parse")
		}
		return ""
	}}, strings.NewReader(in), &out, &errb)
	if !strings.Contains(out.String(), "failed internally") {
		t.Fatalf("no panic happened: %s", out.String())
	}
	if strings.Contains(errb.String(), "boom") {
		t.Fatalf("the panic's text reached stderr, which the model reads: %s", errb.String())
	}
	if code != 2 || !strings.Contains(out.String(), `"hookEventName":"PreToolUse"`) || !strings.Contains(out.String(), `"permissionDecision":"deny"`) {
		t.Fatalf("code %d stdout %s", code, out.String())
	}
}

func TestDeadlineArgumentBounded(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"claude", "--deadline", "3h"}, strings.NewReader(claudeRead), &out, &errb)
	if code != 2 || !strings.Contains(out.String(), "over 2h0m0s") {
		t.Fatalf("code %d stdout %s", code, out.String())
	}
}

// TestInterruptDeniesInTheParsedEventsShape: a signal after the input was
// parsed denies in that event's own shape (Claude's PermissionRequest answers
// with exit 0 and a decision object, not PreToolUse's exit 2).
func TestInterruptDeniesInTheParsedEventsShape(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	in := `{"session_id":"s1","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"ls"}}`
	// A Getenv that blocks once the input is parsed holds the work there.
	parsed, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var once sync.Once
	getenv := func(k string) string {
		if k == "ONY_HOME" || k == "HOME" || k == "XDG_RUNTIME_DIR" {
			first := false
			once.Do(func() { first = true; close(parsed) })
			if first {
				<-release // stands in for any wait after parsing
			}
		}
		return ""
	}
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), Options{Harness: "claude", Getenv: getenv, Interrupts: sigs}, strings.NewReader(in), &out, &errb)
	}()
	select {
	case <-parsed:
	case <-time.After(5 * time.Second):
		t.Fatal("the work never got past parsing")
	}
	sigs <- syscall.SIGTERM
	code := <-done
	if code != 0 || !strings.Contains(out.String(), `"behavior":"deny"`) || !strings.Contains(out.String(), "stopped before it had an answer") {
		t.Fatalf("code %d stdout %s stderr %s", code, out.String(), errb.String())
	}
}
