package hook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Under Codex and Gemini a deny exits 2 and everything on stderr reaches the
// model. A deny must put only its reason there; the socket path, uids and
// other diagnostics go to the hook log.
func TestDiagnosticsStayOutOfStderr(t *testing.T) {
	inputs := map[string]string{
		"codex":  `{"session_id":"s1","turn_id":"t1","cwd":"/p","hook_event_name":"PreToolUse","model":"m","tool_name":"Bash","tool_use_id":"c1","tool_input":{"command":"ls"}}`,
		"gemini": `{"session_id":"s1","cwd":"/p","hook_event_name":"BeforeTool","timestamp":"2026-06-30T14:22:07Z","tool_name":"run_shell_command","tool_input":{"command":"ls"}}`,
		"claude": claudeRead,
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			h := home(t)
			var out, errb bytes.Buffer
			code := Run(context.Background(), Options{Harness: name, Home: h}, strings.NewReader(in), &out, &errb)
			if code == 0 && !strings.Contains(out.String(), "deny") {
				t.Fatalf("no console, yet not denied: %d %s", code, out.String())
			}
			sock := filepath.Join(h, "run", "ony.sock")
			if strings.Contains(errb.String()+out.String(), sock) {
				t.Fatalf("the socket path reached the harness: stdout %q stderr %q", out.String(), errb.String())
			}
			if !strings.Contains(errb.String()+out.String(), "not running") {
				t.Fatalf("the reason is missing: stdout %q stderr %q", out.String(), errb.String())
			}
			log, err := os.ReadFile(filepath.Join(h, "state", LogName))
			if err != nil || !strings.Contains(string(log), sock) || !strings.Contains(string(log), "harness="+name) {
				t.Fatalf("hook log: %v %q", err, log)
			}
			if fi, err := os.Stat(filepath.Join(h, "state", LogName)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("hook log mode: %v %v", fi.Mode(), err)
			}
		})
	}
}

func TestDiagRotatesAndRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o700)
	path := filepath.Join(dir, LogName)
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), logMaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &diag{locate: func() (string, error) { return path, nil }, harness: "claude", now: timeNowForTest}
	d.printf("after rotation")
	if fi, err := os.Stat(path + ".1"); err != nil || fi.Size() != logMaxSize+1 {
		t.Fatalf("old log not rotated: %v", err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "after rotation") || len(b) > 200 {
		t.Fatalf("new log: %q", b)
	}
	// A log path that is a symlink (planted to make the hook append to
	// another file) is not followed.
	target := filepath.Join(dir, "victim")
	_ = os.WriteFile(target, []byte("keep\n"), 0o600)
	_ = os.Remove(path)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	d2 := &diag{locate: func() (string, error) { return path, nil }, harness: "claude", now: timeNowForTest}
	d2.printf("must not land in the victim")
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Fatalf("the hook followed a symlinked log: %q", b)
	}
	// Nothing resolvable: the diagnostic is dropped, never a panic.
	d3 := &diag{locate: func() (string, error) { panic("no home") }, now: timeNowForTest}
	d3.printf("dropped")
}

func timeNowForTest() (t time.Time) { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }
